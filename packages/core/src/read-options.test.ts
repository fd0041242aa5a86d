import { describe, expect, it } from 'vitest';
import { isInvalidArgumentError } from './errors';
import { START } from './event-store';
import {
  DEFAULT_READ_ALL_LIMIT,
  DEFAULT_WAIT_TIMEOUT_MS,
  MAX_READ_PAGE,
  pageSize,
  parseCheckpoint,
  parseReadAllOptions,
  parseReadStreamOptions,
  parseWaitOptions,
  stringList,
} from './read-options';
import { errorOf } from '../test/error-of';

describe('read options shared by every store', () => {
  it('fills in readStream defaults and treats fromVersion 0 as the start', () => {
    expect(parseReadStreamOptions(undefined)).toEqual({
      direction: 'forwards',
      fromVersion: 1,
      toVersion: Number.MAX_SAFE_INTEGER,
      asOf: undefined,
      limit: Number.MAX_SAFE_INTEGER,
    });
    expect(parseReadStreamOptions({ fromVersion: 0, toVersion: 0 })).toMatchObject({ fromVersion: 1, toVersion: 0 });
  });

  it('fills in readAll defaults and drops duplicate types', () => {
    expect(parseReadAllOptions({ types: ['A', 'B', 'A'] })).toEqual({
      after: START,
      limit: DEFAULT_READ_ALL_LIMIT,
      types: ['A', 'B'],
      streamTypes: undefined,
    });
  });

  it('names the bad option in the InvalidArgumentError', () => {
    const error = errorOf(() => parseReadStreamOptions({ toVersion: -1 }));
    expect(isInvalidArgumentError(error)).toBe(true);
    expect((error as Error).message).toBe('Invalid toVersion -1: use an integer >= 0.');
    expect((errorOf(() => pageSize('limit', MAX_READ_PAGE + 1)) as Error).message).toBe('Invalid limit 100001: use at most 100000 per page.');
    expect((errorOf(() => stringList('types', 'A')) as Error).message).toBe('Invalid types "A": use an array of strings.');
    expect((errorOf(() => parseCheckpoint({ transactionId: 1 })) as Error).message).toMatch(/^Invalid checkpoint \{"transactionId":1\}/);
  });

  it('checks waitForEvents options', () => {
    expect(parseWaitOptions(undefined)).toEqual({ timeoutMs: DEFAULT_WAIT_TIMEOUT_MS, signal: undefined });
    expect((errorOf(() => parseWaitOptions({ timeoutMs: Number.NaN })) as Error).message).toBe(
      'Invalid timeoutMs NaN: use a finite number of milliseconds >= 0.',
    );
    expect(isInvalidArgumentError(errorOf(() => parseWaitOptions({ signal: {} as AbortSignal })))).toBe(true);
  });
});
