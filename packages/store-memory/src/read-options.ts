import {
  InvalidArgumentError,
  START,
  type GlobalCheckpoint,
  type ReadAllOptions,
  type ReadDirection,
  type ReadStreamOptions,
} from '@eventfold/core';

export const DEFAULT_READ_ALL_LIMIT = 500;

export interface StreamRange {
  readonly direction: ReadDirection;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly asOf: number | undefined;
  readonly limit: number;
}

export interface FeedQuery {
  readonly after: GlobalCheckpoint;
  readonly limit: number;
  readonly types: ReadonlySet<string> | undefined;
  readonly streamTypes: ReadonlySet<string> | undefined;
}

export function parseReadStreamOptions(options: ReadStreamOptions | undefined): StreamRange {
  const direction = options?.direction ?? 'forwards';
  if (direction !== 'forwards' && direction !== 'backwards') {
    throw new InvalidArgumentError(`Invalid direction ${JSON.stringify(direction)}: use 'forwards' or 'backwards'.`);
  }
  const asOf = options?.asOf;
  if (asOf !== undefined && (!(asOf instanceof Date) || Number.isNaN(asOf.getTime()))) {
    throw new InvalidArgumentError(`Invalid asOf ${String(asOf)}: pass a valid Date.`);
  }
  return {
    direction,
    fromVersion: Math.max(1, nonNegativeInteger('fromVersion', options?.fromVersion) ?? 1),
    toVersion: nonNegativeInteger('toVersion', options?.toVersion) ?? Number.MAX_SAFE_INTEGER,
    asOf: asOf?.getTime(),
    limit: positiveInteger('limit', options?.limit) ?? Number.MAX_SAFE_INTEGER,
  };
}

export function parseReadAllOptions(options: ReadAllOptions | undefined): FeedQuery {
  return {
    after: parseCheckpoint(options?.after ?? START),
    limit: positiveInteger('limit', options?.limit) ?? DEFAULT_READ_ALL_LIMIT,
    types: stringSet('types', options?.types),
    streamTypes: stringSet('streamTypes', options?.streamTypes),
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

function positiveInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an integer >= 1.`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!isNonNegativeInteger(value)) throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an integer >= 0.`);
  return value;
}

function stringSet(name: string, value: unknown): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new InvalidArgumentError(`Invalid ${name} ${safeJson(value)}: use an array of strings.`);
  }
  return new Set(value);
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
