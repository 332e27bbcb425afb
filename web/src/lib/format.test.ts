import { describe, expect, it } from 'vitest';
import {
  decodeHexPayload,
  formatBytes,
  formatInteger,
  formatRate,
  formatSeconds,
  shortHash,
  textToHex,
  timeAgo,
} from './format.ts';

describe('shortHash', () => {
  it('keeps the head and tail of a long hash', () => {
    expect(shortHash(`0x${'ab'.repeat(32)}`)).toBe('0xababab…abab');
  });
  it('leaves short or non-hex strings alone', () => {
    expect(shortHash('0x1234')).toBe('0x1234');
    expect(shortHash('validator-0')).toBe('validator-0');
  });
});

describe('timeAgo', () => {
  it('speaks in the largest sensible unit', () => {
    const now = 1_000_000_000;
    expect(timeAgo(now - 500, now)).toBe('just now');
    expect(timeAgo(now - 12_000, now)).toBe('12 s ago');
    expect(timeAgo(now - 185_000, now)).toBe('3 min ago');
    expect(timeAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
    expect(timeAgo(now - 72 * 3_600_000, now)).toBe('3 d ago');
  });
});

describe('numbers', () => {
  it('groups integers without depending on the locale', () => {
    expect(formatInteger(0)).toBe('0');
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(-1000)).toBe('-1,000');
  });
  it('gives rates a precision that fits their size', () => {
    expect(formatRate(0)).toBe('0');
    expect(formatRate(0.4)).toBe('0.4');
    expect(formatRate(12.54)).toBe('12.5');
    expect(formatRate(1250.4)).toBe('1,250');
  });
  it('formats durations and sizes', () => {
    expect(formatSeconds(0.0123)).toBe('12 ms');
    expect(formatSeconds(1.25)).toBe('1.25 s');
    expect(formatSeconds(125)).toBe('2 min 5 s');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});

describe('decodeHexPayload', () => {
  it('decodes JSON payloads', () => {
    const decoded = decodeHexPayload(textToHex('{"key":"a","value":"b"}'));
    expect(decoded).toEqual({ kind: 'json', value: { key: 'a', value: 'b' }, bytes: 23 });
  });
  it('falls back to text, then to bytes', () => {
    expect(decodeHexPayload(textToHex('hello'))).toEqual({ kind: 'text', value: 'hello', bytes: 5 });
    expect(decodeHexPayload('0xff00')).toEqual({ kind: 'binary', value: '0xff00', bytes: 2 });
    expect(decodeHexPayload('0x0001')).toEqual({ kind: 'binary', value: '0x0001', bytes: 2 });
    expect(decodeHexPayload('0x')).toEqual({ kind: 'empty', bytes: 0 });
    expect(decodeHexPayload(null)).toEqual({ kind: 'empty', bytes: 0 });
  });
});
