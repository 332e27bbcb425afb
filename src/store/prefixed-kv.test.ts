import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { MAX_KEY_BYTES } from './kv-checks.ts';
import { openMemoryKv } from './memory-kv.ts';
import { prefixEnd, prefixedKv } from './prefixed-kv.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('prefixEnd', () => {
  it('is the smallest key above every key with the prefix', () => {
    expect(prefixEnd(bytes(0x01))).toEqual(bytes(0x02));
    expect(prefixEnd(bytes(0x01, 0xff))).toEqual(bytes(0x02));
    expect(prefixEnd(bytes(0x01, 0xfe, 0xff, 0xff))).toEqual(bytes(0x01, 0xff));
    expect(prefixEnd(bytes(0xff, 0xff))).toBeUndefined();
  });
});

describe('PrefixedKvStore', () => {
  it('namespaces keys: views do not see each other, the inner store sees the prefixed keys', async () => {
    const inner = await openMemoryKv();
    const blocks = prefixedKv(inner, utf8('b/'));
    const wal = prefixedKv(inner, utf8('w/'));
    await blocks.put(utf8('1'), utf8('block one'));
    await wal.put(utf8('1'), utf8('wal one'));
    expect(blocks.get(utf8('1'))).toEqual(utf8('block one'));
    expect(wal.get(utf8('1'))).toEqual(utf8('wal one'));
    expect(inner.get(utf8('b/1'))).toEqual(utf8('block one'));
    expect([...blocks.iterate()].map(([k]) => toHex(k))).toEqual([toHex(utf8('1'))]);
    await wal.del(utf8('1'));
    expect(blocks.has(utf8('1'))).toBe(true);
    expect(inner.has(utf8('w/1'))).toBe(false);
  });

  it('stays inside an all-0xff prefix, which has no upper bound', async () => {
    const inner = await openMemoryKv();
    await inner.write([
      { type: 'put', key: bytes(0xff), value: bytes(1) },
      { type: 'put', key: bytes(0xfe, 0xff, 0xff), value: bytes(2) },
      { type: 'put', key: bytes(0xff, 0xff), value: bytes(3) }, // the prefix itself: an empty key in the view
    ]);
    const view = prefixedKv(inner, bytes(0xff, 0xff));
    await view.put(bytes(0x00), bytes(4));
    await view.put(bytes(0xff), bytes(5));
    expect([...view.iterate()].map(([k, v]) => [toHex(k), toHex(v)])).toEqual([
      ['0x00', '0x04'],
      ['0xff', '0x05'],
    ]);
    expect([...view.iterate({ reverse: true })].map(([k]) => toHex(k))).toEqual(['0xff', '0x00']);
  });

  it('closing a view leaves the inner store and other views open', async () => {
    const inner = await openMemoryKv();
    const a = prefixedKv(inner, bytes(1));
    const b = prefixedKv(inner, bytes(2));
    await a.close();
    expect(() => a.get(bytes(1))).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
    await b.put(bytes(1), bytes(1));
    expect(inner.get(bytes(2, 1))).toEqual(bytes(1));
    await inner.close();
    expect(() => b.get(bytes(1))).toThrow(expect.objectContaining({ code: 'STORE_CLOSED' }));
  });

  it('nests, each level taking its prefix off the key limit', async () => {
    const inner = await openMemoryKv();
    const outer = prefixedKv(inner, bytes(1, 2));
    const nested = prefixedKv(outer, bytes(3));
    expect(nested.maxKeyBytes).toBe(MAX_KEY_BYTES - 3);
    await nested.put(bytes(9), bytes(9));
    expect(inner.get(bytes(1, 2, 3, 9))).toEqual(bytes(9));
    await expect(nested.put(new Uint8Array(MAX_KEY_BYTES - 2), bytes(1))).rejects.toMatchObject({
      code: 'KV_KEY_TOO_LARGE',
    });
  });

  it('refuses an empty or oversized prefix with KV_BAD_PREFIX', async () => {
    const inner = await openMemoryKv();
    expect(() => prefixedKv(inner, new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'KV_BAD_PREFIX' }),
    );
    expect(() => prefixedKv(inner, new Uint8Array(MAX_KEY_BYTES))).toThrow(
      expect.objectContaining({ code: 'KV_BAD_PREFIX' }),
    );
  });
});
