export { createPostgresEventStore } from './event-store';
export type {
  PostgresEventStore,
  PostgresEventStoreOptions,
  PostgresAppendOptions,
  PostgresEventCatalog,
  PostgresReadAllPage,
  PostgresTransactionScope,
  FeedReadOptions,
  ReadAllEventsOptions,
  SubscribeOptions,
} from './event-store';
export type { CoalesceOptions } from './coalescer';
export type { AlongsideWrites } from './alongside';
export type { ReadHorizon, HorizonBlocker } from './horizon';
export { createPostgresSnapshotStore } from './snapshot-store';
export type { PostgresSnapshotStoreOptions } from './snapshot-store';
export { createPostgresCheckpointStore } from './checkpoint-store';
export type { PostgresCheckpointStoreOptions } from './checkpoint-store';
export { migrate } from './migrate';
export type { MigrateOptions, MigrateResult } from './migrate';
export { eventfoldTables } from './schema';
export type { EventfoldTables } from './schema';
export { DEFAULT_SCHEMA, assertValidSchemaName, quoteIdentifier } from './schema-name';
export { queryRows } from './driver';
export type { EventfoldDatabase, TransactionOf } from './driver';
export { notificationChannel } from './notifications';
export type { Logger } from './logger';
export { createLease, LeaseLostError, isLeaseLostError } from './lease';
export type { Lease, LeaseOptions, LeaseState, SqlExecutor } from './lease';
export {
  InvalidSchemaNameError,
  UnsupportedDriverError,
  MigrationError,
  StoreClosedError,
  FeedOrderConflictError,
  isInvalidSchemaNameError,
  isUnsupportedDriverError,
  isMigrationError,
  isStoreClosedError,
  isFeedOrderConflictError,
} from './errors';
