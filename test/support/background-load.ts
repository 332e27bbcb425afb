/**
 * A steady trickle of signed kv.put transactions for fault tests: every tick it
 * submits a few transactions (fresh senders, consecutive nonces) to whichever
 * validators are up, and remembers every hash a node admitted.
 */
import { encodeTx, signTx, txHash } from '../../src/chain/transaction.ts';
import { toHex, utf8 } from '../../src/codec/bytes.ts';
import { generateSigningKeyPair } from '../../src/crypto/ed25519.ts';
import type { TestDevnet } from './devnet.ts';

export interface BackgroundLoad {
  /** Hashes admitted by some node. */
  readonly admitted: Set<string>;
  /** Per sender public key hex: how many of its transactions were admitted (they use nonces 0..n-1). */
  readonly perSender: Map<string, number>;
  stop(): Promise<void>;
}

export function startBackgroundLoad(
  net: TestDevnet,
  options: { perTick?: number; tickMs?: number } = {},
): BackgroundLoad {
  const senders = Array.from({ length: 8 }, () => generateSigningKeyPair());
  const nonces = new Map<string, number>();
  const admitted = new Set<string>();
  const perSender = new Map<string, number>();
  let stopped = false;
  let round = 0;
  const loop = (async () => {
    while (!stopped) {
      const target = round % net.layout.nodes.length;
      round++;
      if (net.processes.isRunning(target)) {
        const sender = senders[round % senders.length]!;
        const senderHex = toHex(sender.publicKey);
        const txs = [];
        const first = nonces.get(senderHex) ?? 0;
        for (let i = 0; i < (options.perTick ?? 5); i++) {
          const body = {
            chainId: net.layout.chainId,
            sender: sender.publicKey,
            nonce: first + i,
            kind: 'kv.put',
            payload: utf8(
              JSON.stringify({ key: `fault/${senderHex.slice(2, 10)}/${first + i}`, value: 'v' }),
            ),
          };
          txs.push({ hash: toHex(txHash(body)), encoded: encodeTx(signTx(body, sender.secretKey)) });
        }
        try {
          const { results } = await net.clients[target]!.submitTxBatch(txs.map((t) => t.encoded));
          // Nonces advance only over a prefix of admitted transactions, so a refusal never leaves a gap.
          let accepted = 0;
          for (const result of results) {
            if (result.status === 'rejected') break;
            accepted++;
          }
          for (const t of txs.slice(0, accepted)) admitted.add(t.hash);
          nonces.set(senderHex, first + accepted);
          perSender.set(senderHex, first + accepted);
        } catch {
          // the node went down mid-request: try another one next tick
        }
      }
      await new Promise((r) => setTimeout(r, options.tickMs ?? 50));
    }
  })();
  return {
    admitted,
    perSender,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
