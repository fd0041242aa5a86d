import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { PGlite } from '@electric-sql/pglite';
import { createPostgresEventStore, migrate, createPostgresCheckpointStore, createPostgresSnapshotStore } from '../src/index';

async function run(db: any, label: string) {
  console.log(label, await migrate(db));
  console.log(label, await migrate(db));
  const store = createPostgresEventStore({ db, coalesce: true });
  const r = await store.append('res-1', [{ type: 'A', data: { a: 1 } }, { type: 'B', data: { b: 'x"y' } }], { expectedVersion: 'no_stream' });
  console.log(r.nextExpectedVersion, r.events.map((e) => [e.version, e.globalPosition, e.occurredAt.toISOString()]));
  const again = await store.append('res-1', r.events.map((e) => ({ id: e.id, type: e.type, data: e.data })), { expectedVersion: 'no_stream' });
  console.log('idem', again.idempotent, again.nextExpectedVersion);
  await store.append('res-1', [{ type: 'A', data: {} }], { expectedVersion: 0 }).catch((e) => console.log(e.code, e.actual));
  const all = await Promise.all(Array.from({ length: 20 }, (_, i) => store.append(`s-${i % 10}`, [{ type: 'C', data: { i } }])));
  console.log('coalesced', all.map((x) => x.nextExpectedVersion).join(','));
  for await (const e of store.readStream('res-1', { direction: 'backwards' })) console.log('read', e.version, e.type, e.data);
  const page = await store.readAll({ limit: 5 });
  console.log('page', page.events.length, page.checkpoint, page.hasMore);
  const typed = await store.readAll({ types: ['A'] });
  console.log('typed', typed.events.length, typed.checkpoint, typed.hasMore);
  console.log('horizon', await store.horizon());
  console.log('head', await store.headPosition(), await store.streamInfo('res-1'));
  await store.withTransaction(async ({ store: s, tx }) => {
    await s.append('tx-1', [{ type: 'T', data: {} }]);
    await createPostgresCheckpointStore({ db: tx }).save('p', { transactionId: 5, position: 3 });
  });
  console.log(await createPostgresCheckpointStore({ db }).load('p'));
  const snaps = createPostgresSnapshotStore({ db });
  await snaps.save({ streamId: 'res-1', version: 2, schemaVersion: 1, state: { n: 2 } });
  console.log(await snaps.load('res-1'));
  const t0 = Date.now();
  await store.waitForEvents(typed.checkpoint, { timeoutMs: 300 });
  console.log('waited', Date.now() - t0);
  const w = store.waitForEvents((await store.readAll()).checkpoint, { timeoutMs: 3000 });
  const t1 = Date.now();
  setTimeout(() => void store.append('late-1', [{ type: 'L', data: {} }]), 50);
  await w;
  console.log('woken after', Date.now() - t1);
  await store.close();
}

const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/efscratch' });
await pool.query('drop schema if exists eventfold cascade');
await run(drizzle(pool), 'pg');
await pool.end();
const lite = new PGlite();
await run(drizzlePglite(lite), 'pglite');
await lite.close();
