import { createTestDatabase } from '@eventfold/testing';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../src/db/query';
import { PROBLEM_BASE } from '../src/http/problem';
import { newReservation, startTestGateway, type TestGateway } from './support/harness';

// Property: no request, however malformed, gets anything but a 4xx problem document, and none of
// them changes the event log or a read model. Every generated request is built to be refused.
const database = await createTestDatabase({ prefix: 'gateway_fuzz' });
const RUNS = 1200;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VALID_DATE = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

interface FuzzRequest {
  readonly family: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string;
}

interface Fixtures {
  readonly pending: string;
  readonly confirmed: string;
  readonly cancelled: string;
}

/** Any generated value as query-string text. */
const asText = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined'));

/** Header values a client could send: visible ASCII and spaces. */
const headerText = fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))), maxLength: 80 });
const junk = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 40 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);
const badUuid = fc.oneof(junk.filter((v) => typeof v !== 'string' || !UUID.test(v)), fc.constantFrom('', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g'));
const badDate = fc.oneof(
  junk.filter((v) => typeof v !== 'string' || !VALID_DATE(v)),
  fc.constantFrom('', '2026-02-30', '2026-13-01', '20261201', '2026-1-1', '2026-12-01T00:00:00Z', '0000-00-00'),
);
const badNights = fc.oneof(
  fc.integer({ max: 0 }),
  fc.integer({ min: 31 }),
  fc.double({ noInteger: true, noNaN: true }),
  fc.constantFrom('3', null, true, [], {}, Number.MAX_VALUE),
);
// The schemas trim before checking the length, so an over-long string must stay over-long once trimmed.
const badName = fc.oneof(fc.constantFrom('', '   ', '\t'), fc.string({ minLength: 201, maxLength: 400 }).filter((v) => v.trim().length > 200), fc.integer(), fc.constant(null));
const badReason = fc.oneof(fc.constantFrom('', '    '), fc.string({ minLength: 501, maxLength: 700 }).filter((v) => v.trim().length > 500), fc.integer(), fc.constant(null), fc.array(fc.string()));

/** A create body with at least one field made invalid (or removed), or not an object at all. */
const badCreateBody = fc.oneof(
  fc
    .record({
      field: fc.constantFrom('guestId', 'roomId', 'reservationId', 'guestName', 'checkInDate', 'nights'),
      remove: fc.boolean(),
      uuid: badUuid,
      date: badDate,
      nights: badNights,
      name: badName,
    })
    .map(({ field, remove, uuid, date, nights, name }) => {
      const body: Record<string, unknown> = newReservation();
      if (remove && field !== 'reservationId') delete body[field];
      else if (field === 'checkInDate') body[field] = date;
      else if (field === 'nights') body[field] = nights;
      else if (field === 'guestName') body[field] = name;
      else body[field] = uuid;
      return JSON.stringify(body);
    }),
  fc.oneof(fc.array(junk), fc.string(), fc.integer(), fc.constant(null)).map((value) => JSON.stringify(value)),
);

const badDatesBody = fc
  .record({ which: fc.constantFrom('checkInDate', 'nights', 'both-missing'), date: badDate, nights: badNights })
  .map(({ which, date, nights }) =>
    JSON.stringify(
      which === 'checkInDate' ? { checkInDate: date, nights: 2 } : which === 'nights' ? { checkInDate: '2027-01-01', nights } : {},
    ),
  );
const badCancelBody = fc.oneof(badReason.map((reason) => JSON.stringify({ reason })), fc.constant('{}'), fc.constant('[]'));
/** If-Match values that are not an entity tag. */
const badIfMatch = fc.oneof(
  fc.constantFrom('W/"1"', '1', '"x"', '""', '"1', '1"', '"-1"', '"1.5"', '"1", "2"', ' '),
  headerText.filter((v) => !/^(\*|"\d{1,15}")$/.test(v.trim())),
);
const badIdempotencyKey = fc.oneof(fc.constantFrom('', ' ', 'has space', 'x'.repeat(201)), headerText.filter((v) => v.trim() === '' || /[^\x21-\x7e]/.test(v.trim()) || v.trim().length > 200));
const randomSegment = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%00', 'x'.repeat(300)),
);

function requests(fixtures: Fixtures): fc.Arbitrary<FuzzRequest> {
  const { pending, confirmed, cancelled } = fixtures;
  const json = { 'content-type': 'application/json' };
  const fixture = fc.constantFrom(pending, confirmed, cancelled);
  const unknownId = fc.uuid().filter((id) => ![pending, confirmed, cancelled].includes(id));
  const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const GET_ROUTES = new Set(['', 'health', 'ready', 'metrics', 'docs', 'reservations', 'occupancy']);

  return fc.oneof(
    // Paths that are no route (or a route with a method it does not take).
    fc
      .record({
        method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        segments: fc.array(randomSegment, { minLength: 1, maxLength: 4 }),
      })
      .filter(({ method, segments }) => !(['GET', 'HEAD'].includes(method) && GET_ROUTES.has(segments[0] ?? '')))
      .map(({ method, segments }) => ({ family: 'random path', method, url: `/${segments.join('/')}`, headers: {} })),
    fc
      .record({ method: fc.constantFrom('PUT', 'DELETE', 'OPTIONS'), path: fc.constantFrom('/reservations', '/health', '/metrics', '/occupancy') })
      .map(({ method, path }) => ({ family: 'wrong method', method, url: path, headers: {} })),
    fixture.chain((id) =>
      fc.constantFrom('PUT', 'DELETE', 'GET').map((method) => ({ family: 'wrong method', method, url: `/reservations/${id}/confirm`, headers: {} })),
    ),
    // Invalid create bodies, with or without an Idempotency-Key.
    fc.record({ body: badCreateBody, key: fc.option(fc.uuid(), { nil: undefined }) }).map(({ body, key }) => ({
      family: 'invalid create body',
      method: 'POST',
      url: '/reservations',
      headers: { ...json, ...(key === undefined ? {} : { 'idempotency-key': key }) },
      payload: body,
    })),
    badIdempotencyKey.map((key) => ({
      family: 'invalid idempotency key',
      method: 'POST',
      url: '/reservations',
      headers: { ...json, 'idempotency-key': key },
      payload: JSON.stringify(newReservation()),
    })),
    // Bodies that are not JSON, or not sent as JSON, or too large.
    fc
      .record({
        url: fc.oneof(fc.constant('/reservations'), fixture.map((id) => `/reservations/${id}/cancel`)),
        text: fc.string({ minLength: 1, maxLength: 200 }).filter((s) => {
          try {
            JSON.parse(s);
            return false;
          } catch {
            return true;
          }
        }),
      })
      .map(({ url, text }) => ({ family: 'malformed json', method: 'POST', url, headers: json, payload: text })),
    fc
      .record({ type: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'), id: fixture })
      .map(({ type, id }) => ({
        family: 'wrong media type',
        method: 'POST',
        url: `/reservations/${id}/cancel`,
        headers: { 'content-type': type },
        payload: 'reason=because',
      })),
    fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }).map((size) => ({
      family: 'too large',
      method: 'POST',
      url: '/reservations',
      headers: json,
      payload: JSON.stringify({ ...newReservation(), guestName: 'x'.repeat(size) }),
    })),
    // Commands on existing reservations that must be refused: invalid bodies, If-Match that is
    // malformed or stale, or a business rule.
    fc.record({ id: fixture, body: badCancelBody }).map(({ id, body }) => ({
      family: 'invalid cancel body',
      method: 'POST',
      url: `/reservations/${id}/cancel`,
      headers: json,
      payload: body,
    })),
    fc.record({ id: fixture, body: badDatesBody }).map(({ id, body }) => ({
      family: 'invalid dates body',
      method: 'PATCH',
      url: `/reservations/${id}/dates`,
      headers: json,
      payload: body,
    })),
    fc
      .record({ id: fixture, ifMatch: badIfMatch, command: fc.constantFrom('confirm', 'cancel', 'dates') })
      .map(({ id, ifMatch, command }) => ({
        family: 'malformed If-Match',
        method: command === 'dates' ? 'PATCH' : 'POST',
        url: `/reservations/${id}/${command}`,
        headers: { ...json, 'if-match': ifMatch },
        payload: command === 'dates' ? '{"checkInDate":"2027-09-01","nights":2}' : command === 'cancel' ? '{"reason":"fuzz"}' : '{}',
      })),
    fc
      .record({ id: fixture, version: fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 1_000_000 })), command: fc.constantFrom('confirm', 'cancel', 'dates') })
      .map(({ id, version, command }) => ({
        family: 'stale If-Match',
        method: command === 'dates' ? 'PATCH' : 'POST',
        url: `/reservations/${id}/${command}`,
        headers: { ...json, 'if-match': `"${version}"` },
        payload: command === 'dates' ? '{"checkInDate":"2027-09-01","nights":2}' : command === 'cancel' ? '{"reason":"fuzz"}' : '{}',
      })),
    fc
      .constantFrom(
        { url: `/reservations/${confirmed}/confirm`, method: 'POST', payload: '{}' },
        { url: `/reservations/${cancelled}/confirm`, method: 'POST', payload: '{}' },
        { url: `/reservations/${cancelled}/cancel`, method: 'POST', payload: '{"reason":"again"}' },
        { url: `/reservations/${cancelled}/dates`, method: 'PATCH', payload: '{"checkInDate":"2027-10-01","nights":1}' },
      )
      .map((r) => ({ family: 'business rule', ...r, headers: json })),
    // Unknown reservations.
    fc
      .record({ id: unknownId, path: fc.constantFrom('', '/events', '?atVersion=1', '?asOf=2027-01-01T00:00:00Z', '/confirm', '/cancel', '/dates') })
      .map(({ id, path }) => ({
        family: 'unknown id',
        method: path === '/confirm' || path === '/cancel' ? 'POST' : path === '/dates' ? 'PATCH' : 'GET',
        url: `/reservations/${id}${path}`,
        headers: json,
        payload: path === '/cancel' ? '{"reason":"x"}' : path === '/dates' ? '{"checkInDate":"2027-01-01","nights":1}' : path === '/confirm' ? '{}' : undefined,
      }))
      .map(({ payload, ...rest }) => (payload === undefined ? { ...rest, headers: {} } : { ...rest, payload })),
    // Invalid query strings.
    fc
      .oneof(
        fc.record({ status: fc.string({ maxLength: 12 }).filter((s) => !['PENDING', 'CONFIRMED', 'CANCELLED'].includes(s)) }),
        fc.record({ limit: fc.oneof(fc.integer({ max: 0 }).map(String), fc.integer({ min: 201 }).map(String), fc.constantFrom('abc', '1.5', '')) }),
        fc.record({ cursor: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/^[A-Za-z0-9_-]+$/.test(s)) }),
        fc.record({ cursor: fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'x').toString('base64url')).filter((s) => s.length > 0 && s.length <= 300) }),
        fc.record({ guestId: badUuid.map(asText) }),
        fc.record({ from: fc.constant('2027-05-02'), to: fc.constantFrom('2027-05-01', '2027-05-02') }),
        fc.record({ from: badDate.map(asText) }),
      )
      .map((params) => ({ family: 'invalid list query', method: 'GET', url: `/reservations?${query(params)}`, headers: {} })),
    fc
      .record({
        id: fixture,
        params: fc.oneof(
          fc.record({ asOf: fc.string({ maxLength: 20 }).filter((s) => Number.isNaN(Date.parse(s)) || !s.includes('T')) }),
          fc.record({ atVersion: fc.oneof(fc.constantFrom('0', '-1', 'abc', '1.5', ''), fc.integer({ min: 4, max: 1e9 }).map(String)) }),
          fc.record({ asOf: fc.constant('2027-01-01T00:00:00Z'), atVersion: fc.constant('1') }),
          fc.record({ asOf: fc.constant('2000-01-01T00:00:00Z') }),
        ),
      })
      .map(({ id, params }) => ({ family: 'invalid time travel', method: 'GET', url: `/reservations/${id}?${query(params)}`, headers: {} })),
    fc
      .oneof(
        fc.record({ from: badDate.map(asText), to: fc.constant('2027-01-05') }),
        fc.record({ from: fc.constant('2027-01-05'), to: fc.constantFrom('2027-01-05', '2027-01-01', '2029-01-01') }),
        fc.record({ to: fc.constant('2027-01-05') }),
      )
      .map((params) => ({ family: 'invalid occupancy query', method: 'GET', url: `/occupancy?${query(params)}`, headers: {} })),
  );
}

/** Everything a refused request must leave as it was. */
async function snapshot(gateway: TestGateway) {
  const { db } = gateway.runtime;
  await gateway.projector.whenCaughtUp({ timeoutMs: 30_000 });
  const rows = (query: ReturnType<typeof sql>) => queryRows<Record<string, unknown>>(db, query).then((r) => JSON.stringify(r));
  return {
    events: await rows(sql`select global_position, stream_id, version, type, data from eventfold.events order by global_position`),
    streams: await rows(sql`select id, version from eventfold.streams order by id`),
    reservations: await rows(sql`select * from gateway.reservations_v1 order by id`),
    roomNights: await rows(sql`select * from gateway.room_nights_v1 order by room_id, night`),
    occupancy: await rows(sql`select * from gateway.room_occupancy_v1 order by night, reservation_id`),
    idempotencyKeys: await rows(sql`select key from gateway.idempotency_keys order by key`),
  };
}

describe('fuzzing the HTTP API with malformed requests', () => {
  let gateway: TestGateway;
  let fixtures: Fixtures;

  beforeAll(async () => {
    gateway = await startTestGateway({ database });
    const create = async () => {
      const response = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation() });
      expect(response.statusCode).toBe(201);
      return response.json<{ id: string }>().id;
    };
    const [pending, confirmed, cancelled] = [await create(), await create(), await create()];
    expect((await gateway.request({ method: 'POST', url: `/reservations/${confirmed}/confirm` })).statusCode).toBe(200);
    expect((await gateway.request({ method: 'POST', url: `/reservations/${cancelled}/confirm` })).statusCode).toBe(200);
    const cancel = await gateway.request({ method: 'POST', url: `/reservations/${cancelled}/cancel`, payload: { reason: 'fixture' } });
    expect(cancel.statusCode).toBe(200);
    fixtures = { pending, confirmed, cancelled };
  });

  afterAll(async () => {
    await gateway?.stop();
    await database.dispose().catch(() => undefined);
  });

  it(`answers ${RUNS} malformed requests with 4xx problems only and changes nothing`, async () => {
    const before = await snapshot(gateway);
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requests(fixtures), fc.option(headerText, { nil: undefined }), async (request, correlation) => {
        seen.set(request.family, (seen.get(request.family) ?? 0) + 1);
        const response = await gateway.app.inject({
          method: request.method as 'GET',
          url: request.url,
          headers: { ...request.headers, ...(correlation === undefined ? {} : { 'x-correlation-id': correlation }) },
          ...(request.payload === undefined ? {} : { payload: request.payload }),
        });
        const where = `${request.family}: ${request.method} ${request.url.slice(0, 120)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect(response.statusCode, where).toBeGreaterThanOrEqual(400);
        expect(response.statusCode, where).toBeLessThan(500);
        expect(response.body, where).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
        if (request.method !== 'HEAD') {
          expect(response.headers['content-type'], where).toContain('application/problem+json');
          const problem = response.json<{ type: string; status: number; title: string; detail: string }>();
          expect(problem.type.startsWith(PROBLEM_BASE), where).toBe(true);
          expect(problem.status, where).toBe(response.statusCode);
          expect(typeof problem.detail, where).toBe('string');
        }
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot(gateway)).toEqual(before);
    // Every family of malformed input was exercised.
    expect([...seen.keys()].sort()).toHaveLength(16);
  });
});
