import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './frame.ts';
import { decodeEnvelope, encodeEnvelopeFrame, encodeMessageFrame, MAX_MESSAGE_BYTES } from './wire.ts';

const sizesAroundRlpBoundaries = fc.oneof(
  fc.constantFrom(0, 1, 55, 56, 57, 255, 256, 65_535, 65_536, 70_000),
  fc.nat(2048),
);

describe('message frames', () => {
  it('are byte-identical to the generic envelope encoding, plain and deflated (property)', () => {
    fc.assert(
      fc.property(sizesAroundRlpBoundaries, fc.nat(255), (size, fill) => {
        const payload = new Uint8Array(size).fill(fill);
        expect(encodeMessageFrame(payload)).toEqual(encodeEnvelopeFrame({ type: 'message', payload }));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 }), (payload) => {
        expect(encodeMessageFrame(payload)).toEqual(encodeEnvelopeFrame({ type: 'message', payload }));
      }),
    );
    fc.assert(
      fc.property(sizesAroundRlpBoundaries, fc.nat(255), (size, fill) => {
        const payload = new Uint8Array(size).fill(fill);
        expect(encodeMessageFrame(payload, 'deflated')).toEqual(
          encodeEnvelopeFrame({ type: 'deflated', payload }),
        );
      }),
    );
  });

  it('fit a frame at the largest allowed payload, and decode back', () => {
    const payload = new Uint8Array(MAX_MESSAGE_BYTES).fill(3);
    const frame = encodeMessageFrame(payload);
    let decoded: ReturnType<typeof decodeEnvelope> | undefined;
    new FrameDecoder(frame.length).push(frame, (p) => {
      decoded = decodeEnvelope(p);
    });
    expect(decoded?.type).toBe('message');
    if (decoded?.type === 'message') expect(decoded.payload.length).toBe(MAX_MESSAGE_BYTES);
  });
});
