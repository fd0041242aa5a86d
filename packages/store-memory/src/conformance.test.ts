import { checkpointStoreConformance, eventStoreConformance, snapshotStoreConformance } from '@eventfold/testing';
import { createMemoryCheckpointStore } from './memory-checkpoint-store';
import { createMemoryEventStore } from './memory-event-store';
import { createMemorySnapshotStore } from './memory-snapshot-store';

eventStoreConformance('memory', (config) => createMemoryEventStore(config));
snapshotStoreConformance('memory', () => createMemorySnapshotStore());
checkpointStoreConformance('memory', () => createMemoryCheckpointStore());
