/**
 * `npm run bench:exec`: where a validator's CPU goes per transaction, on this
 * machine, for the transaction path of `npm run bench:load` (signed kv.put from
 * 256 senders): decoding, hashing, signature verification (what admission
 * pays once per node), and block execution of 1,024-transaction blocks on a
 * growing state (what the primary and every backup pay), with signatures
 * already checked and with every one checked. The peer is the
 * Ed25519 verify alone: the physical floor of admission, with libsodium (what the
 * node backend uses, ADR 0007) and with OpenSSL's node:crypto (what it used before).
 */

import {
  decodeTx,
  encodeTx,
  type SignedTx,
  signTx,
  txHash,
  txHashOfEncoded,
  txSigningBytes,
  verifyTxSignature,
} from '../src/chain/transaction.ts';
import { utf8 } from '../src/codec/bytes.ts';
import { opensslEd25519Verify } from '../src/crypto/backend.node.ts';
import { generateSigningKeyPair } from '../src/crypto/ed25519.ts';
import { executeBlock } from '../src/exec/execute.ts';
import { kvModule } from '../src/modules/kv/kv-module.ts';
import { MerklePatriciaTrie } from '../src/trie/index.ts';
import { formatNumber, renderTable } from './lib/table.ts';

const BLOCK = 1_024;
const BLOCKS = 8;
const senders = Array.from({ length: 256 }, () => generateSigningKeyPair());
const blocks = Array.from({ length: BLOCKS }, (_, b) =>
  Array.from({ length: BLOCK }, (_, i) => {
    const index = b * BLOCK + i;
    const sender = senders[index % senders.length]!;
    const payload = utf8(JSON.stringify({ key: `load/${index}`, value: 'x'.repeat(24) }));
    return encodeTx(
      signTx(
        {
          chainId: 'bench',
          sender: sender.publicKey,
          nonce: Math.floor(index / senders.length),
          kind: 'kv.put',
          payload,
        },
        sender.secretKey,
      ),
    );
  }),
);

function perTx(run: () => void, repeats = 5): number {
  run(); // warm-up
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    run();
    samples.push(((performance.now() - start) * 1000) / BLOCK);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

const sample = blocks[BLOCKS - 1]!;
const decoded = sample.map(decodeTx);
const rows: [string, number][] = [
  ['decode (RLP + schema)', perTx(() => sample.forEach(decodeTx))],
  [
    'id from the encoded bytes',
    perTx(() =>
      sample.forEach((t) => {
        txHashOfEncoded(t);
      }),
    ),
  ],
  [
    'id by re-encoding the body',
    perTx(() =>
      decoded.forEach((t) => {
        txHash(t.body);
      }),
    ),
  ],
  [
    'Ed25519 verify, libsodium (the floor)',
    perTx(() =>
      decoded.forEach((t) => {
        verifyTxSignature(t);
      }),
    ),
  ],
  [
    'peer: Ed25519 verify, OpenSSL (node:crypto, key objects cached)',
    perTx(() =>
      decoded.forEach((t) => {
        opensslEd25519Verify(t.body.sender, txSigningBytes(t.body), t.signature);
      }),
    ),
  ],
];

/** µs per transaction of executing the 1,024-tx blocks one after another on a growing state (median of the later blocks). */
async function executeMedian(isSignatureValid: (tx: SignedTx) => boolean): Promise<number> {
  const env = { modules: new Map([['kv', kvModule]]), isSignatureValid };
  let state = new MerklePatriciaTrie();
  const times: number[] = [];
  for (let b = 0; b < BLOCKS; b++) {
    const start = performance.now();
    const result = await executeBlock(
      state,
      { chainId: 'bench', height: b + 1, timestampMs: b + 1 },
      blocks[b]!,
      env,
    );
    times.push(((performance.now() - start) * 1000) / BLOCK);
    state = result.state;
  }
  return times.slice(2).sort((a, b) => a - b)[2]!;
}

rows.push(
  [
    `execute a ${BLOCK}-tx block, no signature checks (cached at admission; a certified block in catch-up or restart replay)`,
    await executeMedian(() => true),
  ],
  [
    `execute a ${BLOCK}-tx block, every signature checked (a proposal of transactions this node never saw)`,
    await executeMedian(verifyTxSignature),
  ],
);

console.log(
  renderTable(
    ['step', 'µs per transaction'],
    rows.map(([step, us]) => [step, formatNumber(us, 1)]),
  ),
);
