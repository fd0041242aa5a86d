import { createServerTestDatabase } from '@eventfold/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/query';
import { newReservation, startTestGateway, type TestGateway } from './support/harness';

// A room can't be double-booked, under real concurrency: many connections, one PostgreSQL.
const database = await createServerTestDatabase({ prefix: 'gateway_double', purpose: 'the double-booking test' });

describe.skipIf(database === undefined)('double booking', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ database: database!, env: { DB_POOL_SIZE: '20' } });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database?.dispose();
  });

  const createdEventsFor = async (roomId: string) =>
    queryRows<{ n: number }>(
      gateway.runtime.db,
      sql`select count(*)::int as n from eventfold.events where type = 'ReservationCreated' and data->>'roomId' = ${roomId}`,
    ).then((rows) => rows[0]?.n ?? -1);

  it('200 simultaneous requests for the same room and night: exactly one 201, 199 clear 409s', async () => {
    const roomId = crypto.randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        gateway.request({
          method: 'POST',
          url: '/reservations',
          payload: newReservation({ roomId, guestName: `Guest ${i}`, checkInDate: '2027-06-01', nights: 1 }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    for (const refused of responses.filter((r) => r.statusCode === 409)) {
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.json()).toMatchObject({
        type: 'https://eventfold.dev/problems/room-unavailable',
        status: 409,
        roomId,
        checkIn: '2027-06-01',
      });
    }
    // The refused appends rolled back with their projection: one event, one row.
    expect(await createdEventsFor(roomId)).toBe(1);
    const listed = await gateway.request({ method: 'GET', url: `/reservations?roomId=${roomId}` });
    expect(listed.json<{ items: unknown[] }>().items).toHaveLength(1);
    expect(gateway.runtime.counters.conflicts.get({ kind: 'room' })).toBeGreaterThanOrEqual(199);
  });

  it('overlapping stays of different lengths never share a night; cancelling frees the nights', async () => {
    const roomId = crypto.randomUUID();
    // 60 concurrent requests for stays of 1-4 nights starting within ten days.
    const stays = Array.from({ length: 60 }, (_, i) => ({ day: 1 + ((i * 7) % 10), nights: 1 + (i % 4) }));
    const responses = await Promise.all(
      stays.map(({ day, nights }) =>
        gateway.request({
          method: 'POST',
          url: '/reservations',
          payload: newReservation({ roomId, checkInDate: `2027-07-${String(day).padStart(2, '0')}`, nights }),
        }),
      ),
    );
    expect(responses.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
    const accepted = responses.filter((r) => r.statusCode === 201).map((r) => r.json<{ id: string; checkInDate: string; nights: number }>());
    expect(accepted.length).toBeGreaterThan(0);
    const taken = new Set<string>();
    for (const stay of accepted) {
      for (let i = 0; i < stay.nights; i++) {
        const night = new Date(Date.parse(`${stay.checkInDate}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
        expect(taken.has(night), `night ${night} booked twice`).toBe(false);
        taken.add(night);
      }
    }
    expect(await createdEventsFor(roomId)).toBe(accepted.length);

    // Cancel one: its nights can be booked again, by exactly one of many.
    const victim = accepted[0]!;
    const cancel = await gateway.request({ method: 'POST', url: `/reservations/${victim.id}/cancel`, payload: { reason: 'freed' } });
    expect(cancel.statusCode).toBe(200);
    const again = await Promise.all(
      Array.from({ length: 20 }, () =>
        gateway.request({
          method: 'POST',
          url: '/reservations',
          payload: newReservation({ roomId, checkInDate: victim.checkInDate, nights: victim.nights }),
        }),
      ),
    );
    expect(again.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(again.filter((r) => r.statusCode === 409)).toHaveLength(19);
  });
});
