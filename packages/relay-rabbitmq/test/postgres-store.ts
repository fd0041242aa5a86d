// The PostgreSQL event store the relay runs on in integration tests, plus concurrent writers.
import { randomUUID } from 'node:crypto';
import type { EventStore } from '@eventfold/core';
import { createPostgresCheckpointStore, createPostgresEventStore, migrate } from '@eventfold/store-postgres';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';

export interface TestStore {
  readonly pool: pg.Pool;
  readonly db: NodePgDatabase;
  readonly store: ReturnType<typeof createPostgresEventStore>;
  readonly checkpoints: ReturnType<typeof createPostgresCheckpointStore>;
  close(): Promise<void>;
}

export async function openTestStore(connectionString: string, options: { schema?: string; poolSize?: number } = {}): Promise<TestStore> {
  const schema = options.schema ?? 'eventfold';
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 12 });
  // An idle client can be terminated from outside (a server restart, pg_terminate_backend by another
  // test on the shared server); node-postgres then emits 'error' on the pool, which must be handled.
  pool.on('error', (error) => console.warn(`idle PostgreSQL client failed (the pool replaces it): ${error.message}`));
  const db = drizzle(pool);
  await migrate(db, { schema });
  const store = createPostgresEventStore({ db, schema });
  const checkpoints = createPostgresCheckpointStore({ db, schema });
  return {
    pool,
    db,
    store,
    checkpoints,
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

export interface WriterOptions {
  readonly writers: number;
  /** Events in total, spread over the writers. */
  readonly events: number;
  /** Each append carries 1 to this many events. */
  readonly maxPerAppend: number;
  /** Streams each writer appends to (round robin). */
  readonly streamsPerWriter: number;
  /** Every n-th append runs in a transaction held open for a random 0-10 ms, so commits land out of order. */
  readonly slowTransactionEvery?: number;
  /** Pause between appends of one writer, in ms. */
  readonly pauseMs?: number;
  readonly eventType?: string;
  readonly signal?: AbortSignal;
}

/** Appends from concurrent writers; resolves every appended event id in append order. */
export async function appendFromWriters(store: EventStore, options: WriterOptions): Promise<string[]> {
  const ids: string[] = [];
  const perWriter = Math.ceil(options.events / options.writers);
  const run = `${randomUUID().slice(0, 8)}`;
  await Promise.all(
    Array.from({ length: options.writers }, async (_, writer) => {
      const versions = new Map<string, number>();
      let written = 0;
      let appendIndex = 0;
      while (written < perWriter && ids.length < options.events && options.signal?.aborted !== true) {
        const streamId = `order-${run}w${writer}s${appendIndex % options.streamsPerWriter}`;
        const count = Math.min(1 + Math.floor(Math.random() * options.maxPerAppend), perWriter - written, options.events - ids.length);
        const events = Array.from({ length: count }, (_, i) => ({
          id: randomUUID(),
          type: options.eventType ?? 'OrderLineAdded',
          data: { writer, line: written + i, sku: `sku-${(written + i) % 97}` },
          metadata: { correlationId: `w${writer}` },
        }));
        const expectedVersion = versions.get(streamId) ?? 0;
        const slow = options.slowTransactionEvery !== undefined && appendIndex % options.slowTransactionEvery === 0;
        if (slow) {
          await store.withTransaction(async ({ store: tx }) => {
            await tx.append(streamId, events, { expectedVersion });
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
          });
        } else {
          await store.append(streamId, events, { expectedVersion });
        }
        versions.set(streamId, expectedVersion + count);
        for (const event of events) ids.push(event.id);
        written += count;
        appendIndex += 1;
        if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    }),
  );
  return ids;
}
