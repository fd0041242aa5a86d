import { checkpointStoreConformance, eventStoreConformance, snapshotStoreConformance } from '@eventfold/testing';
import { describe } from 'vitest';
import { createPostgresCheckpointStore } from './checkpoint-store';
import { createPostgresEventStore, type PostgresEventStore } from './event-store';
import { createPostgresSnapshotStore } from './snapshot-store';
import { serverFixture } from './test-support/databases';

// The conformance suites on node-postgres against the real server: once plain, once with write
// coalescing on (appends then travel through the batch path), in a non-default schema.
const fixture = await serverFixture('the store-postgres conformance suites', { schema: 'conformance' });
const stores: PostgresEventStore[] = [];
// The xmin horizon is cluster-wide: other test files (ours and other packages') hold transactions
// open on the same server, which delays when a committed event becomes readable. A generous settle
// keeps "append, then read the feed" cases deterministic on a shared server.
const SETTLE_MS = 5000;

describe.skipIf(fixture === undefined)('node-postgres', () => {
  if (fixture === undefined) return;
  const { db } = fixture;
  eventStoreConformance('postgres (node-postgres)', (config) => {
    const store = createPostgresEventStore({ db, schema: 'conformance', settleMs: SETTLE_MS, ...config });
    stores.push(store);
    return store;
  });
  eventStoreConformance(
    'postgres (node-postgres, coalesced)',
    (config) => {
      const store = createPostgresEventStore({ db, schema: 'conformance', coalesce: true, settleMs: SETTLE_MS, ...config });
      stores.push(store);
      return store;
    },
    {
      teardown: async () => {
        for (const store of stores) await store.close();
      },
    },
  );
  snapshotStoreConformance('postgres (node-postgres)', () => createPostgresSnapshotStore({ db, schema: 'conformance' }));
  checkpointStoreConformance('postgres (node-postgres)', () => createPostgresCheckpointStore({ db, schema: 'conformance' }), {
    teardown: () => fixture.dispose(),
  });
});
