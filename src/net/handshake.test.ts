import { describe, expect, it } from 'vitest';
import { equalBytes } from '../codec/bytes.ts';
import { decode, encode } from '../codec/schema.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { randomBytes } from '../crypto/random.ts';
import { checkHello, type HelloEnvelope, makeHello } from './handshake.ts';
import { EnvelopeCodec, MAX_HELLO_FRAME_BYTES, PROTOCOL_VERSION } from './wire.ts';

const node = generateSigningKeyPair();
const other = generateSigningKeyPair();
const binding = randomBytes(32);
const identity = { keyPair: node, chainId: 'chain', listenHost: 'node-1.example.org', listenPort: 7000 };

function expectations(overrides: Partial<Parameters<typeof checkHello>[1]> = {}) {
  return { chainId: 'chain', channelKey: node.publicKey, binding, isAdmitted: () => true, ...overrides };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('hello', () => {
  it('round-trips through the wire codec, fits the pre-handshake frame limit, and verifies', () => {
    const hello = makeHello(identity, binding);
    const wire = encode(EnvelopeCodec, hello);
    expect(wire.length).toBeLessThan(MAX_HELLO_FRAME_BYTES);
    const decoded = decode(EnvelopeCodec, wire, 'frame') as HelloEnvelope;
    const body = checkHello(decoded, expectations());
    expect(body.version).toBe(PROTOCOL_VERSION);
    expect(body.listenHost).toBe('node-1.example.org');
    expect(equalBytes(body.publicKey, node.publicKey)).toBe(true);
  });

  it('is refused with a specific code for each broken rule', () => {
    const hello = makeHello(identity, binding);
    expect(codeOf(() => checkHello({ ...hello, body: { ...hello.body, version: 99 } }, expectations()))).toBe(
      'NET_PROTOCOL_VERSION',
    );
    expect(codeOf(() => checkHello(hello, expectations({ chainId: 'other' })))).toBe('NET_WRONG_CHAIN');
    expect(codeOf(() => checkHello(hello, expectations({ channelKey: other.publicKey })))).toBe(
      'NET_HELLO_KEY_MISMATCH',
    );
    expect(codeOf(() => checkHello(hello, expectations({ binding: randomBytes(32) })))).toBe(
      'NET_BAD_HELLO_SIGNATURE',
    );
    const tampered = { ...hello, body: { ...hello.body, listenPort: 7001 } };
    expect(codeOf(() => checkHello(tampered, expectations()))).toBe('NET_BAD_HELLO_SIGNATURE');
    expect(codeOf(() => checkHello(hello, expectations({ isAdmitted: () => false })))).toBe(
      'NET_PEER_NOT_ADMITTED',
    );
  });
});
