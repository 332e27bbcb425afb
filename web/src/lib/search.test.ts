import { describe, expect, it } from 'vitest';
import { classifySearch } from './search.ts';

describe('classifySearch', () => {
  it('reads heights', () => {
    expect(classifySearch(' 42 ')).toEqual({ kind: 'height', height: 42 });
    expect(classifySearch('#7')).toEqual({ kind: 'height', height: 7 });
  });
  it('reads 32-byte hashes in lower case', () => {
    const hash = `0x${'AB'.repeat(32)}`;
    expect(classifySearch(hash)).toEqual({ kind: 'hash', hash: hash.toLowerCase() });
  });
  it('reads dataset URIs', () => {
    expect(classifySearch('https://data.example.org/merged')).toEqual({
      kind: 'uri',
      uri: 'https://data.example.org/merged',
    });
    expect(classifySearch('urn:meridian:dataset:1').kind).toBe('uri');
  });
  it('takes anything else as a state key', () => {
    expect(classifySearch('kv/hello')).toEqual({ kind: 'key', key: 'kv/hello' });
    expect(classifySearch('0x1234')).toEqual({ kind: 'key', key: '0x1234' });
    expect(classifySearch('   ')).toEqual({ kind: 'empty' });
  });
});
