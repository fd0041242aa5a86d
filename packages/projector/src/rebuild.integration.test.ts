import { sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { appendLedger, foldLog, ledgerMismatches, ledgerProjection, readLedger, sleep } from '../test/ledger';
import { createPostgresHarness } from '../test/postgres';
import { createLiveTables, createProjector as createProjectorUnderTest, type Projector, type ProjectorOptions, type RebuildProgress } from './index';

const harness = await createPostgresHarness('projector_rebuild', 12);
afterAll(async () => harness?.close());

/** Appends small transactions until stopped, like live traffic. */
function keepWriting(append: (first: number) => Promise<void>, cleanups: Array<() => Promise<void>>): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    for (let first = 100_000; running; first += 10) {
      await append(first);
      await sleep(5);
    }
  })();
  const stop = async (): Promise<void> => {
    running = false;
    await loop;
  };
  cleanups.push(stop);
  return { stop };
}

describe.skipIf(harness === undefined)('rebuilds (PostgreSQL)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const createProjector = (options: ProjectorOptions): Projector => {
    const projector = createProjectorUnderTest(options);
    cleanups.push(() => projector.stop());
    return projector;
  };
  it('builds version 2 beside version 1, which answers queries throughout, and switches when caught up', async () => {
    const h = harness!;
    await appendLedger(h.store, { events: 3000, perTransaction: 50 });
    const v1Definition = ledgerProjection({ version: 1 });
    const v1 = createProjector({ store: h.store, db: h.db, projections: [v1Definition] });
    await v1.start();
    await v1.whenCaughtUp({ timeoutMs: 30_000 });
    const writers = keepWriting((first) => appendLedger(h.store, { events: 10, firstAmount: first }), cleanups);

    // The query side: every read goes through the live-table helper, as an HTTP handler would.
    const live = createLiveTables({ db: h.db, cacheTtlMs: 0 });
    const answers: Array<{ version: number; rows: number }> = [];
    let querying = true;
    cleanups.push(async () => {
      querying = false;
    });
    const queries = (async () => {
      while (querying) {
        const resolved = await live.resolve(v1Definition);
        const result = await h.db.execute(sql`select count(*)::int as n from ${resolved.table('ledger')}`);
        answers.push({ version: resolved.version, rows: (result.rows[0] as { n: number }).n });
        await sleep(3);
      }
    })();

    const progress: RebuildProgress[] = [];
    const v2 = createProjector({
      store: h.store,
      db: h.db,
      projections: [ledgerProjection({ version: 2 })],
      batchSize: 100, // small batches: the build takes a while, with queries running meanwhile
      onProgress: (p) => progress.push(p),
    });
    await v2.start();
    expect((await v2.versions('ledger')).map((v) => [v.version, v.state])).toEqual([
      [1, 'live'],
      [2, 'building'],
    ]);
    expect((await v2.status())[0]?.state).toBe('rebuilding');
    await v2.whenCaughtUp({ timeoutMs: 60_000 });
    expect((await v2.versions('ledger')).map((v) => [v.version, v.state])).toEqual([
      [1, 'retired'],
      [2, 'live'],
    ]);
    await sleep(50);
    querying = false;
    await queries;
    await writers.stop();
    await Promise.all([v1.whenCaughtUp({ timeoutMs: 30_000 }), v2.whenCaughtUp({ timeoutMs: 30_000 })]);

    const log = await foldLog(h.store);
    expect(ledgerMismatches(await readLedger(h.pool, '"public"."ledger_v2"'), log)).toEqual([]);
    expect(ledgerMismatches(await readLedger(h.pool, '"public"."ledger_v1"'), log)).toEqual([]);

    // Version 1 answered every query until the switch, never with less than it had; then version 2.
    const switchAt = answers.findIndex((a) => a.version === 2);
    expect(switchAt).toBeGreaterThan(0);
    const before = answers.slice(0, switchAt);
    const after = answers.slice(switchAt);
    expect(before.every((a) => a.version === 1 && a.rows >= 3000)).toBe(true);
    expect(before.every((a, i) => i === 0 || a.rows >= (before[i - 1]?.rows ?? 0))).toBe(true);
    // Version 2 switched in complete up to where it caught up: at least all version 1 had when the build began.
    expect(after.every((a, i) => a.version === 2 && a.rows >= (before[0]?.rows ?? 0) && (i === 0 || a.rows >= (after[i - 1]?.rows ?? 0)))).toBe(true);

    const last = progress.at(-1);
    expect(last).toMatchObject({ projection: 'ledger', version: 2, kind: 'blue-green', finished: true, etaMs: 0 });
    expect(last?.done).toBe(last?.total);
    expect(progress.length).toBeGreaterThan(1);
    expect((await v2.status())[0]).toMatchObject({ state: 'running', versionState: 'live' });
    await Promise.all([v1.stop(), v2.stop()]);
  });

  it('truncates and replays one version, reporting progress, while writes go on', async () => {
    const h = harness!;
    const projector = createProjector({ store: h.store, db: h.db, projections: [ledgerProjection({ version: 2 })], batchSize: 200 });
    await projector.start();
    await projector.whenCaughtUp({ timeoutMs: 30_000 });
    await h.pool.query('update public.ledger_v2 set amount = -1'); // the read model got damaged
    const writers = keepWriting((first) => appendLedger(h.store, { events: 10, firstAmount: 500_000 + first }), cleanups);
    const progress: RebuildProgress[] = [];
    const final = await projector.rebuild('ledger', { onProgress: (p) => progress.push(p) });
    await writers.stop();
    await projector.whenCaughtUp({ timeoutMs: 30_000 });
    expect(ledgerMismatches(await readLedger(h.pool, '"public"."ledger_v2"'), await foldLog(h.store))).toEqual([]);
    expect(final).toMatchObject({ kind: 'truncate', finished: true });
    expect(final.done).toBe(final.total);
    expect(progress.every((p, i) => i === 0 || p.done >= (progress[i - 1]?.done ?? 0))).toBe(true);
    const { rows } = await h.pool.query<{ status: string }>(`select status from eventfold.checkpoints where name = 'projection:ledger:v2'`);
    expect(rows[0]?.status).toBe('running');
    await projector.stop();
  });
});
