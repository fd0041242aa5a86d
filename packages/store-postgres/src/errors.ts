import { ConcurrencyError, EventfoldError, type ExpectedVersion } from '@eventfold/core';
import { hasCode } from '@eventfold/shared-schema';

/** A Postgres schema (or other identifier) name that could be unsafe in SQL text. Nothing ran. */
export class InvalidSchemaNameError extends EventfoldError {
  readonly code = 'EVENTFOLD_PG_INVALID_SCHEMA_NAME' as const;
  override readonly name = 'InvalidSchemaNameError';
  constructor(readonly schemaName: unknown) {
    super(
      `Invalid schema name ${JSON.stringify(String(schemaName)).slice(0, 80)}: use 1 to 63 characters of ` +
        'lowercase letters, digits and _, starting with a letter or _ (e.g. "eventfold").',
    );
  }
}

/** The `db` passed in is not a Drizzle database (or transaction) on node-postgres or PGlite. */
export class UnsupportedDriverError extends EventfoldError {
  readonly code = 'EVENTFOLD_PG_UNSUPPORTED_DRIVER' as const;
  override readonly name = 'UnsupportedDriverError';
  constructor(readonly driver: string) {
    super(
      `Unsupported database (${driver}): pass a Drizzle database or transaction made with ` +
        "drizzle-orm/node-postgres (drizzle(pool)) or drizzle-orm/pglite (drizzle(pglite)).",
    );
  }
}

/**
 * A `ConcurrencyError` (same code, so repository retries handle it) raised inside a transaction:
 * the stream's last events were appended by a younger transaction that committed first, so this
 * transaction's events would sort before them in the global feed. Nothing was appended; retry the
 * whole transaction (a new transaction is younger and succeeds). Outside transactions the store
 * retries by itself and this never surfaces.
 */
export class FeedOrderConflictError extends ConcurrencyError {
  readonly feedOrderConflict = true as const;
  constructor(streamId: string, expected: ExpectedVersion, actual: number) {
    super(streamId, expected, actual);
    this.message =
      `Stream "${streamId}" (version ${actual}) was appended to by a transaction younger than this one that ` +
      'committed first; appending now would put these events before it in the global feed. Nothing was ' +
      'appended: roll back and retry the whole transaction.';
  }
}

/** A migration failed; it was rolled back with every other migration of the same run. */
export class MigrationError extends EventfoldError {
  readonly code = 'EVENTFOLD_PG_MIGRATION' as const;
  override readonly name = 'MigrationError';
  constructor(
    readonly migration: string,
    readonly schemaName: string,
    cause: unknown,
  ) {
    super(
      `Migration "${migration}" failed in schema "${schemaName}": ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Nothing of this run was applied; fix the cause (permissions, a conflicting object) and run migrate again.',
      { cause },
    );
  }
}

/** The store was closed with `close()`; create a new one to keep going. */
export class StoreClosedError extends EventfoldError {
  readonly code = 'EVENTFOLD_PG_STORE_CLOSED' as const;
  override readonly name = 'StoreClosedError';
  constructor(readonly operation: string) {
    super(`Cannot ${operation}: this PostgreSQL event store was closed. Create a new store with createPostgresEventStore.`);
  }
}

export const isInvalidSchemaNameError = (e: unknown): e is InvalidSchemaNameError =>
  hasCode(e, 'EVENTFOLD_PG_INVALID_SCHEMA_NAME');
export const isUnsupportedDriverError = (e: unknown): e is UnsupportedDriverError =>
  hasCode(e, 'EVENTFOLD_PG_UNSUPPORTED_DRIVER');
export const isFeedOrderConflictError = (e: unknown): e is FeedOrderConflictError =>
  hasCode(e, 'EVENTFOLD_CONCURRENCY') && (e as { feedOrderConflict?: unknown }).feedOrderConflict === true;
export const isMigrationError = (e: unknown): e is MigrationError => hasCode(e, 'EVENTFOLD_PG_MIGRATION');
export const isStoreClosedError = (e: unknown): e is StoreClosedError => hasCode(e, 'EVENTFOLD_PG_STORE_CLOSED');
