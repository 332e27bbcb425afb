import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../codec/bytes.ts';
import { anchorWorldStateKey, encodeAnchorState } from '../modules/provenance/anchor-state.ts';
import { readableStateValue } from './state-value.ts';

describe('readableStateValue', () => {
  it('decodes a provenance anchor record, whose stored form is RLP', () => {
    const state = {
      kind: 'anchored',
      hash: `0x${'ab'.repeat(32)}`,
      version: 2,
      height: 41,
      owner: `0x${'cd'.repeat(32)}`,
      blocks: [12, 41],
    } as const;
    const shown = readableStateValue(
      toHex(anchorWorldStateKey('geo://city/roads/7')).toUpperCase().replace('0X', '0x'),
      toHex(encodeAnchorState(state)),
    );
    expect(JSON.parse(shown)).toEqual(state);
    expect(JSON.parse(readableStateValue(toHex(anchorWorldStateKey('geo://city')), '0xc0'))).toEqual({
      kind: 'path',
    });
  });

  it('shows other values as text when they are UTF-8, else as hex', () => {
    expect(readableStateValue(toHex(utf8('kv/hello')), toHex(utf8('world')))).toBe('world');
    expect(readableStateValue(toHex(utf8('kv/bin')), '0xfffe00')).toBe('0xfffe00');
    // Under the provenance prefix but not an anchor record: not decoded as one.
    expect(readableStateValue(toHex(anchorWorldStateKey('geo://x')), toHex(utf8('plain')))).toBe('plain');
  });
});
