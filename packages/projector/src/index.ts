export { defineProjection } from './define-projection';
export type {
  Projection,
  ProjectionOptions,
  ProjectionContext,
  ProjectableEvent,
  RecordedEventFor,
  EventHandler,
  EventHandlers,
  BatchHandler,
} from './define-projection';
export type { ProjectionDatabase, ProjectionTransaction } from './database';
export { inlineProjections } from './inline';
export type { InlineProjectionHook, InlineScope } from './inline';
export { createProjector } from './projector';
export type { Projector, ProjectorOptions, PoisonEventPolicy } from './projector';
export type { ProjectionState, ProjectionStatus, CommittedBatch } from './runner';
export type { RebuildProgress, ProgressListener } from './progress';
export type { RetryPolicy } from './retry';
export type { DeadLetter, ProjectionVersion, ProjectionVersionState } from './target';
export { migrateProjector } from './migrate';
export type { MigrateProjectorOptions } from './migrate';
export { createLiveTables, projectionTable, projectionTableName } from './live-tables';
export type { LiveTables, LiveTablesOptions, ResolvedVersion } from './live-tables';
export { silentLogger } from './logger';
export type { ProjectorLogger } from './logger';
export {
  ProjectionDefinitionError,
  InvalidProjectorOptionError,
  ProjectionHandlerError,
  NoTransactionError,
  UnknownProjectionError,
  ProjectionStoppedError,
  ProjectorTimeoutError,
  ProjectionBusyError,
  isProjectionDefinitionError,
  isInvalidProjectorOptionError,
  isProjectionHandlerError,
  isNoTransactionError,
  isUnknownProjectionError,
  isProjectionStoppedError,
  isProjectorTimeoutError,
  isProjectionBusyError,
} from './errors';
