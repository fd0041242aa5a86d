import { hasCode, type EventValidationIssue } from '@eventfold/shared-schema';
import type { ExpectedVersion } from './expected-version';

/**
 * Base class of every error eventfold throws on purpose. `code` is stable across releases and across
 * two installed copies of the package, so check it (or use the `is...Error` guards), not `instanceof`.
 */
export abstract class EventfoldError extends Error {
  abstract readonly code: string;
}

/** The stream was not at the version the caller expected. Reload, decide again, retry. */
export class ConcurrencyError extends EventfoldError {
  readonly code = 'EVENTFOLD_CONCURRENCY' as const;
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    /** The stream's version when the append was refused (0 = the stream does not exist). */
    readonly actual: number,
  ) {
    super(
      `Concurrency conflict on stream "${streamId}": expected version ${String(expected)}, actual ${actual}. ` +
        'Reload the stream and decide again.',
    );
  }
}

export class StreamNotFoundError extends EventfoldError {
  readonly code = 'EVENTFOLD_STREAM_NOT_FOUND' as const;
  override readonly name = 'StreamNotFoundError';
  constructor(readonly streamId: string) {
    super(`Stream "${streamId}" does not exist. Check the id, or create the stream first.`);
  }
}

/** A stream id is empty, too long, or not a string. Nothing was written. */
export class InvalidStreamIdError extends EventfoldError {
  readonly code = 'EVENTFOLD_INVALID_STREAM_ID' as const;
  override readonly name = 'InvalidStreamIdError';
  constructor(
    readonly streamId: unknown,
    reason: string,
  ) {
    super(`Invalid stream id ${JSON.stringify(String(streamId)).slice(0, 80)}: ${reason}.`);
  }
}

/** `expectedVersion` is not a non-negative integer, 'no_stream', 'stream_exists' or 'any'. */
export class InvalidExpectedVersionError extends EventfoldError {
  readonly code = 'EVENTFOLD_INVALID_EXPECTED_VERSION' as const;
  override readonly name = 'InvalidExpectedVersionError';
  constructor(readonly expectedVersion: unknown) {
    super(
      `Invalid expectedVersion ${JSON.stringify(expectedVersion) ?? String(expectedVersion)}: ` +
        "use a non-negative integer, 'no_stream', 'stream_exists' or 'any'.",
    );
  }
}

/** An event's serialised data and metadata exceed the store's `maxEventBytes`. */
export class EventTooLargeError extends EventfoldError {
  readonly code = 'EVENTFOLD_EVENT_TOO_LARGE' as const;
  override readonly name = 'EventTooLargeError';
  constructor(
    readonly eventType: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `Event "${eventType}" is ${sizeBytes} bytes serialised, over the limit of ${limitBytes} bytes. ` +
        'Store large payloads elsewhere and reference them, or raise maxEventBytes.',
    );
  }
}

/** An event id is already used by a different event (another stream, position, type or payload). */
export class DuplicateEventIdError extends EventfoldError {
  readonly code = 'EVENTFOLD_DUPLICATE_EVENT_ID' as const;
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly eventId: string,
    readonly streamId: string,
  ) {
    super(
      `Event id ${eventId} is already used by a different event; appending it to "${streamId}" was refused. ` +
        'Event ids must be unique; only an identical retry is accepted.',
    );
  }
}

/** Any other invalid argument (empty event list where not allowed, bad limit, ...). */
export class InvalidArgumentError extends EventfoldError {
  readonly code = 'EVENTFOLD_INVALID_ARGUMENT' as const;
  override readonly name = 'InvalidArgumentError';
}

/**
 * A business rule refused a command (`decide` threw it). `reason` is a stable machine-readable
 * string such as `'RESERVATION_ALREADY_CANCELLED'`.
 */
export class DomainError extends EventfoldError {
  readonly code = 'EVENTFOLD_DOMAIN' as const;
  override readonly name = 'DomainError';
  constructor(
    readonly reason: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

/** One failing field of a command or query input: `path` is dotted (`guest.name`), `''` is the root. */
export type ValidationIssue = EventValidationIssue;

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => `${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`).join('; ');
}

/** A command's input failed its schema; no handler ran. `issues` names every failing field. */
export class CommandValidationError extends EventfoldError {
  readonly code = 'EVENTFOLD_COMMAND_VALIDATION' as const;
  override readonly name = 'CommandValidationError';
  constructor(
    readonly commandName: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`Invalid command "${commandName}": ${describeIssues(issues)}. Fix the input and send it again.`);
  }
}

/** A query's input failed its schema; no handler ran. `issues` names every failing field. */
export class QueryValidationError extends EventfoldError {
  readonly code = 'EVENTFOLD_QUERY_VALIDATION' as const;
  override readonly name = 'QueryValidationError';
  constructor(
    readonly queryName: string,
    readonly issues: readonly ValidationIssue[],
  ) {
    super(`Invalid query "${queryName}": ${describeIssues(issues)}. Fix the input and send it again.`);
  }
}

/** No handler is registered under this command or query name. */
export class HandlerNotFoundError extends EventfoldError {
  readonly code = 'EVENTFOLD_HANDLER_NOT_FOUND' as const;
  override readonly name = 'HandlerNotFoundError';
  constructor(
    readonly kind: 'command' | 'query',
    readonly handlerName: string,
    registered: readonly string[],
  ) {
    super(
      `No ${kind} handler is registered for "${handlerName}" (registered: ${registered.join(', ') || 'none'}). ` +
        `Register it with ${kind === 'command' ? 'createCommandBus' : 'createQueryBus'}().register(name, schema, handler).`,
    );
  }
}

export const isConcurrencyError = (e: unknown): e is ConcurrencyError => hasCode(e, 'EVENTFOLD_CONCURRENCY');
export const isStreamNotFoundError = (e: unknown): e is StreamNotFoundError =>
  hasCode(e, 'EVENTFOLD_STREAM_NOT_FOUND');
export const isInvalidStreamIdError = (e: unknown): e is InvalidStreamIdError =>
  hasCode(e, 'EVENTFOLD_INVALID_STREAM_ID');
export const isInvalidExpectedVersionError = (e: unknown): e is InvalidExpectedVersionError =>
  hasCode(e, 'EVENTFOLD_INVALID_EXPECTED_VERSION');
export const isEventTooLargeError = (e: unknown): e is EventTooLargeError => hasCode(e, 'EVENTFOLD_EVENT_TOO_LARGE');
export const isDuplicateEventIdError = (e: unknown): e is DuplicateEventIdError =>
  hasCode(e, 'EVENTFOLD_DUPLICATE_EVENT_ID');
export const isInvalidArgumentError = (e: unknown): e is InvalidArgumentError =>
  hasCode(e, 'EVENTFOLD_INVALID_ARGUMENT');
export const isDomainError = (e: unknown): e is DomainError => hasCode(e, 'EVENTFOLD_DOMAIN');
export const isCommandValidationError = (e: unknown): e is CommandValidationError =>
  hasCode(e, 'EVENTFOLD_COMMAND_VALIDATION');
export const isQueryValidationError = (e: unknown): e is QueryValidationError => hasCode(e, 'EVENTFOLD_QUERY_VALIDATION');
export const isHandlerNotFoundError = (e: unknown): e is HandlerNotFoundError => hasCode(e, 'EVENTFOLD_HANDLER_NOT_FOUND');
