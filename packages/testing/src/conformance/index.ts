export { eventStoreConformance } from './event-store-conformance';
export type { ConformanceOptions } from './event-store-conformance';
export { snapshotStoreConformance } from './snapshot-store-conformance';
export { checkpointStoreConformance } from './checkpoint-store-conformance';
export { createConformanceCatalog, CONFORMANCE_MAX_EVENT_BYTES, ITEM_ADDED_SCHEMA_VERSION } from './fixtures';
export type { ConformanceStoreConfig, MakeEventStore } from './fixtures';
