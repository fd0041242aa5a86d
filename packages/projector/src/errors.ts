import { hasCode } from '@eventfold/shared-schema';

/**
 * A projection definition is wrong (bad name, version, table name, no handlers, ...). Thrown by
 * `defineProjection`, before anything runs.
 */
export class ProjectionDefinitionError extends Error {
  readonly code = 'EVENTFOLD_PROJECTION_DEFINITION' as const;
  override readonly name = 'ProjectionDefinitionError';
  constructor(
    /** The projection's name as given (may itself be the problem). */
    readonly projection: string,
    message: string,
  ) {
    super(message);
  }
}

/** An option of `createProjector`, `inlineProjections`, `migrateProjector`, ... is invalid. Nothing ran. */
export class InvalidProjectorOptionError extends Error {
  readonly code = 'EVENTFOLD_PROJECTOR_OPTION' as const;
  override readonly name = 'InvalidProjectorOptionError';
  constructor(
    /** The option's name, e.g. `batchSize` or `retry.maxAttempts`. */
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`Invalid projector option ${option} = ${describe(value)}: ${expected}.`);
  }
}

/**
 * A projection handler threw while applying an event. In inline mode it is rethrown from the
 * append's transaction, which therefore rolls back; in async mode the batch is retried and the
 * event is parked once it keeps failing. `cause` is the handler's own error.
 */
export class ProjectionHandlerError extends Error {
  readonly code = 'EVENTFOLD_PROJECTION_HANDLER' as const;
  override readonly name = 'ProjectionHandlerError';
  constructor(
    readonly projection: string,
    readonly version: number,
    /** The event being applied; undefined when a batch handler failed on a whole batch. */
    readonly event: { readonly id: string; readonly type: string; readonly streamId: string; readonly globalPosition: number } | undefined,
    options: { readonly cause: unknown },
  ) {
    super(
      `Projection "${projection}" v${version} failed on ${
        event === undefined ? 'a batch' : `event ${event.type} ${event.id} (stream "${event.streamId}", position ${event.globalPosition})`
      }: ${messageOf(options.cause)}. Fix the handler or the data; async runners retry and then park the event.`,
      options,
    );
  }
}

/** `ctx.tx` was used in a projection that runs without a database (a memory store target). */
export class NoTransactionError extends Error {
  readonly code = 'EVENTFOLD_PROJECTION_NO_TRANSACTION' as const;
  override readonly name = 'NoTransactionError';
  constructor(readonly projection: string) {
    super(
      `Projection "${projection}" used ctx.tx, but it runs without a database transaction ` +
        '(memory store, or a store whose withTransaction scope has no tx). Pass `db` to createProjector, ' +
        'or keep memory-target projections free of SQL.',
    );
  }
}

/** A projector was asked about a projection it does not run. */
export class UnknownProjectionError extends Error {
  readonly code = 'EVENTFOLD_UNKNOWN_PROJECTION' as const;
  override readonly name = 'UnknownProjectionError';
  constructor(
    readonly projection: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown projection "${projection}": this projector runs ${known.map((n) => `"${n}"`).join(', ') || 'none'}.`);
  }
}

/**
 * A projection stopped and cannot reach the state waited for: it failed (an event was parked with
 * `onPoisonEvent: 'park-and-stop'`), or the projector was stopped. `reason` says which.
 */
export class ProjectionStoppedError extends Error {
  readonly code = 'EVENTFOLD_PROJECTION_STOPPED' as const;
  override readonly name = 'ProjectionStoppedError';
  constructor(
    readonly projection: string,
    readonly reason: 'failed' | 'stopped',
    readonly lastError: string | null,
  ) {
    super(
      reason === 'failed'
        ? `Projection "${projection}" has failed and stopped${lastError === null ? '' : `: ${lastError}`}. ` +
            'Inspect its dead letters, fix the handler, and start the projector again.'
        : `Projection "${projection}" was stopped before it caught up. Start the projector again.`,
    );
  }
}

/** `whenCaughtUp({ timeoutMs })` or another wait ran out of time. */
export class ProjectorTimeoutError extends Error {
  readonly code = 'EVENTFOLD_PROJECTOR_TIMEOUT' as const;
  override readonly name = 'ProjectorTimeoutError';
  constructor(
    readonly projection: string,
    readonly timeoutMs: number,
    what: string,
  ) {
    super(`Projection "${projection}" did not ${what} within ${timeoutMs} ms. Check status() for its state, lag and last error.`);
  }
}

/**
 * A truncate-and-replay rebuild needs this process to run the projection, but another runner
 * holds its lease. Rebuild through that process, stop it first, or build a new version beside it.
 */
export class ProjectionBusyError extends Error {
  readonly code = 'EVENTFOLD_PROJECTION_BUSY' as const;
  override readonly name = 'ProjectionBusyError';
  constructor(
    readonly projection: string,
    readonly holder: string | undefined,
  ) {
    super(
      `Projection "${projection}" is run by another process${holder === undefined ? '' : ` (lease owner ${holder})`}; ` +
        'rebuild it from that process, stop it first, or bump its version for a blue/green rebuild.',
    );
  }
}

export const isProjectionDefinitionError = (e: unknown): e is ProjectionDefinitionError =>
  hasCode(e, 'EVENTFOLD_PROJECTION_DEFINITION');
export const isInvalidProjectorOptionError = (e: unknown): e is InvalidProjectorOptionError =>
  hasCode(e, 'EVENTFOLD_PROJECTOR_OPTION');
export const isProjectionHandlerError = (e: unknown): e is ProjectionHandlerError => hasCode(e, 'EVENTFOLD_PROJECTION_HANDLER');
export const isNoTransactionError = (e: unknown): e is NoTransactionError => hasCode(e, 'EVENTFOLD_PROJECTION_NO_TRANSACTION');
export const isUnknownProjectionError = (e: unknown): e is UnknownProjectionError => hasCode(e, 'EVENTFOLD_UNKNOWN_PROJECTION');
export const isProjectionStoppedError = (e: unknown): e is ProjectionStoppedError => hasCode(e, 'EVENTFOLD_PROJECTION_STOPPED');
export const isProjectorTimeoutError = (e: unknown): e is ProjectorTimeoutError => hasCode(e, 'EVENTFOLD_PROJECTOR_TIMEOUT');
export const isProjectionBusyError = (e: unknown): e is ProjectionBusyError => hasCode(e, 'EVENTFOLD_PROJECTION_BUSY');

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : describe(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
