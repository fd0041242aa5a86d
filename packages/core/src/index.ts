export { ExpectedVersion, isExpectedVersion, matchesExpectedVersion } from './expected-version';
export {
  EventfoldError,
  ConcurrencyError,
  StreamNotFoundError,
  InvalidStreamIdError,
  InvalidExpectedVersionError,
  EventTooLargeError,
  DuplicateEventIdError,
  InvalidArgumentError,
  DomainError,
  CommandValidationError,
  QueryValidationError,
  HandlerNotFoundError,
  isConcurrencyError,
  isStreamNotFoundError,
  isInvalidStreamIdError,
  isInvalidExpectedVersionError,
  isEventTooLargeError,
  isDuplicateEventIdError,
  isInvalidArgumentError,
  isDomainError,
  isCommandValidationError,
  isQueryValidationError,
  isHandlerNotFoundError,
} from './errors';
export type { ValidationIssue } from './errors';
export { EventValidationError, isEventValidationError } from '@eventfold/shared-schema';
export type { RecordedEvent, EventMetadata } from '@eventfold/shared-schema';
export { START, compareCheckpoints } from './event-store';
export type {
  NewEvent,
  AppendOptions,
  AppendResult,
  ReadDirection,
  ReadStreamOptions,
  GlobalCheckpoint,
  ReadAllOptions,
  ReadAllPage,
  WaitForEventsOptions,
  StreamInfo,
  TransactionScope,
  EventStore,
  Snapshot,
  SnapshotStore,
  CheckpointStatus,
  StoredCheckpoint,
  CheckpointStore,
} from './event-store';
export {
  prepareAppend,
  assertValidStreamId,
  streamTypeOf,
  MAX_STREAM_ID_LENGTH,
  DEFAULT_MAX_EVENT_BYTES,
} from './validate-append';
export type { AppendValidator, AppendValidationConfig, PreparedEvent, PreparedAppend } from './validate-append';
export { newEventId } from './event-id';
export {
  parseReadStreamOptions,
  parseReadAllOptions,
  parseCheckpoint,
  parseWaitOptions,
  pageSize,
  positiveInteger,
  stringList,
  DEFAULT_READ_ALL_LIMIT,
  DEFAULT_WAIT_TIMEOUT_MS,
  MAX_READ_PAGE,
} from './read-options';
export type { ParsedStreamRange, ParsedFeedQuery } from './read-options';
export { toJsonText } from './json-text';
export { silentLogger } from './logger';
export type { Logger } from './logger';
export { defineAggregate, foldEvents, decideEvents } from './aggregate';
export type {
  DomainEvent,
  Decision,
  Aggregate,
  AggregateDefinition,
  AggregateSnapshotOptions,
  StateOf,
  EventOfAggregate,
  CommandOf,
} from './aggregate';
export { createAggregateRepository } from './aggregate-repository';
export type {
  AggregateRepository,
  AggregateRepositoryOptions,
  EventUpcaster,
  LoadOptions,
  LoadedAggregate,
  EventToSave,
  SaveOptions,
} from './aggregate-repository';
export { createCommandHandler } from './command-handler';
export type {
  CommandHandler,
  CommandHandlerOptions,
  HandleCommandOptions,
  CommandResult,
  RecordedEventFor,
} from './command-handler';
export { createCommandBus } from './command-bus';
export type { CommandBus, BusEntry, ContextArgs } from './command-bus';
export { createQueryBus } from './query-bus';
export type { QueryBus } from './query-bus';
export { iterateAll, iterateAllPages } from './iterate-all';
export type { IterateAllOptions } from './iterate-all';
