import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from './errors';
import { toJsonText } from './json-text';
import { errorOf } from '../test/error-of';

describe('toJsonText', () => {
  it('serialises plain JSON values as jsonb keeps them', () => {
    expect(toJsonText('state', { a: 1, b: [true, null], c: undefined })).toBe('{"a":1,"b":[true,null]}');
  });

  it.each([
    ['a BigInt', { n: 1n }, /state is not JSON-serialisable \(BigInt at "n"\)/],
    ['NaN', { n: Number.NaN }, /NaN at "n"/],
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o['self'] = o; return o; })(), /not JSON-serialisable/],
    ['undefined', undefined, /state is undefined or a function/],
    ['a NUL character', { s: 'a\u0000b' }, /NUL character/],
  ])('refuses %s with an InvalidArgumentError naming the value', (_label, value, message) => {
    const error = errorOf(() => toJsonText('state', value));
    expect(isInvalidArgumentError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});
