import { describe, expect, it } from 'vitest';
import { MAX_SQL_PARAMS, toSqlParams } from './sql-values.ts';

describe('toSqlParams', () => {
  it('converts bigint, Date and plain objects; keeps bytes, scalars and nulls; recurses into arrays', () => {
    const bytes = new Uint8Array([0, 1]);
    expect(
      toSqlParams([
        12n,
        new Date('2024-01-02T03:04:05.006Z'),
        { a: [1, null] },
        Object.assign(Object.create(null), { b: 2 }),
        bytes,
        'text',
        1.5,
        false,
        null,
        undefined,
        [1n, new Date(0), null, [bytes]],
      ]),
    ).toEqual([
      '12',
      '2024-01-02T03:04:05.006Z',
      '{"a":[1,null]}',
      '{"b":2}',
      bytes,
      'text',
      1.5,
      false,
      null,
      null,
      ['1', '1970-01-01T00:00:00.000Z', null, [bytes]],
    ]);
    expect(toSqlParams(undefined)).toEqual([]);
  });

  it('refuses values without a SQL form, naming the parameter', () => {
    expect(() => toSqlParams([1, new Set()])).toThrow(expect.objectContaining({ code: 'SQL_BAD_PARAMS' }));
    expect(() => toSqlParams([1, [2, () => 3]])).toThrow(/\$2\[1\]/);
    expect(() => toSqlParams([new Date('nope')])).toThrow(/invalid Date/);
    expect(() => toSqlParams('abc' as unknown as unknown[])).toThrow(
      expect.objectContaining({ code: 'SQL_BAD_PARAMS' }),
    );
  });

  it(`accepts ${MAX_SQL_PARAMS} parameters and refuses one more`, () => {
    expect(toSqlParams(new Array(MAX_SQL_PARAMS).fill(1))).toHaveLength(MAX_SQL_PARAMS);
    expect(() => toSqlParams(new Array(MAX_SQL_PARAMS + 1).fill(1))).toThrow(/MAX_SQL_PARAMS/);
  });
});
