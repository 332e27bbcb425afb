/**
 * Receipts: what executing a transaction did. Every transaction in a block
 * gets one, successful or not, so every call is auditable (seed 000's
 * "execution log and state data"). The receipts trie (index -> receipt) has
 * its root in the header.
 *
 * Wire format: field order is consensus-critical. Never reorder.
 */
import {
  bytes,
  decode,
  encode,
  hash32,
  type Infer,
  list,
  oneOf,
  struct,
  text,
  uint,
} from '../codec/schema.ts';

export const MAX_EVENTS_PER_TX = 256;
export const MAX_EVENT_DATA_BYTES = 16 * 1024;
export const MAX_RESULT_BYTES = 64 * 1024;
export const MAX_ERROR_MESSAGE_BYTES = 1024;

export const EventCodec = struct({
  module: text(32),
  name: text(64),
  /** Canonical JSON (UTF-8) of the event's data. */
  data: bytes({ maxLength: MAX_EVENT_DATA_BYTES }),
});

export const ReceiptCodec = struct({
  txHash: hash32,
  status: oneOf(['ok', 'error']),
  errorCode: text(64),
  errorMessage: text(MAX_ERROR_MESSAGE_BYTES),
  /** Canonical JSON (UTF-8) of the call's result; empty when there is none. */
  result: bytes({ maxLength: MAX_RESULT_BYTES }),
  events: list(EventCodec, MAX_EVENTS_PER_TX),
  gasUsed: uint,
});

export type ChainEvent = Infer<typeof EventCodec>;
export type Receipt = Infer<typeof ReceiptCodec>;

export function encodeReceipt(receipt: Receipt): Uint8Array {
  return encode(ReceiptCodec, receipt);
}

export function decodeReceipt(input: Uint8Array): Receipt {
  return decode(ReceiptCodec, input, 'receipt');
}
