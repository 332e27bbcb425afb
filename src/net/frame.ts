/**
 * Length-prefixed frames on a byte stream: a 4-byte big-endian payload length,
 * then the payload. The payload is an RLP envelope (see `wire.ts`); this file
 * knows nothing about it.
 *
 * A zero length or a length above the decoder's current limit is a protocol
 * error (`DecodeError`, codes `NET_FRAME_EMPTY` / `NET_FRAME_TOO_LARGE`): the
 * caller must close the session, because the stream can no longer be trusted to
 * be aligned on frame boundaries.
 */
import { assert, DecodeError } from '../errors.ts';

/**
 * Largest frame payload accepted from an authenticated peer: a PRE-PREPARE
 * carrying a full block, or a state-sync chunk, must fit.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Prepends the 4-byte big-endian length. `payload` must be 1..MAX_FRAME_BYTES bytes. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  assert(payload.length > 0 && payload.length <= MAX_FRAME_BYTES, `frame payload of ${payload.length} bytes`);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  new DataView(frame.buffer).setUint32(0, payload.length, false);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Incremental decoder for a stream cut into arbitrary chunks (TCP may split a
 * frame into many reads or coalesce many frames into one).
 *
 * Cost is linear in the bytes pushed and memory is bounded by one frame: a
 * payload that lies inside one chunk is returned as a zero-copy view of it; one
 * that spans chunks is copied, as it arrives, into a buffer of exactly its
 * announced length (allocated only after the length passed the limit). Nothing
 * is ever re-concatenated, so 1-byte chunks cost no more per byte than big ones.
 *
 * Returned payloads may be views into the pushed chunks: the caller must not
 * mutate a chunk after pushing it (Node's socket buffers are never reused).
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Payload length of the frame being read, or -1 while its header is incomplete. */
  private pendingLength = -1;
  /** Payload being assembled across chunks (undefined until a frame spans chunks). */
  private partial: Uint8Array | undefined;
  private partialFilled = 0;
  private failed = false;

  constructor(private maxFrameBytes: number) {
    assert(Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0, 'maxFrameBytes must be positive');
  }

  /** Changes the limit for frames whose header has not been read yet (e.g. raised after the handshake). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    assert(Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0, 'maxFrameBytes must be positive');
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.headerFilled + this.partialFilled;
  }

  /**
   * Feeds one chunk and calls `onFrame` with the payload of every frame it
   * completes, in order, synchronously. Each length is checked against the
   * limit in force when its header is read, so `onFrame` may change the limit
   * for the frames after it (the handshake raises it).
   *
   * Throws `DecodeError` on a zero or oversized length. If that happens, or if
   * `onFrame` throws (the exception propagates), the rest of the chunk is lost
   * and the decoder refuses further input: the caller must close the stream.
   */
  push(chunk: Uint8Array, onFrame: (payload: Uint8Array) => void): void {
    if (this.failed) {
      throw new DecodeError('NET_FRAME_STREAM_FAILED', 'the frame stream already failed', {
        hint: 'close the session after the first framing error',
      });
    }
    this.failed = true; // cleared below unless something throws
    let position = 0;
    while (position < chunk.length) {
      if (this.pendingLength < 0) {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFilled, chunk.length - position);
        this.header.set(chunk.subarray(position, position + n), this.headerFilled);
        this.headerFilled += n;
        position += n;
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        this.headerFilled = 0;
        this.pendingLength = this.checkLength(new DataView(this.header.buffer).getUint32(0, false));
      }
      const length = this.pendingLength;
      if (this.partial === undefined && chunk.length - position >= length) {
        position += length;
        this.pendingLength = -1;
        onFrame(chunk.subarray(position - length, position));
        continue;
      }
      this.partial ??= new Uint8Array(length);
      const n = Math.min(length - this.partialFilled, chunk.length - position);
      this.partial.set(chunk.subarray(position, position + n), this.partialFilled);
      this.partialFilled += n;
      position += n;
      if (this.partialFilled === length) {
        const payload = this.partial;
        this.partial = undefined;
        this.partialFilled = 0;
        this.pendingLength = -1;
        onFrame(payload);
      }
    }
    this.failed = false;
  }

  private checkLength(length: number): number {
    if (length === 0) {
      throw new DecodeError('NET_FRAME_EMPTY', 'peer sent a frame of length 0', {
        hint: 'every frame carries an RLP envelope; the peer is not speaking the Meridian protocol',
      });
    }
    if (length > this.maxFrameBytes) {
      throw new DecodeError(
        'NET_FRAME_TOO_LARGE',
        `peer announced a frame of ${length} bytes; the limit is ${this.maxFrameBytes}`,
        {
          hint: 'MAX_FRAME_BYTES bounds every frame (MAX_HELLO_FRAME_BYTES before the handshake)',
          details: { length, limit: this.maxFrameBytes },
        },
      );
    }
    return length;
  }
}
