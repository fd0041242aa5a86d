/**
 * What the caller believes about a stream before appending:
 * - a number: the stream's current version must equal it (0 = the stream must not exist);
 * - `'no_stream'`: the stream must not exist;
 * - `'stream_exists'`: the stream must exist, any version;
 * - `'any'`: no check.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export const ExpectedVersion = {
  noStream: 'no_stream',
  streamExists: 'stream_exists',
  any: 'any',
} as const satisfies Record<string, ExpectedVersion>;

export function isExpectedVersion(value: unknown): value is ExpectedVersion {
  return (
    value === 'no_stream' ||
    value === 'stream_exists' ||
    value === 'any' ||
    (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
  );
}

/** Does a stream at `actual` (0 = missing) satisfy `expected`? */
export function matchesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 0;
    case 'stream_exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}
