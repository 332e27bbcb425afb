import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValidationError } from '../../../errors.ts';
import { type AttributeRule, BUILDING_RULES, parseNumber, resolveAttribute, validateRules } from './rules.ts';

const plain: AttributeRule = { key: 'name', policy: 'authoritative' };
const newer: AttributeRule = { key: 'height', policy: 'newer', numericTolerance: 0.5 };

describe('attribute resolution (the table in rules.ts)', () => {
  it.each([
    [
      'only authoritative → kept',
      'A',
      undefined,
      plain,
      false,
      { operation: 'kept', from: 'authoritative', value: 'A' },
    ],
    ['only OSM → added', null, 'O', plain, false, { operation: 'added', from: 'osm', value: 'O' }],
    [
      'blank strings count as absent',
      '  ',
      'O',
      plain,
      false,
      { operation: 'added', from: 'osm', value: 'O' },
    ],
    [
      'agreeing after trim → kept',
      'Mall',
      ' Mall ',
      plain,
      true,
      { operation: 'kept', from: 'authoritative', value: 'Mall' },
    ],
    [
      'conflict, authoritative policy → kept, OSM rejected',
      'A',
      'O',
      plain,
      true,
      { operation: 'kept', from: 'authoritative', value: 'A', rejectedValue: 'O' },
    ],
    [
      'numeric within tolerance → kept',
      12,
      '12.4 m',
      newer,
      true,
      { operation: 'kept', from: 'authoritative', value: 12 },
    ],
    [
      'numeric conflict, OSM newer → updated',
      12,
      '15',
      newer,
      true,
      { operation: 'updated', from: 'osm', value: 15, oldValue: 12, parsedNumber: true },
    ],
    [
      'numeric conflict, OSM older → kept, rejected',
      12,
      '15',
      newer,
      false,
      { operation: 'kept', from: 'authoritative', value: 12, rejectedValue: '15' },
    ],
    [
      'unparseable OSM number never wins',
      12,
      'tall',
      newer,
      true,
      { operation: 'kept', from: 'authoritative', value: 12, rejectedValue: 'tall' },
    ],
    ['unparseable OSM number alone → nothing', undefined, 'tall', newer, true, null],
    ['nothing on either side → nothing', undefined, null, plain, true, null],
  ] as const)('%s', (_name, a, o, rule, osmIsNewer, expected) => {
    expect(resolveAttribute(a, o, rule, osmIsNewer)).toEqual(expected);
  });

  it('the authoritative policy never lets OSM overwrite a present value', () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean());
    fc.assert(
      fc.property(scalar, scalar, fc.boolean(), (a, o, newerFlag) => {
        const r = resolveAttribute(a, o, plain, newerFlag);
        if (typeof a === 'string' && a.trim() === '') return;
        expect(r).toMatchObject({ operation: 'kept', value: a });
      }),
    );
  });

  it('parses OSM number conventions', () => {
    expect([
      parseNumber('12'),
      parseNumber('12.5 m'),
      parseNumber(' 3 '),
      parseNumber('12,5'),
      parseNumber('~10'),
      parseNumber(true),
    ]).toEqual([12, 12.5, 3, null, null, null]);
  });
});

describe('rule validation', () => {
  it('accepts the building rules and fills in default keys', () => {
    const rules = validateRules(BUILDING_RULES);
    expect(rules.find((r) => r.key === 'name')).toEqual({
      key: 'name',
      authoritativeKey: 'name',
      osmKey: 'name',
      policy: 'authoritative',
    });
  });

  it('rejects malformed or overlapping rules', () => {
    const code = (rules: unknown) => {
      try {
        validateRules(rules as AttributeRule[]);
      } catch (e) {
        return (e as ValidationError).code;
      }
      return undefined;
    };
    expect(code([{ key: 'a', policy: 'latest' }])).toBe('BAD_MERGE_RULES');
    expect(code([{ key: 'a', policy: 'newer', numericTolerance: -1 }])).toBe('BAD_MERGE_RULES');
    expect(
      code([
        { key: 'a', policy: 'newer' },
        { key: 'b', osmKey: 'a', policy: 'newer' },
      ]),
    ).toBe('BAD_MERGE_RULES');
    expect(code('rules')).toBe('BAD_MERGE_RULES');
  });
});
