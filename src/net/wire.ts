/**
 * The session protocol spoken inside each frame: one RLP envelope per frame.
 *
 *   hello    first frame each side sends after TLS: who I am, signed over the
 *            TLS session's exported keying material (see `handshake.ts`)
 *   welcome  "I checked your hello and admit you"; a side treats the session as
 *            open only once it has both admitted the peer's hello and received
 *            the peer's welcome, so neither side reports a peer that the other
 *            refused
 *   message  an opaque application payload (the transport never looks inside)
 *   deflated a `message` whose payload is compressed with raw DEFLATE (`compression.ts`);
 *            the receiver inflates it and delivers the payload as if it came plain
 *   ping     keepalive / round-trip probe; answered by `pong` with the same nonce
 *   goodbye  the reason a side is closing (a stable error code and a message)
 *
 * Wire format: the variant tags and field order are part of the protocol.
 * Never reorder; change `PROTOCOL_VERSION` instead.
 */

import { MAX_CHAIN_ID_BYTES } from '../chain/header.ts';
import { utf8 } from '../codec/bytes.ts';
import {
  encodeRlpItem,
  rlpHeaderLength,
  rlpStringLength,
  writeRlpHeader,
  writeRlpString,
} from '../codec/rlp.ts';
import { bytes, decode, encode, type Infer, struct, text, uint, union } from '../codec/schema.ts';
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.ts';
import { assert } from '../errors.ts';
import { encodeFrame, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './frame.ts';

/** Bumped on any incompatible change of the envelopes below. Peers must match exactly. */
export const PROTOCOL_VERSION = 2;

/** Longest host name (or IP literal) a peer may advertise as its listen address (DNS limit). */
export const MAX_LISTEN_HOST_BYTES = 253;

/** Limit on frames before the handshake completes: an unauthenticated peer cannot make us buffer more. */
export const MAX_HELLO_FRAME_BYTES = 1024;

export const MAX_GOODBYE_CODE_BYTES = 64;
export const MAX_GOODBYE_REASON_BYTES = 512;

/**
 * RLP overhead of a `message` envelope around its payload: list header (≤ 5) +
 * tag (8) + body list header (≤ 5) + byte-string header (≤ 5). 64 leaves room.
 */
const MESSAGE_ENVELOPE_OVERHEAD_BYTES = 64;

/** Largest application payload `send`/`broadcast` accept: it must fit a frame with its envelope. */
export const MAX_MESSAGE_BYTES = MAX_FRAME_BYTES - MESSAGE_ENVELOPE_OVERHEAD_BYTES;

export const HelloBodyCodec = struct({
  version: uint,
  chainId: text(MAX_CHAIN_ID_BYTES),
  publicKey: bytes({ length: PUBLIC_KEY_BYTES }),
  listenHost: text(MAX_LISTEN_HOST_BYTES),
  listenPort: uint,
});

export type HelloBody = Infer<typeof HelloBodyCodec>;

export const EnvelopeCodec = union({
  hello: struct({ body: HelloBodyCodec, signature: bytes({ length: SIGNATURE_BYTES }) }),
  welcome: struct({}),
  message: struct({ payload: bytes({ maxLength: MAX_MESSAGE_BYTES }) }),
  ping: struct({ nonce: uint }),
  pong: struct({ nonce: uint }),
  goodbye: struct({ code: text(MAX_GOODBYE_CODE_BYTES), reason: text(MAX_GOODBYE_REASON_BYTES) }),
  deflated: struct({ payload: bytes({ maxLength: MAX_MESSAGE_BYTES }) }),
});

export type Envelope = Infer<typeof EnvelopeCodec>;

/** The envelopes that carry an application payload: plain, or compressed (`compression.ts`). */
export type PayloadEnvelope = 'message' | 'deflated';

const PAYLOAD_TAG_RLP: Record<PayloadEnvelope, Uint8Array> = {
  message: encodeRlpItem(utf8('message')),
  deflated: encodeRlpItem(utf8('deflated')),
};

/**
 * Exact size of the frame `encodeMessageFrame(payload, kind)` returns, without
 * building it (a full queue is detected before any copy is made).
 */
export function messageFrameBytes(payload: Uint8Array, kind: PayloadEnvelope = 'message'): number {
  const bodyLength = rlpStringLength(payload);
  const envelopeContentLength = PAYLOAD_TAG_RLP[kind].length + rlpHeaderLength(bodyLength) + bodyLength;
  const frameBytes = FRAME_HEADER_BYTES + rlpHeaderLength(envelopeContentLength) + envelopeContentLength;
  assert(
    frameBytes - FRAME_HEADER_BYTES <= MAX_FRAME_BYTES,
    'payloads are checked against MAX_MESSAGE_BYTES first',
  );
  return frameBytes;
}

/**
 * The frame of a `message` (or `deflated`) envelope, byte-identical to
 * `encodeEnvelopeFrame({ type: kind, payload })` (a property test checks
 * it) but built in one allocation with one copy of the payload: this is the
 * hot path, and the generic encoder copies the payload three times.
 */
export function encodeMessageFrame(payload: Uint8Array, kind: PayloadEnvelope = 'message'): Uint8Array {
  const tag = PAYLOAD_TAG_RLP[kind];
  const frame = new Uint8Array(messageFrameBytes(payload, kind));
  const bodyLength = rlpStringLength(payload);
  const envelopeContentLength = tag.length + rlpHeaderLength(bodyLength) + bodyLength;
  new DataView(frame.buffer).setUint32(0, frame.length - FRAME_HEADER_BYTES, false);
  let offset = writeRlpHeader(frame, FRAME_HEADER_BYTES, envelopeContentLength, 0xc0);
  frame.set(tag, offset);
  offset = writeRlpHeader(frame, offset + tag.length, bodyLength, 0xc0);
  offset = writeRlpString(frame, offset, payload);
  assert(offset === frame.length, 'messageFrameBytes agrees with the encoding');
  return frame;
}

/** The envelope as a ready-to-write frame (length prefix included). */
export function encodeEnvelopeFrame(envelope: Envelope): Uint8Array {
  return encodeFrame(encode(EnvelopeCodec, envelope));
}

/** Decodes one frame payload; throws `DecodeError` on anything malformed. */
export function decodeEnvelope(payload: Uint8Array): Envelope {
  return decode(EnvelopeCodec, payload, 'frame', MAX_FRAME_BYTES);
}

/** Cuts a goodbye text down to its wire limit (on a character boundary). */
export function clipText(value: string, maxBytes: number): string {
  let out = value.slice(0, maxBytes);
  while (Buffer.byteLength(out, 'utf8') > maxBytes) out = out.slice(0, Math.max(0, out.length - 16));
  return out;
}
