import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { paramTexts, supportsTextRows, toParamText } from './pg-text-rows';

describe('toParamText', () => {
  it('sends strings as they are, numbers and booleans in SQL spelling, null and undefined as NULL', () => {
    expect(toParamText("it's {a,b} \"q\" \\")).toBe("it's {a,b} \"q\" \\");
    expect(toParamText(42)).toBe('42');
    expect(toParamText(-1.5)).toBe('-1.5');
    expect(toParamText(9007199254740993n)).toBe('9007199254740993');
    expect(toParamText(true)).toBe('true');
    expect(toParamText(null)).toBeNull();
    expect(toParamText(undefined)).toBeNull();
  });

  it('quotes every array element, escaping quotes and backslashes, and spells a null element NULL', () => {
    expect(toParamText([])).toBe('{}');
    expect(toParamText(['a', 'b,c', '{d}', 'say "hi"', 'back\\slash', null, 'NULL'])).toBe(
      '{"a","b,c","{d}","say \\"hi\\"","back\\\\slash",NULL,"NULL"}',
    );
    expect(toParamText([1, 2, 3])).toBe('{"1","2","3"}');
    expect(toParamText([['a'], ['b']])).toBe('{{"a"},{"b"}}');
  });

  it('refuses values it has no text form for, naming their kind', () => {
    expect(() => toParamText({ a: 1 })).toThrow(/cannot send a \[object Object\] as a text parameter/);
    expect(() => toParamText(new Date(0))).toThrow(/\[object Date\]/);
    expect(() => toParamText(['a', Buffer.from('x')])).toThrow(/\[object Uint8Array\]/);
  });
});

describe('supportsTextRows', () => {
  it('takes a JavaScript pg pool or client, not one in pipeline mode, nor anything else', () => {
    const pool = new pg.Pool();
    expect(supportsTextRows(pool)).toBe(true);
    expect(supportsTextRows(new pg.Client())).toBe(true);
    expect(supportsTextRows(new pg.Pool({ pipeline: true }))).toBe(false);
    expect(supportsTextRows(new pg.Client({ pipeline: true }))).toBe(false);
    // pg.native's client, and any other queryable, routes no protocol messages to a query class.
    expect(supportsTextRows({ query: () => undefined })).toBe(false);
    expect(supportsTextRows({ Client: function NativeClient() {}, options: {} })).toBe(false);
  });
});

describe('paramTexts', () => {
  it('accepts primitives, null, undefined and arrays of them, and leaves the rest to node-postgres', () => {
    expect(paramTexts(['a', 1, 2n, false, null, undefined, ['b', null, [3]], []]) !== undefined).toBe(true);
    expect(paramTexts([]) !== undefined).toBe(true);
    for (const other of [new Date(0), Buffer.from('x'), { a: 1 }, ['a', new Date(0)], { toPostgres: () => 'x' }]) {
      expect(paramTexts(['a', other]) !== undefined).toBe(false);
    }
  });
});
