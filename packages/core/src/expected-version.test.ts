import { describe, expect, it } from 'vitest';
import { ExpectedVersion, isExpectedVersion, matchesExpectedVersion } from './expected-version';

describe('isExpectedVersion', () => {
  it.each([0, 1, 42, Number.MAX_SAFE_INTEGER, 'no_stream', 'stream_exists', 'any'])('accepts %s', (value) => {
    expect(isExpectedVersion(value)).toBe(true);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '1', 'latest', 'ANY', null, undefined, {}, [1]])(
    'refuses %s',
    (value) => {
      expect(isExpectedVersion(value)).toBe(false);
    },
  );
});

describe('matchesExpectedVersion', () => {
  // [expected, actual stream version (0 = missing), matches]
  it.each<[ExpectedVersion, number, boolean]>([
    ['any', 0, true],
    ['any', 7, true],
    ['no_stream', 0, true],
    ['no_stream', 1, false],
    ['stream_exists', 0, false],
    ['stream_exists', 1, true],
    [0, 0, true],
    [0, 1, false],
    [3, 3, true],
    [3, 2, false],
    [3, 4, false],
  ])('expected %s at version %i -> %s', (expected, actual, matches) => {
    expect(matchesExpectedVersion(expected, actual)).toBe(matches);
  });

  it('names the string forms', () => {
    expect(ExpectedVersion).toEqual({ noStream: 'no_stream', streamExists: 'stream_exists', any: 'any' });
  });
});
