export { EventMetadataSchema, RecordedEventEnvelopeSchema } from './envelope';
export type { EventMetadata, RecordedEvent } from './envelope';
export {
  EventValidationError,
  isEventValidationError,
  EventDefinitionError,
  isEventDefinitionError,
  hasCode,
} from './errors';
export type { EventValidationIssue } from './errors';
export { defineEvent, defineUpcaster, isEventDefinition } from './define-event';
export type { EventDefinition, DefineEventOptions, DataOf, EventOfDefinition, EventUpcaster } from './define-event';
export { createEventCatalog } from './event-catalog';
export type {
  CatalogEvent,
  EventCatalog,
  EventCatalogOptions,
  EventOf,
  EventTypeOf,
  EventDataOf,
  RecordedEventOf,
  RecordedFrom,
} from './event-catalog';
export { toValidationIssues } from './validation-issues';
