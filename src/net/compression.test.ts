import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../codec/bytes.ts';
import { compressPayload, DEFAULT_COMPRESSION, decompressPayload } from './compression.ts';

describe('message compression', () => {
  it('inflates back to exactly what was compressed (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20_000 }), fc.nat(7), (bytes, repeat) => {
        // Repeating the bytes makes most inputs compressible; random ones mostly stay plain.
        const payload = new Uint8Array(bytes.length * (repeat + 1));
        for (let i = 0; i <= repeat; i++) payload.set(bytes, i * bytes.length);
        const compressed = compressPayload(payload, { minBytes: 1 });
        if (compressed === undefined) return;
        expect(compressed.length).toBeLessThanOrEqual(payload.length - (payload.length >> 3));
        expect(decompressPayload(compressed, payload.length)).toEqual(payload);
      }),
      { numRuns: 200 },
    );
  });

  it('sends small payloads and payloads that barely shrink plain', () => {
    const text = utf8('the same sentence again and again. '.repeat(400));
    expect(compressPayload(text.subarray(0, DEFAULT_COMPRESSION.minBytes - 1), DEFAULT_COMPRESSION)).toBe(
      undefined,
    );
    expect(compressPayload(text, DEFAULT_COMPRESSION)!.length).toBeLessThan(text.length / 10);
    const random = crypto.getRandomValues(new Uint8Array(64 * 1024));
    expect(compressPayload(random, DEFAULT_COMPRESSION)).toBe(undefined);
  });

  it('refuses data that is not raw DEFLATE, that inflates to nothing, or past the limit', () => {
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'accepted';
    };
    expect(code(() => decompressPayload(utf8('plain text, not deflate'), 1024))).toBe('NET_BAD_COMPRESSION');
    // 03 00: a raw DEFLATE stream of zero bytes.
    expect(code(() => decompressPayload(Uint8Array.of(3, 0), 1024))).toBe('NET_BAD_COMPRESSION');
    const ten = compressPayload(new Uint8Array(10_000), { minBytes: 1 })!;
    expect(code(() => decompressPayload(ten, 9_999))).toBe('NET_BAD_COMPRESSION');
    expect(decompressPayload(ten, 10_000)).toEqual(new Uint8Array(10_000));
  });
});
