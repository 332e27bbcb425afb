/**
 * Conversions from chain structures to the API's JSON shapes (schemas.ts).
 * Browser-safe. Payloads, results and event data that are JSON are decoded for
 * readers; the raw bytes stay available as hex.
 */

import type { BlockHeader } from '../chain/header.ts';
import { hashHeader } from '../chain/header.ts';
import { decodeTx, type SignedTx, txHash } from '../chain/transaction.ts';
import type { ValidatorSet } from '../chain/validator-set.ts';
import { fromUtf8, toHex } from '../codec/bytes.ts';
import type { CommitCertificate } from '../consensus/pbft/types.ts';
import type { Receipt } from '../exec/receipt.ts';
import type {
  BlockJson,
  BlockSummaryJson,
  CertificateJson,
  HeaderJson,
  ReceiptJson,
  TransactionJson,
} from './schemas.ts';

/** Parses bytes as UTF-8 JSON, or returns undefined when they are not JSON. */
export function tryJson(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(fromUtf8(bytes));
  } catch {
    return undefined;
  }
}

export function headerJson(header: BlockHeader): HeaderJson {
  return {
    hash: toHex(hashHeader(header)),
    chainId: header.chainId,
    height: header.height,
    parentHash: toHex(header.parentHash),
    timestampMs: header.timestampMs,
    proposer: toHex(header.proposer),
    view: header.view,
    transactionsRoot: toHex(header.transactionsRoot),
    stateRoot: toHex(header.stateRoot),
    receiptsRoot: toHex(header.receiptsRoot),
    provenanceRoot: toHex(header.provenanceRoot),
    validatorSetHash: toHex(header.validatorSetHash),
  };
}

export function certificateJson(certificate: CommitCertificate, validators: ValidatorSet): CertificateJson {
  return {
    view: certificate.view,
    height: certificate.height,
    headerHash: toHex(certificate.headerHash),
    signatures: certificate.votes.map((vote) => ({
      validator: toHex(validators.publicKeys[vote.validator] ?? new Uint8Array(32)),
      signature: toHex(vote.signature),
    })),
  };
}

export function transactionJson(tx: SignedTx): TransactionJson {
  const payloadJson = tryJson(tx.body.payload);
  return {
    hash: toHex(txHash(tx.body)),
    chainId: tx.body.chainId,
    sender: toHex(tx.body.sender),
    nonce: tx.body.nonce,
    kind: tx.body.kind,
    payload: toHex(tx.body.payload),
    ...(payloadJson === undefined ? {} : { payloadJson }),
    signature: toHex(tx.signature),
  };
}

export function encodedTransactionJson(encoded: Uint8Array): TransactionJson {
  return transactionJson(decodeTx(encoded));
}

export function receiptJson(receipt: Receipt): ReceiptJson {
  const result = tryJson(receipt.result);
  return {
    txHash: toHex(receipt.txHash),
    status: receipt.status,
    ...(receipt.errorCode ? { errorCode: receipt.errorCode, errorMessage: receipt.errorMessage } : {}),
    ...(result === undefined ? {} : { result }),
    events: receipt.events.map((e) => ({ module: e.module, name: e.name, data: tryJson(e.data) ?? null })),
    gasUsed: receipt.gasUsed,
  };
}

export function blockSummaryJson(header: BlockHeader, txCount: number): BlockSummaryJson {
  return {
    height: header.height,
    hash: toHex(hashHeader(header)),
    timestampMs: header.timestampMs,
    proposer: toHex(header.proposer),
    view: header.view,
    txCount,
  };
}

export function blockJson(
  header: BlockHeader,
  txs: readonly Uint8Array[],
  certificate: CommitCertificate | undefined,
  receipts: readonly Receipt[],
  validators: ValidatorSet,
): BlockJson {
  return {
    header: headerJson(header),
    certificate: certificate ? certificateJson(certificate, validators) : null,
    transactions: txs.map(encodedTransactionJson),
    receipts: receipts.map(receiptJson),
  };
}
