import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../codec/bytes.ts';
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, MAX_FRAME_BYTES } from './frame.ts';

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (payload) => frames.push(payload));
  return frames;
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.slice(start, point));
    start = point;
  }
  return chunks;
}

const payloads = fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 });

describe('frames', () => {
  it('prefix the payload with its 4-byte big-endian length', () => {
    expect([...encodeFrame(Uint8Array.of(9, 8, 7))]).toEqual([0, 0, 0, 3, 9, 8, 7]);
    const big = encodeFrame(new Uint8Array(0x012345));
    expect([...big.subarray(0, FRAME_HEADER_BYTES)]).toEqual([0, 0x01, 0x23, 0x45]);
  });

  it('decode exactly the frames encoded, however the stream is cut (property)', () => {
    fc.assert(
      fc.property(payloads, fc.array(fc.nat(), { maxLength: 40 }), (frames, offsets) => {
        const stream = concatBytes(...frames.map(encodeFrame));
        const decoded = decodeAll(new FrameDecoder(1024), cut(stream, offsets));
        expect(decoded.map((f) => [...f])).toEqual(frames.map((f) => [...f]));
      }),
    );
  });

  it('decode a stream delivered one byte at a time', () => {
    fc.assert(
      fc.property(payloads, (frames) => {
        const stream = concatBytes(...frames.map(encodeFrame));
        const oneByteChunks = Array.from(stream, (byte) => Uint8Array.of(byte));
        const decoder = new FrameDecoder(1024);
        expect(decodeAll(decoder, oneByteChunks).map((f) => [...f])).toEqual(frames.map((f) => [...f]));
        expect(decoder.bufferedBytes).toBe(0);
      }),
    );
  });

  it('decode many frames coalesced into one chunk, as zero-copy views', () => {
    const frames = Array.from({ length: 1000 }, (_, i) => Uint8Array.of(i & 255, (i >> 8) & 255));
    const stream = concatBytes(...frames.map(encodeFrame));
    const decoded = decodeAll(new FrameDecoder(16), [stream]);
    expect(decoded).toHaveLength(1000);
    expect(decoded.map((f) => [...f])).toEqual(frames.map((f) => [...f]));
    expect(decoded[500]!.buffer).toBe(stream.buffer);
  });

  it('reassemble a large frame split across many chunks with one buffer of its size', () => {
    const payload = new Uint8Array(1024 * 1024).map((_, i) => i * 31);
    const stream = encodeFrame(payload);
    const chunks = cut(
      stream,
      Array.from({ length: 300 }, (_, i) => i * 3517 + 1),
    );
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    let partialMax = 0;
    const frames: Uint8Array[] = [];
    for (const chunk of chunks) {
      decoder.push(chunk, (frame) => frames.push(frame));
      partialMax = Math.max(partialMax, decoder.bufferedBytes);
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.length).toBe(payload.length);
    expect(frames[0]!.every((byte, i) => byte === payload[i])).toBe(true);
    expect(partialMax).toBeLessThanOrEqual(payload.length);
  });

  it('treat a zero length as a protocol error, and refuse input after it', () => {
    const decoder = new FrameDecoder(1024);
    expect(() => decodeAll(decoder, [Uint8Array.of(0, 0, 0, 0)])).toThrow(
      expect.objectContaining({ code: 'NET_FRAME_EMPTY' }),
    );
    expect(() => decodeAll(decoder, [encodeFrame(Uint8Array.of(1))])).toThrow(
      expect.objectContaining({ code: 'NET_FRAME_STREAM_FAILED' }),
    );
  });

  it('treat a length over the limit as a protocol error as soon as the header is in', () => {
    const decoder = new FrameDecoder(1024);
    const frames: Uint8Array[] = [];
    // A valid frame first, then a header announcing 1025 bytes, split mid-header.
    decoder.push(concatBytes(encodeFrame(Uint8Array.of(1)), Uint8Array.of(0, 0)), (f) => frames.push(f));
    expect(frames).toHaveLength(1);
    expect(() => decoder.push(Uint8Array.of(0x04, 0x01), () => {})).toThrow(
      expect.objectContaining({ code: 'NET_FRAME_TOO_LARGE' }),
    );
    expect(() =>
      new FrameDecoder(MAX_FRAME_BYTES).push(Uint8Array.of(0xff, 0xff, 0xff, 0xff), () => {}),
    ).toThrow(expect.objectContaining({ code: 'NET_FRAME_TOO_LARGE' }));
  });

  it('apply a limit raised by the frame callback to the frames after it', () => {
    const decoder = new FrameDecoder(8);
    const stream = concatBytes(encodeFrame(Uint8Array.of(1)), encodeFrame(new Uint8Array(100)));
    const sizes: number[] = [];
    decoder.push(stream, (frame) => {
      sizes.push(frame.length);
      decoder.setMaxFrameBytes(1000);
    });
    expect(sizes).toEqual([1, 100]);
  });

  it('stop and poison the stream when the frame callback throws', () => {
    const decoder = new FrameDecoder(8);
    const stream = concatBytes(encodeFrame(Uint8Array.of(1)), encodeFrame(Uint8Array.of(2)));
    const seen: number[] = [];
    expect(() =>
      decoder.push(stream, (frame) => {
        seen.push(frame[0]!);
        throw new Error('bad envelope');
      }),
    ).toThrow('bad envelope');
    expect(seen).toEqual([1]);
    expect(() => decoder.push(Uint8Array.of(0), () => {})).toThrow(
      expect.objectContaining({ code: 'NET_FRAME_STREAM_FAILED' }),
    );
  });
});
