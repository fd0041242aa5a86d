import { parseReadStreamOptions as parseStreamRange, type ParsedStreamRange, type ReadStreamOptions } from '@eventfold/core';

// The option checks are core's, shared by every store; this adds what is particular to PostgreSQL.
export {
  pageSize,
  parseCheckpoint,
  parseReadAllOptions,
  parseWaitOptions,
  positiveInteger,
  stringList,
} from '@eventfold/core';

/** Events per round trip when `readStream` pages through a long stream. */
export const DEFAULT_STREAM_PAGE_SIZE = 1000;

/** Versions are int4 in the table: larger bounds mean "to the end". */
const MAX_VERSION = 2_147_483_647;

export function parseReadStreamOptions(options: ReadStreamOptions | undefined): ParsedStreamRange {
  const range = parseStreamRange(options);
  return { ...range, fromVersion: Math.min(range.fromVersion, MAX_VERSION), toVersion: Math.min(range.toVersion, MAX_VERSION) };
}
