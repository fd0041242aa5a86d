import { randomUUID } from 'node:crypto';
import { START, type GlobalCheckpoint } from '@eventfold/core';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { createServerTestDatabase } from '@eventfold/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore, type PostgresEventStore } from './event-store';
import { serverFixture } from './test-support/databases';

const fixture = await serverFixture('the LISTEN/NOTIFY, subscribe and horizon tests');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Longer than any test's own timeout: a waiter that resolves was woken, not timed out. */
const NEVER = 600_000;

async function headOf(store: PostgresEventStore): Promise<GlobalCheckpoint> {
  let checkpoint = START;
  for (;;) {
    const page = await store.readAll({ after: checkpoint, limit: 1000 });
    checkpoint = page.checkpoint;
    if (!page.hasMore) return checkpoint;
  }
}

/** Resolves whether `promise` settled within `ms` (it keeps running either way). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return result;
}

describe.skipIf(fixture === undefined)('notifications, subscribe and the read horizon', () => {
  afterAll(async () => {
    await fixture?.dispose();
  });
  if (fixture === undefined) return;
  const { db, pool } = fixture;
  // Two stores on separate pools stand for two processes: only NOTIFY can wake one from the other.
  const otherPool = new pg.Pool({ connectionString: fixture.database.connectionString, max: 4 });
  // Other test files hold transactions open on the same server and the xmin horizon is cluster-wide:
  // a generous settle keeps "append, then read the feed" deterministic.
  const writer = createPostgresEventStore({ db, settleMs: 10_000 });
  const reader = createPostgresEventStore({ db: drizzle(otherPool), settleMs: 10_000 });
  afterAll(async () => {
    await writer.close();
    await reader.close();
    otherPool.on('error', () => undefined); // dropped WITH (FORCE) next, as in test-support's fixtures
    await otherPool.end();
  });

  it("wakes another store's waiter through LISTEN/NOTIFY when events are appended", async () => {
    const head = await headOf(reader);
    const waiting = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(50);
    await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    await waiting; // only a notification can resolve it within the test timeout
    const page = await reader.readAll({ after: head });
    expect(page.events).toHaveLength(1);
  });

  it('sends no NOTIFY when notify is false: the waiter falls back to its timeout', async () => {
    const silent = createPostgresEventStore({ db, notify: false });
    const head = await headOf(reader);
    const waiting = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(50);
    await silent.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    expect(await settlesWithin(waiting, 500)).toBe(false);
    // A later notifying append wakes it.
    await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    await waiting;
  });

  it('notifies at commit for a store bound to a transaction it does not control', async () => {
    const head = await headOf(reader);
    const waiting = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(50);
    let committedAt = 0;
    await db.transaction(async (tx) => {
      await createPostgresEventStore({ db: tx }).append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
      expect(await settlesWithin(waiting, 300)).toBe(false); // not before commit
      committedAt = Date.now();
    });
    await waiting;
    expect(committedAt).toBeGreaterThan(0);
  });

  it('notifies once withTransaction commits, and not for a rollback', async () => {
    const head = await headOf(reader);
    const waiting = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(50);
    await writer
      .withTransaction(async ({ store }) => {
        await store.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await settlesWithin(waiting, 300)).toBe(false);
    await writer.withTransaction(async ({ store }) => {
      await store.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    });
    await waiting;
  });

  it('reconnects the LISTEN connection after it is killed, waking waiters meanwhile', async () => {
    const head = await headOf(reader);
    await reader.waitForEvents(head, { timeoutMs: 10 }); // make sure the listener is up
    const waiting = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(50);
    await pool.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'eventfold-listener' and datname = current_database()",
    );
    await waiting; // woken by the lost connection: readers re-read rather than miss anything
    await sleep(1100); // the reconnect back-off
    const again = reader.waitForEvents(head, { timeoutMs: NEVER });
    await sleep(100);
    await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    await again;
    expect((await reader.readAll({ after: head })).events).toHaveLength(1);
  });

  it('subscribe yields every page in order, waits for new events, and ends on abort', async () => {
    const head = await headOf(reader);
    const first = await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: { n: 1 } }, { type: 'Paid', data: { n: 2 } }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const page of reader.subscribe({ after: head, signal: controller.signal, pollIntervalMs: 200 })) {
        seen.push(...page.events.map((event) => event.id));
        expect(page.checkpoints).toHaveLength(page.events.length);
        if (seen.length === 3) controller.abort();
      }
    })();
    await sleep(100);
    const second = await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: { n: 3 } }]);
    await following;
    expect(seen).toEqual([...first.events, ...second.events].map((event) => event.id));
  });

  it('is not held back by a long transaction in another database of the server', async () => {
    const elsewhere = await createServerTestDatabase({ prefix: 'store_pg_elsewhere' });
    const foreign = new pg.Client({ connectionString: elsewhere!.connectionString });
    await foreign.connect();
    try {
      await foreign.query('begin');
      await foreign.query('select pg_current_xact_id()'); // holds the cluster-wide xmin from now on
      const quick = createPostgresEventStore({ db, settleMs: 0 });
      const head = await headOf(reader);
      const appended = await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
      // Our own database may have short transactions of its own in flight: poll briefly.
      let seen: string[] = [];
      for (let tries = 0; tries < 100 && seen.length === 0; tries += 1) {
        seen = (await quick.readAll({ after: head })).events.map((event) => event.id);
        if (seen.length === 0) await sleep(20);
      }
      expect(seen).toEqual([appended.events[0]!.id]);
      const horizon = await quick.horizon();
      expect(horizon.blocker?.database).not.toBe(new URL(elsewhere!.connectionString).pathname.slice(1));
      await foreign.query('rollback');
    } finally {
      await foreign.end();
      await elsewhere!.dispose();
    }
  });

  it('reports the transaction holding the horizon and the events waiting behind it', async () => {
    const blocker = new pg.Client({ connectionString: fixture.database.connectionString, application_name: 'long-report' });
    await blocker.connect();
    try {
      await blocker.query('begin');
      const { rows } = await blocker.query<{ pid: number }>('select pg_backend_pid() as pid, pg_current_xact_id()');
      const head = await headOf(reader);
      const appended = await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }, { type: 'Paid', data: {} }]);
      const quick = createPostgresEventStore({ db: drizzle(otherPool), settleMs: 0 });
      // Other sessions on the server may briefly hold an older transaction: wait until ours is the oldest.
      let horizon = await quick.horizon();
      for (let tries = 0; horizon.blocker?.pid !== rows[0]!.pid && tries < 200; tries += 1) {
        await sleep(50);
        horizon = await quick.horizon();
      }
      expect(horizon.blocker).toMatchObject({ pid: rows[0]!.pid, applicationName: 'long-report', prepared: false });
      expect(horizon.blocker?.database).toBe(new URL(fixture.database.connectionString).pathname.slice(1));
      expect(horizon.eventsWaiting).toBeGreaterThanOrEqual(2);
      expect(horizon.oldestWaitingSince?.getTime()).toBeLessThanOrEqual(appended.events[0]!.occurredAt.getTime());
      expect((await quick.readAll({ after: head })).events).toEqual([]);
      await blocker.query('commit');
      const page = await reader.readAll({ after: head });
      expect(page.events.map((event) => event.id)).toEqual(appended.events.map((event) => event.id));
    } finally {
      await blocker.end();
    }
  });
});
