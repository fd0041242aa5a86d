import { createTestDatabase } from '@eventfold/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/query';
import { newReservation, startTestGateway, type TestGateway } from './support/harness';

// The HTTP contract: idempotency, conditional requests, pagination, time travel, errors, operations.
const database = await createTestDatabase({ prefix: 'gateway_api' });

describe('HTTP API', () => {
  let gateway: TestGateway;
  const eventCount = async () =>
    (await queryRows<{ n: number }>(gateway.runtime.db, sql`select count(*)::int as n from eventfold.events`))[0]?.n ?? -1;

  beforeAll(async () => {
    gateway = await startTestGateway({ database, captureLogs: true });
  });

  afterAll(async () => {
    await gateway?.stop();
    await database.dispose().catch(() => undefined);
  });

  describe('POST /reservations with Idempotency-Key', () => {
    it('returns the first result again and writes nothing new', async () => {
      const body = newReservation();
      const headers = { 'idempotency-key': crypto.randomUUID() };
      const first = await gateway.request({ method: 'POST', url: '/reservations', payload: body, headers });
      expect(first.statusCode).toBe(201);
      const events = await eventCount();
      const again = await gateway.request({ method: 'POST', url: '/reservations', payload: body, headers });
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect(await eventCount()).toBe(events);
    });

    it('writes once when the same request arrives many times at once', async () => {
      const body = newReservation();
      const headers = { 'idempotency-key': `concurrent-${crypto.randomUUID()}` };
      const before = await eventCount();
      const roomConflicts = gateway.runtime.counters.conflicts.get({ kind: 'room' });
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => gateway.request({ method: 'POST', url: '/reservations', payload: body, headers })),
      );
      expect(responses.every((r) => r.statusCode === 201)).toBe(true);
      expect(new Set(responses.map((r) => r.json<{ id: string }>().id)).size).toBe(1);
      expect(await eventCount()).toBe(before + 1);
      // The duplicates waited on the key and replayed; none tried to book the room again.
      expect(gateway.runtime.counters.conflicts.get({ kind: 'room' })).toBe(roomConflicts);
      expect(gateway.runtime.counters.idempotentReplays.get()).toBeGreaterThanOrEqual(19);
    });

    it('refuses the same key with a different body (422) and replays a refusal as it was', async () => {
      const key = crypto.randomUUID();
      const first = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation(), headers: { 'idempotency-key': key } });
      expect(first.statusCode).toBe(201);
      const reused = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation(), headers: { 'idempotency-key': key } });
      expect(reused.statusCode).toBe(422);
      expect(reused.json()).toMatchObject({ type: 'https://eventfold.dev/problems/idempotency-key-reused' });

      // A refused request (room taken) is replayed as the same 409, even once the room is free.
      const roomId = crypto.randomUUID();
      const holder = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ roomId }) });
      const refusedBody = newReservation({ roomId });
      const refusedKey = { 'idempotency-key': crypto.randomUUID() };
      const eventsBeforeRefusal = await eventCount();
      const refused = await gateway.request({ method: 'POST', url: '/reservations', payload: refusedBody, headers: refusedKey });
      expect(refused.statusCode).toBe(409);
      // The refusal rolled back the append made in the key's transaction.
      expect(await eventCount()).toBe(eventsBeforeRefusal);
      await gateway.request({ method: 'POST', url: `/reservations/${holder.json<{ id: string }>().id}/cancel`, payload: { reason: 'free it' } });
      const replayed = await gateway.request({ method: 'POST', url: '/reservations', payload: refusedBody, headers: refusedKey });
      expect(replayed.statusCode).toBe(409);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.json()).toMatchObject({ type: 'https://eventfold.dev/problems/room-unavailable' });
    });
  });

  it('answers a create with exactly the row GET then returns; a client-chosen id is used once', async () => {
    const reservationId = crypto.randomUUID();
    const created = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ reservationId }) });
    expect(created.statusCode).toBe(201);
    const read = await gateway.request({ method: 'GET', url: `/reservations/${reservationId}` });
    expect(read.json()).toEqual(created.json());
    const again = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ reservationId }) });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ type: 'https://eventfold.dev/problems/reservation-already-exists', reservationId });
  });

  describe('conditional requests', () => {
    it('gives 412 for a stale If-Match and 304 for a matching If-None-Match', async () => {
      const created = (await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation() })).json<{ id: string }>();
      const before = await eventCount();
      const stale = await gateway.request({ method: 'POST', url: `/reservations/${created.id}/confirm`, headers: { 'if-match': '"7"' } });
      expect(stale.statusCode).toBe(412);
      expect(stale.headers['etag']).toBe('"1"');
      expect(await eventCount()).toBe(before);
      const fresh = await gateway.request({ method: 'POST', url: `/reservations/${created.id}/confirm`, headers: { 'if-match': '"1"' } });
      expect(fresh.statusCode).toBe(200);
      const notModified = await gateway.request({ method: 'GET', url: `/reservations/${created.id}`, headers: { 'if-none-match': '"2"' } });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.body).toBe('');
      const modified = await gateway.request({ method: 'GET', url: `/reservations/${created.id}`, headers: { 'if-none-match': '"1"' } });
      expect(modified.statusCode).toBe(200);
    });

    it('lets exactly one of two writers with the same If-Match win', async () => {
      const created = (await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation() })).json<{ id: string }>();
      const [a, b] = await Promise.all([
        gateway.request({ method: 'POST', url: `/reservations/${created.id}/confirm`, headers: { 'if-match': '"1"' } }),
        gateway.request({ method: 'POST', url: `/reservations/${created.id}/cancel`, headers: { 'if-match': '"1"' }, payload: { reason: 'race' } }),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 412]);
    });
  });

  describe('business rules and unknown reservations', () => {
    it('answers 409 with a stable type per rule, and 404 for an unknown id', async () => {
      const created = (await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation() })).json<{ id: string }>();
      await gateway.request({ method: 'POST', url: `/reservations/${created.id}/cancel`, payload: { reason: 'no' } });
      const confirm = await gateway.request({ method: 'POST', url: `/reservations/${created.id}/confirm` });
      expect(confirm.statusCode).toBe(409);
      expect(confirm.json()).toMatchObject({
        type: 'https://eventfold.dev/problems/reservation-cancelled',
        reason: 'RESERVATION_CANCELLED',
      });
      const twice = await gateway.request({ method: 'POST', url: `/reservations/${created.id}/cancel`, payload: { reason: 'again' } });
      expect(twice.json()).toMatchObject({ type: 'https://eventfold.dev/problems/reservation-already-cancelled' });
      const unknown = crypto.randomUUID();
      for (const url of [`/reservations/${unknown}`, `/reservations/${unknown}/events`, `/reservations/${unknown}?atVersion=1`]) {
        const response = await gateway.request({ method: 'GET', url });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ type: 'https://eventfold.dev/problems/reservation-not-found', reservationId: unknown });
      }
      const confirmUnknown = await gateway.request({ method: 'POST', url: `/reservations/${unknown}/confirm` });
      expect(confirmUnknown.statusCode).toBe(404);
    });

    it('lists every failing field of an invalid body', async () => {
      const response = await gateway.request({
        method: 'POST',
        url: '/reservations',
        payload: { guestId: 'x', guestName: '', roomId: crypto.randomUUID(), checkInDate: '2026-02-30', nights: 31 },
      });
      expect(response.statusCode).toBe(400);
      const problem = response.json<{ type: string; errors: Array<{ path: string }> }>();
      expect(problem.type).toBe('https://eventfold.dev/problems/validation-error');
      expect(problem.errors.map((e) => e.path).sort()).toEqual(['body.checkInDate', 'body.guestId', 'body.guestName', 'body.nights']);
    });
  });

  describe('GET /reservations', () => {
    it('filters by status, guest, room and date range, and pages with a cursor', async () => {
      const guestId = crypto.randomUUID();
      const ids: string[] = [];
      for (let day = 10; day < 17; day++) {
        const response = await gateway.request({
          method: 'POST',
          url: '/reservations',
          payload: newReservation({ guestId, checkInDate: `2028-01-${day}`, nights: 2 }),
        });
        ids.push(response.json<{ id: string }>().id);
      }
      await gateway.request({ method: 'POST', url: `/reservations/${ids[0]}/confirm` });

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/reservations?guestId=${guestId}&limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = (await gateway.request({ method: 'GET', url })).json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
        pages.push(page.items.map((r) => r.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(ids); // ordered by check-in date

      const confirmed = (await gateway.request({ method: 'GET', url: `/reservations?guestId=${guestId}&status=CONFIRMED` })).json<{ items: Array<{ id: string }> }>();
      expect(confirmed.items.map((r) => r.id)).toEqual([ids[0]]);
      // Stays with a night in [2028-01-13, 2028-01-15): check-ins 12, 13, 14.
      const range = (await gateway.request({ method: 'GET', url: `/reservations?guestId=${guestId}&from=2028-01-13&to=2028-01-15` })).json<{ items: Array<{ checkInDate: string }> }>();
      expect(range.items.map((r) => r.checkInDate)).toEqual(['2028-01-12', '2028-01-13', '2028-01-14']);
      const roomId = (await gateway.request({ method: 'GET', url: `/reservations/${ids[3]}` })).json<{ roomId: string }>().roomId;
      const byRoom = (await gateway.request({ method: 'GET', url: `/reservations?roomId=${roomId}` })).json<{ items: Array<{ id: string }> }>();
      expect(byRoom.items.map((r) => r.id)).toEqual([ids[3]]);
    });
  });

  describe('GET /occupancy (the async read model)', () => {
    it('counts each night a reservation holds, pending or confirmed, and frees cancelled ones', async () => {
      const roomId = crypto.randomUUID();
      const create = async (checkInDate: string, nights: number, headers: Record<string, string> = {}) => {
        const response = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ roomId, checkInDate, nights }), headers });
        expect(response.statusCode).toBe(201);
        return response.json<{ id: string }>().id;
      };
      // Two stays back to back, one created with an Idempotency-Key (the transaction path), the
      // other without (the one-statement path), and a third that is cancelled again.
      await create('2027-05-01', 3);
      const second = await create('2027-05-04', 2, { 'idempotency-key': crypto.randomUUID() });
      const third = await create('2027-05-08', 1);
      expect((await gateway.request({ method: 'POST', url: `/reservations/${second}/confirm` })).statusCode).toBe(200);
      expect((await gateway.request({ method: 'POST', url: `/reservations/${third}/cancel`, payload: { reason: 'plans changed' } })).statusCode).toBe(200);
      await gateway.projector.whenCaughtUp({ timeoutMs: 30_000 });
      const response = await gateway.request({ method: 'GET', url: `/occupancy?from=2027-04-30&to=2027-05-09&roomId=${roomId}` });
      expect(response.statusCode).toBe(200);
      const nights = response.json<{ nights: Array<{ night: string; occupied: number; pending: number; confirmed: number }> }>().nights;
      expect(nights.map((n) => [n.night.slice(5), n.pending, n.confirmed])).toEqual([
        ['04-30', 0, 0],
        ['05-01', 1, 0],
        ['05-02', 1, 0],
        ['05-03', 1, 0],
        ['05-04', 0, 1],
        ['05-05', 0, 1],
        ['05-06', 0, 0],
        ['05-07', 0, 0],
        ['05-08', 0, 0],
      ]);
    });
  });

  describe('time travel', () => {
    it('folds the log as of an instant and at a version', async () => {
      const created = (await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ nights: 2 }) })).json<{ id: string; createdAt: string }>();
      const beforeCreate = new Date(Date.parse(created.createdAt) - 1000).toISOString();
      await new Promise((resolve) => setTimeout(resolve, 20));
      const afterCreate = new Date().toISOString();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await gateway.request({ method: 'PATCH', url: `/reservations/${created.id}/dates`, payload: { checkInDate: '2029-02-01', nights: 5 } });
      await gateway.request({ method: 'POST', url: `/reservations/${created.id}/confirm` });

      const asOf = await gateway.request({ method: 'GET', url: `/reservations/${created.id}?asOf=${afterCreate}` });
      expect(asOf.statusCode).toBe(200);
      expect(asOf.json()).toMatchObject({ version: 1, asOf: afterCreate, state: { status: 'PENDING', nights: 2 } });
      const atTwo = await gateway.request({ method: 'GET', url: `/reservations/${created.id}?atVersion=2` });
      expect(atTwo.json()).toMatchObject({ version: 2, state: { status: 'PENDING', nights: 5, checkInDate: '2029-02-01' } });
      expect(atTwo.headers['etag']).toBe('"2"');
      const now = await gateway.request({ method: 'GET', url: `/reservations/${created.id}?atVersion=3` });
      expect(now.json()).toMatchObject({ state: { status: 'CONFIRMED' } });
      const tooFar = await gateway.request({ method: 'GET', url: `/reservations/${created.id}?atVersion=4` });
      expect(tooFar.statusCode).toBe(404);
      expect(tooFar.json()).toMatchObject({ type: 'https://eventfold.dev/problems/version-not-found', currentVersion: 3 });
      const tooEarly = await gateway.request({ method: 'GET', url: `/reservations/${created.id}?asOf=${beforeCreate}` });
      expect(tooEarly.statusCode).toBe(404);
      expect(tooEarly.json()).toMatchObject({ type: 'https://eventfold.dev/problems/not-yet-created' });
    });
  });

  describe('protocol errors', () => {
    it('answers unknown routes 404, wrong methods 405 with Allow, large bodies 413, other media types 415', async () => {
      const notFound = await gateway.request({ method: 'GET', url: '/nowhere' });
      expect(notFound.statusCode).toBe(404);
      expect(notFound.json()).toMatchObject({ type: 'https://eventfold.dev/problems/not-found' });

      const wrongMethod = await gateway.request({ method: 'DELETE', url: `/reservations/${crypto.randomUUID()}` });
      expect(wrongMethod.statusCode).toBe(405);
      expect(wrongMethod.headers['allow']).toBe('GET, HEAD');
      expect(wrongMethod.json()).toMatchObject({ type: 'https://eventfold.dev/problems/method-not-allowed' });

      const large = await gateway.request({
        method: 'POST',
        url: '/reservations',
        payload: JSON.stringify({ ...newReservation(), guestName: 'x'.repeat(64 * 1024) }),
        headers: { 'content-type': 'application/json' },
      });
      expect(large.statusCode).toBe(413);
      expect(large.json()).toMatchObject({ type: 'https://eventfold.dev/problems/request-too-large' });

      const text = await gateway.request({ method: 'POST', url: '/reservations', payload: 'hello', headers: { 'content-type': 'text/plain' } });
      expect(text.statusCode).toBe(415);
      expect(text.json()).toMatchObject({ type: 'https://eventfold.dev/problems/unsupported-media-type' });
    });

    it('echoes a valid X-Correlation-Id and replaces one it cannot trust', async () => {
      const kept = await gateway.request({ method: 'GET', url: '/health', headers: { 'x-correlation-id': 'abc-123' } });
      expect(kept.headers['x-correlation-id']).toBe('abc-123');
      const replaced = await gateway.request({ method: 'GET', url: '/health', headers: { 'x-correlation-id': 'has spaces and "quotes"' } });
      expect(replaced.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('operations', () => {
    it('serves /health, /ready, /metrics and the OpenAPI document', async () => {
      expect((await gateway.request({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok' });
      const ready = await gateway.request({ method: 'GET', url: '/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true } } });

      const metrics = await gateway.request({ method: 'GET', url: '/metrics' });
      expect(metrics.headers['content-type']).toContain('text/plain');
      for (const name of [
        'eventfold_gateway_appends_total',
        'eventfold_gateway_conflicts_total',
        'eventfold_projection_lag_events{projection="room_occupancy"',
        'eventfold_event_store_head_position',
        'eventfold_relay_enabled 0',
      ]) {
        expect(metrics.body).toContain(name);
      }
      expect(metrics.body).toMatch(/eventfold_gateway_conflicts_total\{kind="precondition"\} [1-9]/);

      const openapi = (await gateway.request({ method: 'GET', url: '/docs/json' })).json<{
        openapi: string;
        paths: Record<string, Record<string, unknown>>;
        components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
      }>();
      expect(openapi.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.paths)).toEqual(
        expect.arrayContaining(['/reservations', '/reservations/{id}', '/reservations/{id}/confirm', '/reservations/{id}/cancel', '/reservations/{id}/dates', '/reservations/{id}/events', '/occupancy', '/health', '/ready', '/metrics']),
      );
      // Generated from the Zod schemas: the create body and the problem document are components.
      expect(JSON.stringify(openapi.paths['/reservations']?.['post'])).toContain('#/components/schemas/CreateReservationInput');
      expect(JSON.stringify(openapi.paths['/reservations']?.['post'])).toMatch(/"409":\{[^}]*"content":\{"application\/problem\+json"/);
      expect(Object.keys(openapi.components.schemas['CreateReservationInput']?.properties ?? {})).toEqual(
        expect.arrayContaining(['guestId', 'guestName', 'roomId', 'checkInDate', 'nights']),
      );
      expect(Object.keys(openapi.components.schemas['Problem']?.properties ?? {})).toEqual(
        expect.arrayContaining(['type', 'title', 'status', 'detail']),
      );
      expect((await gateway.request({ method: 'GET', url: '/docs' })).statusCode).toBe(200);
    });

    it('logs one JSON line per request, with its correlation id and no bodies', async () => {
      const before = gateway.logs.length;
      await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ guestName: 'Secret Name' }), headers: { 'x-correlation-id': 'log-check-1' } });
      const lines = gateway.logs.slice(before).filter((l) => l['correlationId'] === 'log-check-1');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ msg: 'request completed', method: 'POST', route: '/reservations', statusCode: 201 });
      expect(JSON.stringify(gateway.logs.slice(before))).not.toContain('Secret Name');
    });
  });
});
