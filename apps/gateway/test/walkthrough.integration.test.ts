import amqp, { type ConsumeMessage } from 'amqplib';
import { createServerTestDatabase, findRabbitMq } from '@eventfold/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newReservation, startTestGateway, type TestGateway } from './support/harness';

// Seed 002's five steps over HTTP, against real PostgreSQL and RabbitMQ: create, confirm, load from
// the event store, query the read model, cancel; the events must reach a queue bound to domain_events.
const database = await createServerTestDatabase({ prefix: 'gateway_e2e', purpose: 'the gateway end-to-end test' });
const amqpUrl = await findRabbitMq({ purpose: 'the gateway end-to-end test' });

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(database === undefined || amqpUrl === undefined)('gateway walk-through (seed 002) over HTTP', () => {
  let gateway: TestGateway;
  let connection: amqp.ChannelModel;
  const received: ConsumeMessage[] = [];

  beforeAll(async () => {
    gateway = await startTestGateway({
      database: database!,
      env: { AMQP_URL: amqpUrl! },
      captureLogs: true,
    });
    const relay = gateway.relay!;
    await waitFor('the relay to connect', () => (relay.metrics().state === 'running' ? true : undefined));
    connection = await amqp.connect(amqpUrl!);
    const channel = await connection.createChannel();
    await channel.checkExchange('domain_events');
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, 'domain_events', 'event.#');
    await channel.consume(queue, (message) => {
      if (message !== null) received.push(message);
    }, { noAck: true });
  });

  afterAll(async () => {
    await connection?.close();
    await gateway?.stop();
    await database?.dispose();
  });

  it('creates, confirms, loads from the log, queries the read model, cancels; publishes each event', async () => {
    const correlationId = `walkthrough-${crypto.randomUUID()}`;
    const headers = { 'x-correlation-id': correlationId };
    const body = newReservation({ guestName: 'Grace Hopper', checkInDate: '2027-03-10', nights: 2 });

    // 1. Create a reservation: PENDING, version 1.
    const created = await gateway.request({ method: 'POST', url: '/reservations', payload: body, headers });
    expect(created.statusCode).toBe(201);
    expect(created.headers['etag']).toBe('"1"');
    expect(created.headers['x-correlation-id']).toBe(correlationId);
    const reservation = created.json<{ id: string; status: string; checkOutDate: string }>();
    expect(reservation).toMatchObject({ status: 'PENDING', checkOutDate: '2027-03-12', guestName: 'Grace Hopper' });
    expect(created.headers['location']).toBe(`/reservations/${reservation.id}`);

    // 2. Confirm it, with optimistic concurrency over HTTP.
    const confirmed = await gateway.request({
      method: 'POST',
      url: `/reservations/${reservation.id}/confirm`,
      headers: { ...headers, 'if-match': '"1"' },
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers['etag']).toBe('"2"');
    expect(confirmed.json()).toMatchObject({ status: 'CONFIRMED', version: 2 });

    // 3. Load it from the event store: the history, and the state folded at version 1.
    const history = await gateway.request({ method: 'GET', url: `/reservations/${reservation.id}/events` });
    expect(history.statusCode).toBe(200);
    const events = history.json<{ events: Array<{ id: string; type: string; version: number; metadata: Record<string, unknown> }> }>().events;
    expect(events.map((e) => [e.type, e.version])).toEqual([
      ['ReservationCreated', 1],
      ['ReservationConfirmed', 2],
    ]);
    expect(events.every((e) => e.metadata['correlationId'] === correlationId)).toBe(true);
    const atVersion1 = await gateway.request({ method: 'GET', url: `/reservations/${reservation.id}?atVersion=1` });
    expect(atVersion1.json()).toMatchObject({ version: 1, state: { status: 'PENDING' } });

    // 4. Query the read model: by id (ETag = version) and in the filtered list.
    const read = await gateway.request({ method: 'GET', url: `/reservations/${reservation.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.headers['etag']).toBe('"2"');
    expect(read.json()).toMatchObject({ id: reservation.id, status: 'CONFIRMED' });
    const listed = await gateway.request({ method: 'GET', url: `/reservations?guestId=${String(body['guestId'])}&status=CONFIRMED` });
    expect(listed.json<{ items: Array<{ id: string }> }>().items.map((r) => r.id)).toEqual([reservation.id]);

    // A stale If-Match is refused with 412 and writes nothing.
    const stale = await gateway.request({
      method: 'POST',
      url: `/reservations/${reservation.id}/cancel`,
      payload: { reason: 'stale' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.headers['content-type']).toContain('application/problem+json');
    expect(stale.json()).toMatchObject({ type: 'https://eventfold.dev/problems/precondition-failed', actualVersion: 2 });

    // 5. Cancel it, with a reason.
    const cancelled = await gateway.request({
      method: 'POST',
      url: `/reservations/${reservation.id}/cancel`,
      payload: { reason: 'Flight cancelled' },
      headers: { ...headers, 'if-match': '"2"' },
    });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Flight cancelled', version: 3 });

    // Every event reaches the queue bound to domain_events, with its routing key and headers.
    const streamId = `reservation-${reservation.id}`;
    const mine = await waitFor('three messages on the queue', () => {
      const matching = received.filter((m) => m.properties.headers?.['x-eventfold-stream-id'] === streamId);
      return matching.length >= 3 ? matching : undefined;
    });
    expect(mine.map((m) => m.fields.routingKey)).toEqual([
      'event.ReservationCreated',
      'event.ReservationConfirmed',
      'event.ReservationCancelled',
    ]);
    const allEvents = (await gateway.request({ method: 'GET', url: `/reservations/${reservation.id}/events` })).json<{
      events: Array<{ id: string }>;
    }>().events;
    mine.forEach((message, index) => {
      expect(message.properties.messageId).toBe(allEvents[index]?.id);
      expect(message.properties.contentType).toBe('application/json');
      expect(message.properties.headers).toMatchObject({
        'x-eventfold-stream-type': 'reservation',
        'x-eventfold-version': index + 1,
        'x-eventfold-correlation-id': correlationId,
      });
      const envelope = JSON.parse(message.content.toString('utf8')) as { type: string; metadata: { correlationId: string } };
      expect(envelope.metadata.correlationId).toBe(correlationId);
    });

    // The async read model catches up too.
    await gateway.projector.whenCaughtUp({ timeoutMs: 30_000 });
    const occupancy = await gateway.request({ method: 'GET', url: `/occupancy?from=2027-03-10&to=2027-03-12&roomId=${String(body['roomId'])}` });
    expect(occupancy.json<{ nights: Array<{ occupied: number }> }>().nights.map((n) => n.occupied)).toEqual([0, 0]);

    // Relay lag is on /metrics, and drops to zero once everything is confirmed.
    const metrics = (await gateway.request({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('eventfold_relay_enabled 1');
    expect(metrics).toMatch(/eventfold_relay_lag_events\{relay="gateway-domain-events"\} \d+/);
    expect(metrics).toMatch(/eventfold_relay_published_total\{relay="gateway-domain-events"\} [1-9]/);

    // One log line per request, each with its correlation id; the writes' lines carry ours.
    const requestLines = gateway.logs.filter((line) => line['msg'] === 'request completed');
    expect(requestLines.filter((line) => line['correlationId'] === correlationId)).toHaveLength(3);
    expect(requestLines.every((line) => typeof line['correlationId'] === 'string' && typeof line['statusCode'] === 'number')).toBe(true);
  });

  it('shows the change of dates and the double-booking refusal over HTTP', async () => {
    const roomId = crypto.randomUUID();
    const first = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ roomId, checkInDate: '2027-04-01', nights: 2 }) });
    const second = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ roomId, checkInDate: '2027-04-05', nights: 2 }) });
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    const secondId = second.json<{ id: string }>().id;

    // Moving the second stay onto the first's nights is refused; nothing changes.
    const clash = await gateway.request({
      method: 'PATCH',
      url: `/reservations/${secondId}/dates`,
      payload: { checkInDate: '2027-04-02', nights: 2 },
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).toMatchObject({ type: 'https://eventfold.dev/problems/room-unavailable', roomId });
    expect((await gateway.request({ method: 'GET', url: `/reservations/${secondId}` })).json()).toMatchObject({ version: 1, checkInDate: '2027-04-05' });

    // Moving it to free nights works and frees the old ones.
    const moved = await gateway.request({
      method: 'PATCH',
      url: `/reservations/${secondId}/dates`,
      payload: { checkInDate: '2027-04-03', nights: 4 },
      headers: { 'if-match': '"1"' },
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ checkInDate: '2027-04-03', checkOutDate: '2027-04-07', nights: 4, version: 2 });
    const third = await gateway.request({ method: 'POST', url: '/reservations', payload: newReservation({ roomId, checkInDate: '2027-04-07', nights: 1 }) });
    expect(third.statusCode).toBe(201);
  });
});
