export { EventMetadataSchema, RecordedEventEnvelopeSchema } from './envelope';
export type { EventMetadata, RecordedEvent } from './envelope';
export { EventValidationError, isEventValidationError, hasCode } from './errors';
export type { EventValidationIssue } from './errors';
