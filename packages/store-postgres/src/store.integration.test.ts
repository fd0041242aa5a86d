import { randomUUID } from 'node:crypto';
import {
  START,
  isConcurrencyError,
  isEventTooLargeError,
  isEventValidationError,
  isInvalidArgumentError,
  isInvalidExpectedVersionError,
  isInvalidStreamIdError,
  type NewEvent,
  type RecordedEvent,
} from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresCheckpointStore } from './checkpoint-store';
import { queryRows } from './driver';
import { isInvalidSchemaNameError, isStoreClosedError } from './errors';
import { createPostgresEventStore } from './event-store';
import { createPostgresSnapshotStore } from './snapshot-store';
import { anyFixture } from './test-support/databases';

// Reads, bad input and transactions: the real server when there is one, else PGlite.
const fixture = await anyFixture();
const { db } = fixture;
// Other test files hold transactions open on the same server, and the xmin horizon is cluster-wide:
// a generous settle keeps "append, then read the feed" deterministic.
const store = createPostgresEventStore({ db, maxEventBytes: 4096, settleMs: 10_000 });
afterAll(async () => {
  await store.close();
  await fixture.dispose();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function rowCounts(): Promise<{ events: number; streams: number; snapshots: number; checkpoints: number }> {
  const [row] = await queryRows<{ events: number; streams: number; snapshots: number; checkpoints: number }>(
    db,
    `select (select count(*)::int from eventfold.events) as events, (select count(*)::int from eventfold.streams) as streams,
            (select count(*)::int from eventfold.snapshots) as snapshots, (select count(*)::int from eventfold.checkpoints) as checkpoints`,
  );
  return row!;
}

describe('streaming reads', () => {
  const streamId = `ledger-${randomUUID()}`;
  const total = 2_500;
  const appended: RecordedEvent[] = [];

  it('reads a long stream forwards and backwards in pages, by version range and with a limit', async () => {
    for (let start = 0; start < total; start += 500) {
      const result = await store.append(
        streamId,
        Array.from({ length: 500 }, (_, n) => ({ type: n % 2 === 0 ? 'Credited' : 'Debited', data: { n: start + n } })),
      );
      appended.push(...result.events);
    }
    const forwards = await collect(store.readStream(streamId));
    expect(forwards.map((event) => event.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(forwards.map((event) => event.id)).toEqual(appended.map((event) => event.id));
    const backwards = await collect(store.readStream(streamId, { direction: 'backwards' }));
    expect(backwards.map((event) => event.version)).toEqual(Array.from({ length: total }, (_, i) => total - i));
    const range = await collect(store.readStream(streamId, { fromVersion: 999, toVersion: 2_001 }));
    expect(range.map((event) => event.version)).toEqual(Array.from({ length: 1_003 }, (_, i) => 999 + i));
    const lastThree = await collect(store.readStream(streamId, { direction: 'backwards', limit: 3 }));
    expect(lastThree.map((event) => event.version)).toEqual([2_500, 2_499, 2_498]);
    const limited = await collect(store.readStream(streamId, { fromVersion: 1_000, limit: 1_001 }));
    expect(limited.map((event) => event.version)).toEqual(Array.from({ length: 1_001 }, (_, i) => 1_000 + i));
  });

  it('reads a stream as of a time', async () => {
    const id = `ledger-${randomUUID()}`;
    const first = await store.append(id, [{ type: 'Opened', data: {} }]);
    while (Date.now() <= first.events[0]!.occurredAt.getTime() + 2) await new Promise((resolve) => setTimeout(resolve, 2));
    await store.append(id, [{ type: 'Closed', data: {} }]);
    const asOf = await collect(store.readStream(id, { asOf: first.events[0]!.occurredAt }));
    expect(asOf.map((event) => event.type)).toEqual(['Opened']);
    const backwardsAsOf = await collect(store.readStream(id, { asOf: new Date(), direction: 'backwards' }));
    expect(backwardsAsOf.map((event) => event.type)).toEqual(['Closed', 'Opened']);
  });

  it('reads by event type and by stream type across pages, in feed order', async () => {
    const streamType = `t${randomUUID().replaceAll('-', '')}`;
    const ids: string[] = [];
    for (let n = 0; n < 30; n += 1) {
      const result = await store.append(`${streamType}-${n % 4}`, [{ type: n % 3 === 0 ? 'Rare' : 'Common', data: { n } }]);
      ids.push(result.events[0]!.id);
    }
    const byStreamType = await collect(store.readByStreamType(streamType, { pageSize: 7 }));
    expect(byStreamType.map((event) => event.id)).toEqual(ids);
    const rare = await collect(store.readByType(['Rare'], { pageSize: 4 }));
    const rareOfThisTest = rare.filter((event) => event.streamType === streamType);
    expect(rareOfThisTest.map((event) => (event.data as { n: number }).n)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    const both = await collect(store.readAllEvents({ types: ['Rare', 'Common'], streamTypes: [streamType], pageSize: 5 }));
    expect(both.map((event) => event.id)).toEqual(ids);
    const everything = await collect(store.readAllEvents({ pageSize: 1_000 }));
    expect(everything.length).toBe((await rowCounts()).events);
    expect(new Set(everything.map((event) => event.id)).size).toBe(everything.length);
  });

  it('tells apart two event types, and two stream types, whose hashes are equal', async () => {
    // The type feed indexes are keyed by hashtext(name); these two names share a hash, so only the
    // name comparison in the feed statement keeps one out of the other's reads.
    const [a, b] = ['Type19055', 'Type55408'];
    const [hashes] = await queryRows<{ same: boolean }>(db, 'select hashtext($1::text) = hashtext($2::text) as same', [a, b]);
    expect(hashes?.same).toBe(true);
    const before = (await store.readAll({ after: START, limit: 100_000 })).checkpoint;
    await store.append(`${a}-${randomUUID()}`, [{ type: a, data: { n: 1 } }], { streamType: a });
    await store.append(`${b}-${randomUUID()}`, [{ type: b, data: { n: 2 } }, { type: a, data: { n: 3 } }], { streamType: b });
    const byType = await collect(store.readAllEvents({ after: before, types: [b] }));
    expect(byType.map((event) => [event.type, (event.data as { n: number }).n])).toEqual([[b, 2]]);
    const byStreamType = await collect(store.readAllEvents({ after: before, streamTypes: [a] }));
    expect(byStreamType.map((event) => [event.streamType, (event.data as { n: number }).n])).toEqual([[a, 1]]);
    const both = await collect(store.readAllEvents({ after: before, types: [a], streamTypes: [b] }));
    expect(both.map((event) => (event.data as { n: number }).n)).toEqual([3]);
  });

  it('keeps the checkpoint of a filtered read moving past skipped events, per event', async () => {
    const before = (await store.readAll({ after: START, limit: 100_000 })).checkpoint;
    const streamType = `t${randomUUID().replaceAll('-', '')}`;
    await store.append(`${streamType}-1`, [{ type: 'Skipped', data: {} }, { type: 'Wanted', data: {} }, { type: 'Skipped', data: {} }]);
    const page = await store.readAll({ after: before, types: ['Wanted'] });
    expect(page.events.map((event) => event.type)).toEqual(['Wanted']);
    const everything = await store.readAll({ after: before });
    expect(page.checkpoint).toEqual(everything.checkpoint);
    expect(page.checkpoints[0]).toEqual(everything.checkpoints[1]);
    expect(await store.readAll({ after: page.checkpoint, types: ['Wanted'] })).toMatchObject({ events: [], hasMore: false });
  });
});

describe('bad input is refused with a typed error before anything is written', () => {
  const cases: [string, () => Promise<unknown>, (error: unknown) => boolean][] = [
    ['an empty stream id', () => store.append('', [{ type: 'A', data: {} }]), isInvalidStreamIdError],
    ['a 201-character stream id', () => store.append('s'.repeat(201), [{ type: 'A', data: {} }]), isInvalidStreamIdError],
    ['a NUL character in the stream id', () => store.append('x-\u0000', [{ type: 'A', data: {} }]), isInvalidStreamIdError],
    ['a NUL character in the event type', () => store.append(`x-${randomUUID()}`, [{ type: 'A\u0000', data: {} }]), isEventValidationError],
    ['a BigInt in data', () => store.append(`x-${randomUUID()}`, [{ type: 'A', data: { n: 1n } }]), isEventValidationError],
    [
      'a cycle in data',
      () => {
        const data: Record<string, unknown> = {};
        data['self'] = data;
        return store.append(`x-${randomUUID()}`, [{ type: 'A', data }]);
      },
      isEventValidationError,
    ],
    ['undefined data', () => store.append(`x-${randomUUID()}`, [{ type: 'A', data: undefined }]), isEventValidationError],
    ['data over maxEventBytes', () => store.append(`x-${randomUUID()}`, [{ type: 'A', data: 'x'.repeat(5000) }]), isEventTooLargeError],
    [
      'an unknown expected version',
      () => store.append(`x-${randomUUID()}`, [{ type: 'A', data: {} }], { expectedVersion: 'latest' as never }),
      isInvalidExpectedVersionError,
    ],
    [
      'a second, invalid event after a valid one',
      () => store.append(`x-${randomUUID()}`, [{ type: 'A', data: {} }, { type: 'B', data: { n: Number.NaN } }] as NewEvent[]),
      isEventValidationError,
    ],
    [
      'a snapshot whose state is not JSON',
      () => createPostgresSnapshotStore({ db }).save({ streamId: 'x-1', version: 1, schemaVersion: 1, state: { n: 2n } }),
      isInvalidArgumentError,
    ],
    [
      'a checkpoint name with a NUL character',
      () => createPostgresCheckpointStore({ db }).save('projection\u0000', { transactionId: 1, position: 1 }),
      isInvalidArgumentError,
    ],
    [
      'a snapshot of a stream id with a NUL character',
      () => createPostgresSnapshotStore({ db }).save({ streamId: 'x-\u0000', version: 1, schemaVersion: 1, state: {} }),
      isInvalidStreamIdError,
    ],
    [
      'a checkpoint that is not a checkpoint',
      () => createPostgresCheckpointStore({ db }).save('projection', { transactionId: -1, position: 0 }),
      isInvalidArgumentError,
    ],
  ];

  it.each(cases)('refuses %s', async (_, run, isExpected) => {
    const before = await rowCounts();
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isExpected(error), String(error)).toBe(true);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses an unsafe schema name and an invalid option when the store is created', () => {
    expect(() => createPostgresEventStore({ db, schema: 'x"; drop table y; --' })).toThrow(
      expect.objectContaining({ code: 'EVENTFOLD_PG_INVALID_SCHEMA_NAME' }) as Error,
    );
    let caught: unknown;
    try {
      createPostgresSnapshotStore({ db, schema: 'Public' });
    } catch (error) {
      caught = error;
    }
    expect(isInvalidSchemaNameError(caught)).toBe(true);
    expect(() => createPostgresEventStore({ db, maxEventBytes: 0 })).toThrow(/maxEventBytes/);
    expect(() => createPostgresEventStore({ db, settleMs: -1 })).toThrow(/settleMs/);
    expect(() => createPostgresEventStore({ db, notifyIntervalMs: 2.5 })).toThrow(/notifyIntervalMs/);
    expect(() => createPostgresEventStore({ db, coalesce: { maxBatch: 0 } })).toThrow(/maxBatch/);
  });

  it('refuses use after close() with StoreClosedError', async () => {
    const closed = createPostgresEventStore({ db });
    await closed.close();
    const error = await closed.append(`x-${randomUUID()}`, [{ type: 'A', data: {} }]).catch((e: unknown) => e);
    expect(isStoreClosedError(error)).toBe(true);
    expect(await closed.readAll().catch((e: unknown) => e)).toMatchObject({ code: 'EVENTFOLD_PG_STORE_CLOSED' });
  });
});

describe('transactions', () => {
  it('commits appends, read-model writes and a checkpoint together, or none of them', async () => {
    await queryRows(db, 'create table if not exists public.room_view (id text primary key, guests int not null)');
    const commit = `room-${randomUUID()}`;
    await store.withTransaction(async ({ store: tx, tx: drizzleTx }) => {
      await tx.append(commit, [{ type: 'Booked', data: { guests: 2 } }]);
      await queryRows(drizzleTx, 'insert into public.room_view (id, guests) values ($1, $2)', [commit, 2]);
      await createPostgresCheckpointStore({ db: drizzleTx }).save(`view-${commit}`, { transactionId: 7, position: 9 });
    });
    expect(await store.streamVersion(commit)).toBe(1);
    expect(await queryRows(db, 'select guests from public.room_view where id = $1', [commit])).toEqual([{ guests: 2 }]);
    expect((await createPostgresCheckpointStore({ db }).load(`view-${commit}`))?.checkpoint).toEqual({ transactionId: 7, position: 9 });

    const rollback = `room-${randomUUID()}`;
    const failure = new Error('projection failed');
    await expect(
      store.withTransaction(async ({ store: tx, tx: drizzleTx }) => {
        await tx.append(rollback, [{ type: 'Booked', data: { guests: 3 } }]);
        await queryRows(drizzleTx, 'insert into public.room_view (id, guests) values ($1, $2)', [rollback, 3]);
        await createPostgresCheckpointStore({ db: drizzleTx }).save(`view-${rollback}`, { transactionId: 8, position: 10 });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.streamVersion(rollback)).toBe(0);
    expect(await queryRows(db, 'select guests from public.room_view where id = $1', [rollback])).toEqual([]);
    expect(await createPostgresCheckpointStore({ db }).load(`view-${rollback}`)).toBeUndefined();
  });

  it('nests withTransaction on a transaction-bound store as a savepoint of the same transaction', async () => {
    const outer = `room-${randomUUID()}`;
    const inner = `room-${randomUUID()}`;
    await store.withTransaction(async ({ store: tx }) => {
      await tx.append(outer, [{ type: 'Booked', data: {} }]);
      await tx
        .withTransaction(async ({ store: nested }) => {
          await nested.append(inner, [{ type: 'Booked', data: {} }]);
          expect(await nested.streamVersion(outer)).toBe(1); // same transaction: sees the outer append
          throw new Error('undo the inner part only');
        })
        .catch(() => undefined);
      expect(await tx.streamVersion(inner)).toBe(0);
    });
    expect(await store.streamVersion(outer)).toBe(1);
    expect(await store.streamVersion(inner)).toBe(0);
  });

  it('accepts a Drizzle transaction as the db of a store', async () => {
    const id = `room-${randomUUID()}`;
    await db.transaction(async (tx) => {
      const bound = createPostgresEventStore({ db: tx });
      await bound.append(id, [{ type: 'Booked', data: {} }], { expectedVersion: 'no_stream' });
      const conflict = await bound.append(id, [{ type: 'Booked', data: {} }], { expectedVersion: 'no_stream' }).catch((e: unknown) => e);
      expect(isConcurrencyError(conflict)).toBe(true); // refused without aborting the transaction
      await bound.append(id, [{ type: 'Paid', data: {} }], { expectedVersion: 1 });
    });
    expect(await store.streamVersion(id)).toBe(2);
  });
});
