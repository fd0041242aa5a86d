import { randomUUID } from 'node:crypto';
import { isConcurrencyError, isDuplicateEventIdError, prepareAppend, type AppendResult } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { appendParams } from './append';
import { createPostgresEventStore } from './event-store';
import { storeStatements } from './statements';
import { serverFixture } from './test-support/databases';

const fixture = await serverFixture('the write-coalescing tests');

describe.skipIf(fixture === undefined)('write coalescing', () => {
  afterAll(async () => {
    await fixture?.dispose();
  });
  if (fixture === undefined) return;
  const { db, pool } = fixture;
  const store = createPostgresEventStore({ db, coalesce: { maxConcurrentBatches: 4 } });
  const plain = createPostgresEventStore({ db });
  afterAll(async () => {
    await store.close();
    await plain.close();
  });

  /** The distinct transaction ids that wrote these events: one means one statement, one commit. */
  async function transactionsOf(results: readonly AppendResult[]): Promise<number> {
    const ids = results.flatMap((result) => result.events.map((event) => event.id));
    const { rows } = await pool.query<{ n: string }>(
      'select count(distinct transaction_id)::text as n from eventfold.events where event_id = any($1::uuid[])',
      [ids],
    );
    return Number(rows[0]?.n);
  }

  it('merges concurrent appends into one commit and gives each caller its own result or error', async () => {
    const existing = await Promise.all(
      Array.from({ length: 4 }, () => plain.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }])),
    );
    const retried = existing[0]!;
    const calls = [
      // new streams
      ...Array.from({ length: 8 }, (_, n) =>
        store.append(`order-${randomUUID()}`, [{ type: 'Placed', data: { n } }], { expectedVersion: 'no_stream' }),
      ),
      // stale expected versions
      store.append(existing[1]!.streamId, [{ type: 'Paid', data: {} }], { expectedVersion: 0 }),
      store.append(existing[2]!.streamId, [{ type: 'Paid', data: {} }], { expectedVersion: 5 }),
      // an identical retry of an earlier append
      store.append(retried.streamId, [{ id: retried.events[0]!.id, type: 'Placed', data: {} }], { expectedVersion: 'no_stream' }),
      // a matching expected version on an existing stream
      store.append(existing[3]!.streamId, [{ type: 'Paid', data: {} }, { type: 'Shipped', data: {} }], { expectedVersion: 1 }),
    ];
    const outcomes = await Promise.allSettled(calls);
    const fulfilled = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    const errors = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as unknown) : undefined));

    const appended = fulfilled.slice(0, 8);
    for (const result of appended) expect(result).toMatchObject({ nextExpectedVersion: 1, idempotent: false });
    expect(isConcurrencyError(errors[8])).toBe(true);
    expect(errors[8]).toMatchObject({ streamId: existing[1]!.streamId, expected: 0, actual: 1 });
    expect(errors[9]).toMatchObject({ streamId: existing[2]!.streamId, expected: 5, actual: 1 });
    expect(fulfilled[10]).toMatchObject({ idempotent: true, nextExpectedVersion: 1 });
    expect(fulfilled[10]?.events[0]?.globalPosition).toBe(retried.events[0]!.globalPosition);
    expect(fulfilled[11]?.events.map((event) => event.version)).toEqual([2, 3]);

    // Every successful append of the batch was written by one transaction.
    const written = [...appended, fulfilled[11]].filter((result): result is AppendResult => result !== undefined);
    expect(written).toHaveLength(9);
    expect(await transactionsOf(written)).toBe(1);
    // Refused appends wrote nothing.
    expect(await plain.streamVersion(existing[1]!.streamId)).toBe(1);
    expect(await plain.streamVersion(existing[2]!.streamId)).toBe(1);
  });

  it('writes a batch of creates as one statement, and still answers those whose stream exists', async () => {
    const existing = await Promise.all(
      Array.from({ length: 2 }, () => plain.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }])),
    );
    const retried = existing[0]!;
    const calls = [
      ...Array.from({ length: 6 }, (_, n) =>
        store.append(`order-${randomUUID()}`, [{ type: 'Placed', data: { n } }, { type: 'Paid', data: { n } }], {
          expectedVersion: n % 2 === 0 ? 'no_stream' : 0,
        }),
      ),
      // the stream exists: an identical retry, and a create with other events
      store.append(retried.streamId, [{ id: retried.events[0]!.id, type: 'Placed', data: {} }], { expectedVersion: 'no_stream' }),
      store.append(existing[1]!.streamId, [{ type: 'Placed', data: { again: true } }], { expectedVersion: 0 }),
      // a create with one event and a stream type of its own, in the same batch as two-event creates
      store.append(`order-${randomUUID()}`, [{ type: 'Placed', data: { last: true } }], { expectedVersion: 'no_stream', streamType: 'archive' }),
    ];
    const outcomes = await Promise.allSettled(calls);
    const fulfilled = outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : undefined));
    const created = [...fulfilled.slice(0, 6), fulfilled[8]];
    for (const [index, result] of fulfilled.slice(0, 6).entries()) {
      expect(result?.events.map((event) => [event.version, event.type, event.data])).toEqual([
        [1, 'Placed', { n: index }],
        [2, 'Paid', { n: index }],
      ]);
      expect(result?.nextExpectedVersion).toBe(2);
    }
    expect(fulfilled[8]?.events.map((event) => [event.version, event.streamType, event.data])).toEqual([[1, 'archive', { last: true }]]);
    expect(fulfilled[8]).toMatchObject({ streamType: 'archive', nextExpectedVersion: 1 });
    expect(fulfilled[0]).toMatchObject({ streamType: 'order', nextExpectedVersion: 2 });
    expect(fulfilled[6]).toMatchObject({ idempotent: true, nextExpectedVersion: 1 });
    expect(fulfilled[6]?.events[0]?.globalPosition).toBe(retried.events[0]!.globalPosition);
    expect(outcomes[7]?.status).toBe('rejected');
    expect((outcomes[7] as PromiseRejectedResult).reason).toMatchObject({ streamId: existing[1]!.streamId, expected: 0, actual: 1 });
    // The creates share one commit, and positions grow with versions inside each stream.
    expect(await transactionsOf(created.filter((result): result is AppendResult => result !== undefined))).toBe(1);
    for (const result of created) {
      const positions = result?.events.map((event) => event.globalPosition) ?? [];
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      const stored = [];
      for await (const event of plain.readStream(result!.streamId)) stored.push([event.id, event.globalPosition]);
      expect(stored).toEqual(result?.events.map((event) => [event.id, event.globalPosition]));
    }
    // The refused create wrote nothing.
    expect(await plain.streamVersion(existing[1]!.streamId)).toBe(1);
  });

  it('orders appends to one stream across batches, in submission order', async () => {
    const streamId = `cart-${randomUUID()}`;
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((expectedVersion) => store.append(streamId, [{ type: 'Added', data: { expectedVersion } }], { expectedVersion })),
    );
    expect(results.map((result) => result.nextExpectedVersion)).toEqual([1, 2, 3, 4, 5]);
    const events = [];
    for await (const event of store.readStream(streamId)) events.push(event.data);
    expect(events).toEqual([0, 1, 2, 3, 4].map((expectedVersion) => ({ expectedVersion })));
  });

  it('runs the appends of a failed batch one by one: a duplicate id fails only its own caller', async () => {
    const shared = randomUUID();
    const used = await plain.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }]);
    const outcomes = await Promise.allSettled([
      // the same new id twice in one batch
      store.append(`order-${randomUUID()}`, [{ id: shared, type: 'Placed', data: {} }]),
      store.append(`order-${randomUUID()}`, [{ id: shared, type: 'Placed', data: {} }]),
      // an id already recorded in another stream
      store.append(`order-${randomUUID()}`, [{ id: used.events[0]!.id, type: 'Placed', data: {} }]),
      store.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }]),
    ]);
    expect(outcomes.slice(0, 2).map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.slice(0, 2).find((outcome) => outcome.status === 'rejected');
    expect(isDuplicateEventIdError(rejected?.reason)).toBe(true);
    expect(outcomes[2]?.status).toBe('rejected');
    expect(isDuplicateEventIdError((outcomes[2] as PromiseRejectedResult).reason)).toBe(true);
    expect(outcomes[3]?.status).toBe('fulfilled');
  });

  it('never deadlocks two batches that create the same streams in different orders', async () => {
    // append_events locks the streams another batch created meanwhile in id order (migration
    // 0004): in item order, 8 concurrent batches of the same 4 new streams deadlocked about one
    // batch in six, each after deadlock_timeout.
    const { append } = storeStatements('eventfold');
    const deadlocks: unknown[] = [];
    for (let round = 0; round < 10; round += 1) {
      const ids = Array.from({ length: 4 }, () => `race-${randomUUID()}`);
      const written = new Map(ids.map((id) => [id, 0]));
      await Promise.all(
        Array.from({ length: 8 }, async (_, batch) => {
          const order = ids.map((_id, n) => ids[(n + batch) % ids.length]!);
          if (batch % 2 === 0) order.reverse();
          const items = order.map((id) => prepareAppend(id, [{ type: 'Placed', data: {} }], { expectedVersion: 'any' }));
          try {
            const { rows } = await pool.query<{ item: number; status: number }>({ name: append.name, text: append.text, values: appendParams(items, null, false) });
            // 0 written; 3 refused for feed order (the store retries those in a new transaction).
            for (const row of rows) {
              expect([0, 3]).toContain(row.status);
              if (row.status === 0) written.set(order[row.item - 1]!, written.get(order[row.item - 1]!)! + 1);
            }
          } catch (error) {
            if ((error as { code?: string }).code !== '40P01') throw error;
            deadlocks.push(error);
          }
        }),
      );
      const { rows } = await pool.query<{ id: string; version: number }>('select id, version from eventfold.streams where id = any($1::text[])', [ids]);
      expect(new Map(rows.map((row) => [row.id, row.version]))).toEqual(written);
    }
    expect(deadlocks).toEqual([]);
  });

  it('settles pending appends before close() returns, and refuses appends afterwards', async () => {
    const closing = createPostgresEventStore({ db, coalesce: true });
    const pending = Array.from({ length: 10 }, () => closing.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }]));
    await closing.close();
    for (const result of await Promise.all(pending)) expect(result.nextExpectedVersion).toBe(1);
    await expect(closing.append(`order-${randomUUID()}`, [{ type: 'Placed', data: {} }])).rejects.toMatchObject({
      code: 'EVENTFOLD_PG_STORE_CLOSED',
    });
  });
});
