import { InvalidArgumentError } from './errors';
import {
  START,
  type GlobalCheckpoint,
  type ReadAllOptions,
  type ReadDirection,
  type ReadStreamOptions,
  type WaitForEventsOptions,
} from './event-store';

/**
 * The checks every event store runs on read options, in one place so that all stores accept and
 * refuse the same input with the same InvalidArgumentError. For store implementers: each store
 * turns the parsed values into its own representation.
 */

/** Events per `readAll` page when the caller gives no limit. */
export const DEFAULT_READ_ALL_LIMIT = 500;
/** The largest page `readAll` (and a store's paged reads) accepts. */
export const MAX_READ_PAGE = 100_000;
/** How long `waitForEvents` waits when the caller gives no timeout. */
export const DEFAULT_WAIT_TIMEOUT_MS = 1000;

/** `readStream` options, checked, with defaults filled in. */
export interface ParsedStreamRange {
  readonly direction: ReadDirection;
  /** From this version (1 or more: `fromVersion: 0` means from the start too). */
  readonly fromVersion: number;
  /** To this version, inclusive (`Number.MAX_SAFE_INTEGER` when not given; 0 reads nothing). */
  readonly toVersion: number;
  readonly asOf: Date | undefined;
  /** At most this many events (`Number.MAX_SAFE_INTEGER` when not given). */
  readonly limit: number;
}

/** `readAll` options, checked, with defaults filled in. */
export interface ParsedFeedQuery {
  readonly after: GlobalCheckpoint;
  readonly limit: number;
  /** Without duplicates; an empty list matches nothing. */
  readonly types: readonly string[] | undefined;
  readonly streamTypes: readonly string[] | undefined;
}

/** Checks `readStream` options; throws InvalidArgumentError naming the bad one. */
export function parseReadStreamOptions(options: ReadStreamOptions | undefined): ParsedStreamRange {
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidArgumentError(`Invalid direction ${safeJson(direction)}: use 'forwards' or 'backwards'.`);
  }
  const asOf = options?.asOf;
  if (asOf !== undefined && (!(asOf instanceof Date) || Number.isNaN(asOf.getTime()))) {
    throw new InvalidArgumentError(`Invalid asOf ${String(asOf)}: pass a valid Date.`);
  }
  return {
    direction,
    fromVersion: Math.max(1, nonNegativeInteger('fromVersion', options?.fromVersion) ?? 1),
    toVersion: nonNegativeInteger('toVersion', options?.toVersion) ?? Number.MAX_SAFE_INTEGER,
    asOf,
    limit: positiveInteger('limit', options?.limit) ?? Number.MAX_SAFE_INTEGER,
  };
}

/** Checks `readAll` options; throws InvalidArgumentError naming the bad one. */
export function parseReadAllOptions(options: ReadAllOptions | undefined): ParsedFeedQuery {
  return {
    after: parseCheckpoint(options?.after ?? START),
    limit: pageSize('limit', options?.limit) ?? DEFAULT_READ_ALL_LIMIT,
    types: stringList('types', options?.types),
    streamTypes: stringList('streamTypes', options?.streamTypes),
  };
}

/** A `{ transactionId, position }` pair of non-negative integers, as `readAll` hands out. */
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

/** Checks `waitForEvents` options: a finite `timeoutMs` >= 0 (default 1000) and an AbortSignal. */
export function parseWaitOptions(options: WaitForEventsOptions | undefined): {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
} {
  const timeoutMs: unknown = options?.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    const shown = typeof timeoutMs === 'number' ? String(timeoutMs) : typeof timeoutMs;
    throw new InvalidArgumentError(`Invalid timeoutMs ${shown}: use a finite number of milliseconds >= 0.`);
  }
  const signal: unknown = options?.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError('Invalid signal: pass an AbortSignal or leave it out.');
  }
  return { timeoutMs, signal };
}

/** An integer page size from 1 to {@link MAX_READ_PAGE}, or undefined when not given. */
export function pageSize(name: string, value: unknown): number | undefined {
  const size = positiveInteger(name, value);
  if (size !== undefined && size > MAX_READ_PAGE) {
    throw new InvalidArgumentError(`Invalid ${name} ${size}: use at most ${MAX_READ_PAGE} per page.`);
  }
  return size;
}

/** An integer >= 1, or undefined when not given. */
export function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an integer >= 1.`);
  }
  return value;
}

/** An array of strings without duplicates, or undefined when not given. */
export function stringList(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an array of strings.`);
  }
  return [...new Set(value)];
}

function nonNegativeInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!isNonNegativeInteger(value)) throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an integer >= 0.`);
  return value;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
