/**
 * Signed transactions. A transaction names the chain, its sender (an Ed25519
 * public key), a per-sender nonce (replay protection: the n-th transaction of a
 * sender carries nonce n, starting at 0), a `kind` (`<module>.<method>`, e.g.
 * `kv.put`) and a module-defined payload. The sender signs the keccak-256 of a
 * domain tag plus the RLP body; the transaction's id (`txHash`) is keccak-256
 * of the RLP body, so a re-signed body keeps its id and a body cannot appear
 * twice on chain (its nonce is consumed).
 *
 * Wire format: field order is consensus-critical. Never reorder.
 */
import { concatBytes, toHex, utf8 } from '../codec/bytes.ts';
import { newCursor, readItem } from '../codec/rlp-reader.ts';
import { bytes, decode, encode, type Infer, struct, text, uint } from '../codec/schema.ts';
import { sign, verify } from '../crypto/ed25519.ts';
import { keccak256 } from '../crypto/keccak.ts';
import { DecodeError, ValidationError } from '../errors.ts';
import { MAX_CHAIN_ID_BYTES } from './header.ts';

/** Largest encoded signed transaction accepted anywhere (API, gossip, blocks). */
export const MAX_TX_BYTES = 512 * 1024;
export const MAX_TX_KIND_BYTES = 64;
export const MAX_TX_PAYLOAD_BYTES = MAX_TX_BYTES - 1024;

const TX_KIND_PATTERN = /^[a-z][a-z0-9-]*\.[a-zA-Z][a-zA-Z0-9-]*$/;

export const TxBodyCodec = struct({
  chainId: text(MAX_CHAIN_ID_BYTES),
  sender: bytes({ length: 32 }),
  nonce: uint,
  kind: text(MAX_TX_KIND_BYTES),
  payload: bytes({ maxLength: MAX_TX_PAYLOAD_BYTES }),
});

export const SignedTxCodec = struct({
  body: TxBodyCodec,
  signature: bytes({ length: 64 }),
});

export type TxBody = Infer<typeof TxBodyCodec>;
export type SignedTx = Infer<typeof SignedTxCodec>;

const SIGNING_DOMAIN = utf8('meridian/tx/v1');

export function encodeTxBody(body: TxBody): Uint8Array {
  return encode(TxBodyCodec, body);
}

export function encodeTx(tx: SignedTx): Uint8Array {
  return encode(SignedTxCodec, tx);
}

/** Decodes a signed transaction; size-limited, every field validated, `kind` well-formed. */
export function decodeTx(input: Uint8Array): SignedTx {
  const tx = decode(SignedTxCodec, input, 'tx', MAX_TX_BYTES);
  if (!TX_KIND_PATTERN.test(tx.body.kind)) {
    throw new ValidationError(
      'TX_BAD_KIND',
      `tx kind "${tx.body.kind}" is not of the form <module>.<method>`,
      {
        hint: 'use a kind such as "kv.put"',
      },
    );
  }
  return tx;
}

/** The transaction id: keccak-256 of the RLP body. */
export function txHash(body: TxBody): Uint8Array {
  return keccak256(encodeTxBody(body));
}

/**
 * The id of an encoded signed transaction computed from its bytes (keccak-256
 * of the body's slice), without decoding it. For a well-formed transaction it
 * equals `txHash(decodeTx(encoded).body)`, because RLP is canonical; for
 * anything else it is undefined or a hash no valid transaction has. Use it as
 * a cache key, never as proof of validity.
 */
export function txHashOfEncoded(encoded: Uint8Array): Uint8Array | undefined {
  const cursor = newCursor();
  try {
    readItem(encoded, 0, encoded.length, cursor);
    if (!cursor.isList || cursor.end !== encoded.length) return undefined;
    const bodyStart = cursor.payloadStart;
    readItem(encoded, bodyStart, encoded.length, cursor);
    if (!cursor.isList) return undefined;
    return keccak256(encoded.subarray(bodyStart, cursor.end));
  } catch (error) {
    if (error instanceof DecodeError) return undefined; // not canonical RLP: no valid transaction
    throw error;
  }
}

/** The 32 bytes a transaction's signature covers: keccak-256 of the signing domain and the RLP body. */
export function txSigningBytes(body: TxBody): Uint8Array {
  return keccak256(concatBytes(SIGNING_DOMAIN, encodeTxBody(body)));
}

export function signTx(body: TxBody, secretKey: Uint8Array): SignedTx {
  return { body, signature: sign(secretKey, txSigningBytes(body)) };
}

export function verifyTxSignature(tx: SignedTx): boolean {
  return verify(tx.body.sender, txSigningBytes(tx.body), tx.signature);
}

/** Throws `ValidationError` `TX_WRONG_CHAIN` unless the transaction names this chain. */
export function checkTxChain(tx: SignedTx, chainId: string): void {
  if (tx.body.chainId !== chainId) {
    throw new ValidationError(
      'TX_WRONG_CHAIN',
      `transaction is for chain "${tx.body.chainId}", this is "${chainId}"`,
      {
        hint: "sign the transaction with this network's chain id (GET /v1/status shows it)",
      },
    );
  }
}

/** Throws `ValidationError` `TX_BAD_SIGNATURE` unless the sender's signature verifies. */
export function checkTxSignature(tx: SignedTx): void {
  if (!verifyTxSignature(tx)) {
    throw new ValidationError(
      'TX_BAD_SIGNATURE',
      `signature of tx ${toHex(txHash(tx.body))} does not verify`,
      {
        hint: "sign the exact body with the sender's Ed25519 key",
      },
    );
  }
}
