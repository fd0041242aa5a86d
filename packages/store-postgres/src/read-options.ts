import {
  InvalidArgumentError,
  START,
  type GlobalCheckpoint,
  type ReadAllOptions,
  type ReadDirection,
  type ReadStreamOptions,
  type WaitForEventsOptions,
} from '@eventfold/core';

export const DEFAULT_READ_ALL_LIMIT = 500;
export const DEFAULT_STREAM_PAGE_SIZE = 1000;
export const DEFAULT_WAIT_TIMEOUT_MS = 1000;
const MAX_PAGE = 100_000;

export interface StreamRange {
  readonly direction: ReadDirection;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly asOf: Date | undefined;
  readonly limit: number;
}

export interface FeedQuery {
  readonly after: GlobalCheckpoint;
  readonly limit: number;
  readonly types: readonly string[] | undefined;
  readonly streamTypes: readonly string[] | undefined;
}

export function parseReadStreamOptions(options: ReadStreamOptions | undefined): StreamRange {
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidArgumentError(`Invalid direction ${safeJson(direction)}: use 'forwards' or 'backwards'.`);
  }
  const asOf = options?.asOf;
  if (asOf !== undefined && (!(asOf instanceof Date) || Number.isNaN(asOf.getTime()))) {
    throw new InvalidArgumentError(`Invalid asOf ${String(asOf)}: pass a valid Date.`);
  }
  const fromVersion = positiveInteger('fromVersion', options?.fromVersion) ?? 1;
  // Versions are int4 in the table; larger bounds mean "to the end".
  const toVersion = Math.min(positiveInteger('toVersion', options?.toVersion) ?? 2_147_483_647, 2_147_483_647);
  return {
    direction,
    fromVersion,
    toVersion,
    asOf,
    limit: positiveInteger('limit', options?.limit) ?? Number.MAX_SAFE_INTEGER,
  };
}

export function parseReadAllOptions(options: ReadAllOptions | undefined): FeedQuery {
  return {
    after: parseCheckpoint(options?.after ?? START),
    limit: pageSize('limit', options?.limit) ?? DEFAULT_READ_ALL_LIMIT,
    types: stringList('types', options?.types),
    streamTypes: stringList('streamTypes', options?.streamTypes),
  };
}

export function parseCheckpoint(checkpoint: unknown): GlobalCheckpoint {
  if (typeof checkpoint === 'object' && checkpoint !== null) {
    const { transactionId, position } = checkpoint as Partial<GlobalCheckpoint>;
    if (isNonNegativeInteger(transactionId) && isNonNegativeInteger(position)) return { transactionId, position };
  }
  throw new InvalidArgumentError(
    `Invalid checkpoint ${safeJson(checkpoint)}: use { transactionId, position } with non-negative integers, ` +
      'as returned by readAll, or START.',
  );
}

export function parseWaitOptions(options: WaitForEventsOptions | undefined): {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
} {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new InvalidArgumentError(`Invalid timeoutMs ${String(timeoutMs)}: use a finite number of milliseconds >= 0.`);
  }
  const signal = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('Invalid signal: pass an AbortSignal or leave it out.');
  }
  return { timeoutMs, signal };
}

/** An integer page size from 1 to 100,000, or undefined when not given. */
export function pageSize(name: string, value: unknown): number | undefined {
  const size = positiveInteger(name, value);
  if (size !== undefined && size > MAX_PAGE) {
    throw new InvalidArgumentError(`Invalid ${name} ${size}: use at most ${MAX_PAGE} per page.`);
  }
  return size;
}

export function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an integer >= 1.`);
  }
  return value;
}

export function stringList(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an array of strings.`);
  }
  return [...new Set(value)];
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
