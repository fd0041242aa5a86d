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
  isConcurrencyError,
  isStreamNotFoundError,
  isInvalidStreamIdError,
  isInvalidExpectedVersionError,
  isEventTooLargeError,
  isDuplicateEventIdError,
  isInvalidArgumentError,
  isDomainError,
} from './errors';
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
