import {
  parseReadAllOptions as parseFeedQuery,
  parseReadStreamOptions as parseStreamRange,
  type GlobalCheckpoint,
  type ParsedStreamRange,
  type ReadAllOptions,
  type ReadStreamOptions,
} from '@eventfold/core';

// The option checks are core's, shared by every store; this only shapes them for the memory log.
export { parseCheckpoint } from '@eventfold/core';

export interface StreamRange extends Omit<ParsedStreamRange, 'asOf'> {
  /** Epoch milliseconds, as the log keeps occurredAt. */
  readonly asOf: number | undefined;
}

export interface FeedQuery {
  readonly after: GlobalCheckpoint;
  readonly limit: number;
  readonly types: ReadonlySet<string> | undefined;
  readonly streamTypes: ReadonlySet<string> | undefined;
}

export function parseReadStreamOptions(options: ReadStreamOptions | undefined): StreamRange {
  const range = parseStreamRange(options);
  return { ...range, asOf: range.asOf?.getTime() };
}

export function parseReadAllOptions(options: ReadAllOptions | undefined): FeedQuery {
  const query = parseFeedQuery(options);
  return {
    after: query.after,
    limit: query.limit,
    types: query.types === undefined ? undefined : new Set(query.types),
    streamTypes: query.streamTypes === undefined ? undefined : new Set(query.streamTypes),
  };
}
