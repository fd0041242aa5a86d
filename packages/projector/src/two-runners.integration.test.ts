import { afterAll, describe, expect, it } from 'vitest';
import { spawnProjector } from '../test/child';
import { appendLedger, foldLog, ledgerMismatches, ledgerProjection, readLedger, sleep } from '../test/ledger';
import { createPostgresHarness } from '../test/postgres';
import { createProjector } from './index';

const TTL_MS = 1000;

const harness = await createPostgresHarness('projector_runners');
const fenceHarness = await createPostgresHarness('projector_fence');
afterAll(async () => Promise.all([harness?.close(), fenceHarness?.close()]));

interface LeaseRow {
  owner_id: string;
  token: string;
  acquired_at: Date;
  expires_at: Date;
}

describe.skipIf(harness === undefined)('two runners of one projection (PostgreSQL)', () => {
  it('lets only the lease holder write; when it is killed the other takes over within the lease time', async () => {
    const h = harness!;
    const lease = async (): Promise<LeaseRow | undefined> =>
      (await h.pool.query<LeaseRow>(`select owner_id, token, acquired_at, expires_at from eventfold.leases where name = 'projection:ledger:v1'`))
        .rows[0];

    const a = spawnProjector({ TEST_DATABASE_URL: h.connectionString, OWNER: 'runner_a', LEASE_TTL_MS: String(TTL_MS) });
    await a.waitFor((line) => line['event'] === 'leading');
    const bConnection = h.connect('runner_b');
    const b = createProjector({
      store: h.store,
      db: bConnection.db,
      projections: [ledgerProjection({ mode: 'per-event' })],
      ownerId: 'runner_b',
      leaseTtlMs: TTL_MS,
      pollIntervalMs: 100,
    });
    await b.start();
    expect((await b.status())[0]).toMatchObject({ state: 'standby', leaseHeld: false, leaseHolder: 'runner_a' });

    await appendLedger(h.store, { events: 300 });
    await expect.poll(async () => (await readLedger(h.pool, '"public"."ledger_v1"')).size, { timeout: 20_000 }).toBe(300);
    const early = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(new Set([...early.values()].map((row) => row.writtenBy))).toEqual(new Set(['runner_a'])); // only the holder wrote
    expect((await b.status())[0]).toMatchObject({ leaseHeld: false, applied: 0 });

    a.child.kill('SIGKILL');
    await a.exited;
    const dead = await lease(); // no renewal can follow: this is when the killed holder's lease ends
    expect(dead?.owner_id).toBe('runner_a');
    await appendLedger(h.store, { events: 200, firstAmount: 300 });

    await expect.poll(async () => (await b.status())[0]?.leaseHeld, { timeout: 4 * TTL_MS }).toBe(true);
    const taken = await lease();
    expect(taken).toMatchObject({ owner_id: 'runner_b', token: String(Number(dead?.token) + 1) });
    // Never before the old lease ran out, and within one lease time after it.
    expect(taken!.acquired_at.getTime()).toBeGreaterThanOrEqual(dead!.expires_at.getTime());
    expect(taken!.acquired_at.getTime() - dead!.expires_at.getTime()).toBeLessThan(TTL_MS);

    await b.whenCaughtUp({ timeoutMs: 20_000 });
    const ledger = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(ledgerMismatches(ledger, await foldLog(h.store))).toEqual([]);
    const lateWriters = new Set([...ledger.values()].filter((row) => row.amount >= 300).map((row) => row.writtenBy));
    expect(lateWriters).toEqual(new Set(['runner_b']));
    await b.stop();
  });

  it('fences a frozen holder: once its lease is taken over it writes nothing, and nothing is applied twice', async () => {
    const h = fenceHarness!;
    const ttl = 500;
    await appendLedger(h.store, { events: 60 });
    const a = spawnProjector({
      TEST_DATABASE_URL: h.connectionString,
      OWNER: 'fence_a',
      LEASE_TTL_MS: String(ttl),
      SLOW_MS: '50',
      BATCH_SIZE: '10',
      IDLE_TX_TIMEOUT_MS: '300', // the server ends the frozen process's open transaction
    });
    await a.waitFor((line) => line['event'] === 'batch');
    for (;;) {
      const { rows } = await h.pool.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where application_name = 'fence_a' and xact_start is not null and query like '%ledger_v1%'`,
      );
      if (Number(rows[0]?.n) > 0) break;
      await sleep(5);
    }
    a.child.kill('SIGSTOP'); // frozen inside a batch transaction: no heartbeat, the lease runs out
    const frozenBatches = a.lines.filter((line) => line['event'] === 'batch').length;
    const b = createProjector({
      store: h.store,
      db: h.connect('fence_b').db,
      projections: [ledgerProjection({ mode: 'per-event' })],
      ownerId: 'fence_b',
      leaseTtlMs: ttl,
      pollIntervalMs: 50,
    });
    await b.start();
    await expect.poll(async () => (await b.status())[0]?.leaseHeld, { timeout: 20 * ttl }).toBe(true);
    await b.whenCaughtUp({ timeoutMs: 20_000 });

    a.child.kill('SIGCONT'); // it wakes up believing it leads
    await appendLedger(h.store, { events: 20, firstAmount: 60 });
    await b.whenCaughtUp({ timeoutMs: 20_000 });
    await sleep(3 * ttl); // room for the woken process to try to write

    const ledger = await readLedger(h.pool, '"public"."ledger_v1"');
    expect(ledgerMismatches(ledger, await foldLog(h.store))).toEqual([]);
    expect(a.lines.filter((line) => line['event'] === 'batch').length).toBe(frozenBatches); // its open batch never committed
    expect([...ledger.values()].filter((row) => row.amount >= 60).every((row) => row.writtenBy === 'fence_b')).toBe(true);
    expect((await b.status())[0]).toMatchObject({ leaseHeld: true, state: 'running' });
    a.child.kill('SIGKILL');
    await a.exited;
    await b.stop();
  });

  it('checks the lease inside every write transaction: a runner whose lease was taken writes nothing', async () => {
    const h = fenceHarness!;
    const runner = createProjector({
      store: h.store,
      db: h.connect('fence_c').db,
      projections: [ledgerProjection({ name: 'stolen', table: 'stolen', mode: 'per-event' })],
      ownerId: 'fence_c',
      leaseTtlMs: 60_000, // the next heartbeat is 20 s away: only the in-transaction check can notice
      pollIntervalMs: 50,
    });
    await runner.start();
    await runner.whenCaughtUp({ timeoutMs: 20_000 });
    const before = (await readLedger(h.pool, '"public"."stolen_v1"')).size;
    await h.pool.query(
      `update eventfold.leases set owner_id = 'thief', token = token + 1 where name = 'projection:stolen:v1'`,
    );
    await appendLedger(h.store, { events: 10, firstAmount: 1000 });
    await expect.poll(async () => (await runner.status())[0]?.leaseHeld, { timeout: 10_000 }).toBe(false);
    expect((await readLedger(h.pool, '"public"."stolen_v1"')).size).toBe(before);
    expect((await runner.status())[0]).toMatchObject({ state: 'standby', leaseHolder: 'thief' });
    await runner.stop();
  });
});
