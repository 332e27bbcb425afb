import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import {
  checkTxChain,
  checkTxSignature,
  decodeTx,
  encodeTx,
  MAX_TX_BYTES,
  signTx,
  txHash,
  txHashOfEncoded,
} from './transaction.ts';

const key = generateSigningKeyPair();
const body = { chainId: 'c', sender: key.publicKey, nonce: 3, kind: 'kv.put', payload: utf8('{"k":"v"}') };

describe('transactions', () => {
  it('round-trips through RLP and keeps its id and a valid signature', () => {
    const tx = signTx(body, key.secretKey);
    const decoded = decodeTx(encodeTx(tx));
    expect(toHex(txHash(decoded.body))).toBe(toHex(txHash(body)));
    expect(() => checkTxSignature(decoded)).not.toThrow();
  });

  it('any change to the body invalidates the signature', () => {
    const tx = signTx(body, key.secretKey);
    for (const change of [
      { nonce: 4 },
      { kind: 'kv.del' },
      { payload: utf8('{"k":"w"}') },
      { chainId: 'd' },
    ]) {
      expect(() => checkTxSignature({ ...tx, body: { ...tx.body, ...change } })).toThrow(
        expect.objectContaining({ code: 'TX_BAD_SIGNATURE' }),
      );
    }
  });

  it('rejects a foreign chain id, malformed kinds and oversize input', () => {
    expect(() => checkTxChain(signTx(body, key.secretKey), 'other')).toThrow(/chain "c"/);
    expect(() => decodeTx(encodeTx(signTx({ ...body, kind: 'no-dot' }, key.secretKey)))).toThrow(
      expect.objectContaining({ code: 'TX_BAD_KIND' }),
    );
    expect(() => decodeTx(new Uint8Array(MAX_TX_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'RLP_TOO_LARGE' }),
    );
  });
});

describe('txHashOfEncoded', () => {
  it('equals the id of the decoded body for any transaction, and is undefined for bytes not shaped like one', () => {
    for (const payload of [new Uint8Array(0), utf8('x'), new Uint8Array(70), new Uint8Array(5000)]) {
      const encoded = encodeTx(signTx({ ...body, payload }, key.secretKey));
      expect(toHex(txHashOfEncoded(encoded)!)).toBe(toHex(txHash(decodeTx(encoded).body)));
    }
    expect(txHashOfEncoded(Uint8Array.of(1, 2, 3))).toBeUndefined();
    expect(txHashOfEncoded(Uint8Array.of(0xc3, 0xc5))).toBeUndefined();
    const encoded = encodeTx(signTx(body, key.secretKey));
    expect(txHashOfEncoded(encoded.subarray(0, encoded.length - 1))).toBeUndefined();
  });
});
