export { createMemoryEventStore } from './memory-event-store';
export type { MemoryEventStoreOptions, MemoryEventCatalog } from './memory-event-store';
export { createMemorySnapshotStore } from './memory-snapshot-store';
export type { MemorySnapshotStoreOptions } from './memory-snapshot-store';
export { createMemoryCheckpointStore } from './memory-checkpoint-store';
export type { MemoryCheckpointStoreOptions } from './memory-checkpoint-store';
