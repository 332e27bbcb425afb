import { MemoryHub, MemoryTransport } from './memory-transport.ts';
import { TlsTransport } from './tls-transport.ts';
import { runTransportComplianceSuite, TEST_CHAIN_ID } from './transport-compliance.ts';

/** Short reconnect delays so restart tests do not wait for production back-off. */
const reconnect = { initialDelayMs: 20, maxDelayMs: 250 };

runTransportComplianceSuite('TlsTransport (TLS 1.3 on 127.0.0.1)', () => ({
  async create(options) {
    return TlsTransport.create({
      chainId: options.chainId ?? TEST_CHAIN_ID,
      keyPair: options.keyPair,
      allowedKeys: options.allowedKeys,
      listenHost: '127.0.0.1',
      listenPort: options.listenPort ?? 0,
      maxQueueFrames: options.maxQueueFrames,
      maxQueueBytes: options.maxQueueBytes,
      compression: options.compression,
      reconnect,
    });
  },
  async close() {},
}));

runTransportComplianceSuite('MemoryTransport', () => {
  const hub = new MemoryHub();
  return {
    async create(options) {
      return new MemoryTransport({
        hub,
        chainId: options.chainId ?? TEST_CHAIN_ID,
        keyPair: options.keyPair,
        allowedKeys: options.allowedKeys,
        listenPort: options.listenPort ?? 0,
        maxQueueFrames: options.maxQueueFrames,
        maxQueueBytes: options.maxQueueBytes,
        compression: options.compression,
        reconnect,
      });
    },
    async close() {},
  };
});
