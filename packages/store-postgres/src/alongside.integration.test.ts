import { randomUUID } from 'node:crypto';
import { isConcurrencyError, isInvalidArgumentError } from '@eventfold/core';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows as queryText, type EventfoldDatabase } from './driver';
import { createPostgresEventStore } from './event-store';
import { pgliteFixture, serverFixture } from './test-support/databases';

const dialect = new PgDialect();
const queryRows = <Row = Record<string, unknown>>(db: EventfoldDatabase, statement: SQL | string): Promise<Row[]> => {
  if (typeof statement === 'string') return queryText<Row>(db, statement);
  const { sql: text, params } = dialect.sqlToQuery(statement);
  return queryText<Row>(db, text, params);
};

const server = await serverFixture('the alongside-writes tests');
const pglite = await pgliteFixture();

interface OrderRow {
  id: string;
  version: number;
  position: string;
  placed_at_ms: string;
  total: number;
}

/** The same cases on node-postgres (real server) and on PGlite. */
function alongsideCases(name: string, db: EventfoldDatabase | undefined, dispose: () => Promise<void>, coalesce = false) {
  describe.skipIf(db === undefined)(`alongside writes (${name})`, () => {
    if (db === undefined) return;
    const store = createPostgresEventStore({ db, notify: false, coalesce });

    beforeAll(async () => {
      await queryRows(db, `create table if not exists orders (id text primary key, version int not null, position bigint not null,
                                                               placed_at timestamptz not null, total int not null)`);
      // A guard: one order per coupon, across streams.
      await queryRows(db, 'create table if not exists coupons (code text primary key, order_id text not null)');
    });
    afterAll(async () => {
      await store.close();
      await dispose();
    });

    /** The inline read model: one row per order, from the appended event (via `appended`). */
    const orderRow = (total: number) =>
      sql`insert into orders (id, version, position, placed_at, total)
          select a.stream_id, a.version, a.global_position, a.occurred_at, ${total}::int from appended a`;
    const useCoupon = (code: string) => sql`insert into coupons (code, order_id) select ${code}::text, a.stream_id from appended a limit 1`;

    const order = async (id: string) =>
      (
        await queryRows<OrderRow>(
          db,
          sql`select id, version, position::text, (extract(epoch from placed_at) * 1000)::bigint::text as placed_at_ms, total
                from orders where id = ${id}`,
        )
      )[0];
    const eventCount = async (streamId: string) =>
      Number((await queryRows<{ n: number }>(db, sql`select count(*)::int as n from eventfold.events where stream_id = ${streamId}`))[0]?.n);
    const streamExists = async (streamId: string) =>
      (await queryRows(db, sql`select 1 from eventfold.streams where id = ${streamId}`)).length > 0;

    it('creates the stream, appends and writes in one commit; the writes see the appended events', async () => {
      const streamId = `order-${randomUUID()}`;
      const result = await store.append(streamId, [{ type: 'Placed', data: { total: 30 } }], {
        expectedVersion: 'no_stream',
        alongside: [orderRow(30), useCoupon(`C-${streamId}`)],
      });
      const event = result.events[0]!;
      expect(await order(streamId)).toEqual({
        id: streamId,
        version: 1,
        position: String(event.globalPosition),
        placed_at_ms: String(event.occurredAt.getTime()),
        total: 30,
      });
      const [coupon] = await queryRows<{ order_id: string }>(db, sql`select order_id from coupons where code = ${`C-${streamId}`}`);
      expect(coupon?.order_id).toBe(streamId);
    });

    it('passes Dates and objects in writes as node-postgres converts them', async () => {
      const streamId = `order-${randomUUID()}`;
      const due = new Date('2026-12-24T18:30:00.000Z');
      await queryRows(db, 'create table if not exists order_notes (id text primary key, due timestamptz not null, note jsonb not null)');
      await store.append(streamId, [{ type: 'Placed', data: {} }], {
        expectedVersion: 'no_stream',
        alongside: sql`insert into order_notes (id, due, note) select a.stream_id, ${due}, ${JSON.stringify({ gift: true })}::jsonb from appended a`,
      });
      const [row] = await queryRows<{ due_ms: string; note: unknown }>(
        db,
        sql`select (extract(epoch from due) * 1000)::bigint::text as due_ms, note from order_notes where id = ${streamId}`,
      );
      expect(row).toEqual({ due_ms: String(due.getTime()), note: { gift: true } });
    });

    it('a write that fails fails the append, and nothing of it is written', async () => {
      const first = `order-${randomUUID()}`;
      const code = `C-${randomUUID()}`;
      await store.append(first, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: useCoupon(code) });
      const second = `order-${randomUUID()}`;
      const refused = await store
        .append(second, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: [orderRow(5), useCoupon(code)] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: '23505' });
      expect(await streamExists(second)).toBe(false);
      expect(await eventCount(second)).toBe(0);
      expect(await order(second)).toBeUndefined();
    });

    it('creating a stream that exists is a ConcurrencyError; the writes do not run', async () => {
      const streamId = `order-${randomUUID()}`;
      await store.append(streamId, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream' });
      const refused = await store
        .append(streamId, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: orderRow(7) })
        .catch((error: unknown) => error);
      expect(isConcurrencyError(refused)).toBe(true);
      expect(refused).toMatchObject({ expected: 'no_stream', actual: 1 });
      expect(await order(streamId)).toBeUndefined();
      expect(await eventCount(streamId)).toBe(1);
    });

    it('an identical retry is idempotent and does not run the writes again', async () => {
      const streamId = `order-${randomUUID()}`;
      const code = `C-${streamId}`;
      const events = [{ id: randomUUID(), type: 'Placed', data: { total: 3 } }];
      const first = await store.append(streamId, events, { expectedVersion: 'no_stream', alongside: [orderRow(3), useCoupon(code)] });
      // A second run of the coupon write would fail with a unique violation.
      const retry = await store.append(streamId, events, { expectedVersion: 'no_stream', alongside: [orderRow(3), useCoupon(code)] });
      expect(retry.idempotent).toBe(true);
      expect(retry.events[0]?.globalPosition).toBe(first.events[0]?.globalPosition);
      expect(await eventCount(streamId)).toBe(1);
    });

    it('on an existing stream the append and the writes share one transaction', async () => {
      const streamId = `order-${randomUUID()}`;
      await store.append(streamId, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: orderRow(1) });
      const bump = sql`update orders o set version = a.version, position = a.global_position, total = o.total + 1
                         from appended a where o.id = a.stream_id`;
      const result = await store.append(streamId, [{ type: 'Paid', data: {} }], { expectedVersion: 1, alongside: bump });
      expect(await order(streamId)).toMatchObject({ version: 2, position: String(result.events[0]?.globalPosition), total: 2 });

      const code = `C-${randomUUID()}`;
      await store.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }], { alongside: useCoupon(code) });
      const refused = await store
        .append(streamId, [{ type: 'Shipped', data: {} }], { expectedVersion: 2, alongside: [bump, useCoupon(code)] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: '23505' });
      expect(await eventCount(streamId)).toBe(2);
      expect(await order(streamId)).toMatchObject({ version: 2, total: 2 });
    });

    it('inside withTransaction the writes roll back with the transaction', async () => {
      const streamId = `order-${randomUUID()}`;
      const failure = new Error('the caller changed its mind');
      await expect(
        store.withTransaction(async ({ store: bound }) => {
          await bound.append(streamId, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: orderRow(9) });
          expect(await queryRows(bound.db, sql`select 1 from orders where id = ${streamId}`)).toHaveLength(1);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await order(streamId)).toBeUndefined();
      expect(await streamExists(streamId)).toBe(false);
    });

    it('refuses anything but Drizzle sql before writing', async () => {
      const streamId = `order-${randomUUID()}`;
      for (const alongside of ['insert into orders values (1)', [orderRow(1), { sql: 'x' }], null]) {
        const refused = await store
          .append(streamId, [{ type: 'Placed', data: {} }], { alongside: alongside as never })
          .catch((error: unknown) => error);
        expect(isInvalidArgumentError(refused)).toBe(true);
        expect((refused as Error).message).toMatch(/alongside.*Drizzle sql/);
      }
      expect(await streamExists(streamId)).toBe(false);
    });

    it('of concurrent creates that claim the same guard row, exactly one commits', async () => {
      const code = `C-${randomUUID()}`;
      const ids = Array.from({ length: 20 }, () => `order-${randomUUID()}`);
      const outcomes = await Promise.allSettled(
        ids.map((id) => store.append(id, [{ type: 'Placed', data: {} }], { expectedVersion: 'no_stream', alongside: [orderRow(1), useCoupon(code)] })),
      );
      const winners = ids.filter((_, index) => outcomes[index]?.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: '23505' });
      const written = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from orders where id = any(${sql.param(ids)}::text[])`);
      expect(written[0]?.n).toBe(1);
      const streams = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from eventfold.streams where id = any(${sql.param(ids)}::text[])`);
      expect(streams[0]?.n).toBe(1);
    });

    it('concurrent creates each get their own result, and each write sees only its own append', async () => {
      const ids = Array.from({ length: 12 }, () => `order-${randomUUID()}`);
      const results = await Promise.all(
        ids.map((id, n) =>
          store.append(id, [{ type: 'Placed', data: { n } }, { type: 'Priced', data: { n } }], {
            expectedVersion: 'no_stream',
            alongside: [
              // One row per order: two would mean the write saw another append's events.
              sql`insert into orders (id, version, position, placed_at, total)
                  select a.stream_id, max(a.version), max(a.global_position), min(a.occurred_at), count(*) * 100 + ${n}::int
                    from appended a group by a.stream_id`,
              useCoupon(`C-${id}`),
            ],
          }),
        ),
      );
      for (const [n, id] of ids.entries()) {
        const result = results[n]!;
        expect(result).toMatchObject({ streamId: id, nextExpectedVersion: 2, idempotent: false });
        expect(result.events.map((event) => event.version)).toEqual([1, 2]);
        expect(await order(id)).toEqual({
          id,
          version: 2,
          position: String(result.events[1]!.globalPosition),
          placed_at_ms: String(result.events[0]!.occurredAt.getTime()),
          total: 200 + n,
        });
      }
      const [row] = await queryRows<{ n: number }>(
        db,
        sql`select count(distinct transaction_id)::int as n from eventfold.events where stream_id = any(${sql.param(ids)}::text[])`,
      );
      // Coalesced, the creates share a few commits; alone, each has its own.
      if (coalesce) expect(row?.n).toBeLessThanOrEqual(3);
      else expect(row?.n).toBe(ids.length);
    });
  });
}

// Both server suites share one database; the last one drops it.
alongsideCases('node-postgres', server?.db, async () => undefined);
alongsideCases('node-postgres, coalesced', server?.db, async () => server?.dispose(), true);
alongsideCases('PGlite', pglite.db, () => pglite.dispose());
