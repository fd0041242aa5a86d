import { checkpointStoreConformance, eventStoreConformance, snapshotStoreConformance } from '@eventfold/testing';
import { createPostgresCheckpointStore } from './checkpoint-store';
import { createPostgresEventStore, type PostgresEventStore } from './event-store';
import { createPostgresSnapshotStore } from './snapshot-store';
import { pgliteFixture } from './test-support/databases';

// The same suites on PGlite (PostgreSQL in WASM, in process): no server needed.
const fixture = await pgliteFixture();
const stores: PostgresEventStore[] = [];

eventStoreConformance(
  'postgres (PGlite)',
  (config) => {
    const store = createPostgresEventStore({ db: fixture.db, ...config });
    stores.push(store);
    return store;
  },
  {
    teardown: async () => {
      for (const store of stores) await store.close();
    },
  },
);
snapshotStoreConformance('postgres (PGlite)', () => createPostgresSnapshotStore({ db: fixture.db }));
checkpointStoreConformance('postgres (PGlite)', () => createPostgresCheckpointStore({ db: fixture.db }), {
  teardown: () => fixture.dispose(),
});
