/**
 * How fast this machine checks Ed25519 signatures right now: verifies per second on one core,
 * with the backend the node uses (`crypto/ed25519.ts`, libsodium). Machines of one kind differ, and
 * one machine drifts (noisy neighbours); a benchmark that reports it in the same run can be read
 * against the physical ceiling of that run, not of another day.
 */
import { generateSigningKeyPair, sign, verify } from '../../src/crypto/ed25519.ts';

/** Verifies of one signature over a transaction-sized message for about `durationMs`; per second. */
export function measureVerifyRate(durationMs = 1_000): number {
  const keys = generateSigningKeyPair();
  const message = new Uint8Array(160).map((_, i) => i);
  const signature = sign(keys.secretKey, message);
  for (let i = 0; i < 200; i++) verify(keys.publicKey, message, signature); // warm-up
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 100; i++) {
      if (!verify(keys.publicKey, message, signature)) throw new Error('Ed25519 self-check failed');
    }
    count += 100;
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}
