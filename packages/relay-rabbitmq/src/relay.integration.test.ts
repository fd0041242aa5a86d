import { randomUUID } from 'node:crypto';
import { START, compareCheckpoints } from '@eventfold/core';
import { RecordedEventEnvelopeSchema } from '@eventfold/shared-schema';
import { uniqueName } from '@eventfold/testing';
import amqp from 'amqplib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openTestStore, appendFromWriters, type TestStore } from '../test/postgres-store';
import { recordingLogger } from '../test/recording-logger';
import {
  collectMessages,
  deleteTopology,
  expectVersionOrderPerStream,
  resolveInfra,
  observeWaits,
  waitUntil,
  type Collector,
  type Infra,
} from '../test/support';
import { MESSAGE_HEADERS } from './message';
import { createRabbitRelay, type RabbitRelay, type RabbitRelayOptions } from './relay';

const infra = await resolveInfra('relay-rabbitmq relay tests');

describe.skipIf(infra === undefined)('createRabbitRelay (RabbitMQ + PostgreSQL)', () => {
  // Collected even when skipped: only read infra inside hooks and tests.
  const { amqpUrl, database } = infra ?? ({} as Infra);
  const exchanges: string[] = [];
  const queues: string[] = [];
  let cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });

  afterAll(async () => {
    await deleteTopology(amqpUrl, { exchanges, queues });
    await database.dispose();
  });

  async function setup(): Promise<{ test: TestStore; exchange: string; schema: string }> {
    const schema = uniqueName('s');
    const test = await openTestStore(database.connectionString, { schema });
    cleanups.push(() => test.close());
    const exchange = uniqueName('relay_events');
    exchanges.push(exchange);
    return { test, exchange, schema };
  }

  async function collect(exchange: string, patterns?: string[], type?: 'fanout'): Promise<Collector> {
    const collector = await collectMessages(amqpUrl, exchange, patterns, type);
    cleanups.push(() => collector.close());
    return collector;
  }

  function relayFor(test: TestStore, schema: string, options: Partial<RabbitRelayOptions> & { exchange: string }): RabbitRelay {
    const relay = createRabbitRelay({
      store: test.store,
      checkpoints: test.checkpoints,
      db: test.db,
      schema,
      amqpUrl,
      name: 'relay',
      leaseTtlMs: 2000,
      pollIntervalMs: 200,
      reconnectBackoff: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    cleanups.push(() => relay.stop());
    return relay;
  }

  it('publishes all 20k events appended by 8 concurrent writers, each stream in version order, once', async () => {
    const { test, exchange, schema } = await setup();
    const collector = await collect(exchange);
    const relay = relayFor(test, schema, { exchange, batchSize: 500, maxInFlight: 2000 });
    relay.start();
    const startedAt = Date.now();
    const ids = await appendFromWriters(test.store, {
      writers: 8,
      events: 20_000,
      maxPerAppend: 10,
      streamsPerWriter: 40,
      slowTransactionEvery: 7,
    });
    expect(ids).toHaveLength(20_000);
    const appendedAt = Date.now();
    await collector.waitUntil((received) => received.length >= ids.length, 90_000);
    console.log(`20k test: appended in ${appendedAt - startedAt} ms, all received ${Date.now() - appendedAt} ms later`);
    await waitUntil(() => relay.metrics().inFlight === 0 && relay.metrics().lagEvents === 0, 10_000, () => JSON.stringify(relay.metrics()));

    const receivedIds = collector.received.map((m) => m.messageId);
    expect(new Set(receivedIds).size).toBe(ids.length);
    expect(receivedIds.length).toBe(ids.length); // no failure, so no duplicate either
    expect(new Set(receivedIds)).toEqual(new Set(ids));
    expectVersionOrderPerStream(collector.received);

    const metrics = relay.metrics();
    expect(metrics).toMatchObject({ state: 'running', leaseHeld: true, publishedTotal: 20_000, returnedTotal: 0, reconnects: 0, lagMs: 0 });
    const saved = await test.checkpoints.load('relay');
    const head = await test.store.readAll({ after: saved?.checkpoint ?? START, limit: 10 });
    expect(head.events).toHaveLength(0); // the saved checkpoint is past every event
    expect(saved?.status).toBe('running');

    // One message in detail: the envelope body and the AMQP properties and headers.
    const sample = collector.received[0]!.raw;
    const body = RecordedEventEnvelopeSchema.parse(JSON.parse(sample.content.toString('utf8')));
    expect(sample.properties).toMatchObject({
      messageId: body.id,
      type: 'OrderLineAdded',
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(sample.fields.routingKey).toBe('event.OrderLineAdded');
    expect(sample.properties.headers).toMatchObject({
      [MESSAGE_HEADERS.streamId]: body.streamId,
      [MESSAGE_HEADERS.streamType]: 'order',
      [MESSAGE_HEADERS.version]: body.version,
      [MESSAGE_HEADERS.globalPosition]: body.globalPosition,
      [MESSAGE_HEADERS.correlationId]: body.metadata.correlationId,
    });
  }, 120_000);

  it('never checkpoints an event the broker refused: the checkpoint waits, the relay retries, nothing is lost', async () => {
    const { test, exchange, schema } = await setup();
    const capped = uniqueName('capped');
    queues.push(capped);
    const connection = await amqp.connect(amqpUrl);
    cleanups.push(() => connection.close().catch(() => undefined));
    const channel = await connection.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    // A full queue with reject-publish makes the broker nack every further message routed to it.
    await channel.assertQueue(capped, { durable: true, arguments: { 'x-max-length': 5, 'x-overflow': 'reject-publish' } });
    await channel.bindQueue(capped, exchange, '#');
    const appended = await test.store.append(
      `order-${randomUUID()}`,
      Array.from({ length: 10 }, (_, i) => ({ type: 'OrderLineAdded', data: { i } })),
    );
    const fifth = appended.events[4]!;

    const relay = relayFor(test, schema, { exchange, batchSize: 5, maxInFlight: 5 });
    relay.start();
    await waitUntil(() => (relay.metrics().lastError ?? '').includes('did not confirm'), 15_000, () => JSON.stringify(relay.metrics()));
    await new Promise((resolve) => setTimeout(resolve, 500)); // several rejected retries later...
    const stuck = await test.checkpoints.load('relay');
    expect(stuck?.checkpoint.position).toBe(fifth.globalPosition); // the confirmed first batch, not one event more
    expect(relay.metrics().checkpoint.position).toBe(fifth.globalPosition);
    // The lag shows the five refused events, and how long the oldest of them has waited.
    const appendedAt = appended.events[5]!.occurredAt.getTime();
    expect(relay.metrics().lagEvents).toBe(5);
    expect(relay.metrics().lagMs).toBeGreaterThanOrEqual(Date.now() - appendedAt - 50);
    expect(relay.metrics().lagMs).toBeGreaterThanOrEqual(500);

    // Make room: take the five queued messages out; the relay then gets the rest through.
    const taken: string[] = [];
    while (taken.length < 10) {
      const message = await channel.get(capped, { noAck: true });
      if (message === false) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (!taken.includes(String(message.properties.messageId))) taken.push(String(message.properties.messageId));
    }
    expect(taken).toEqual(appended.events.map((event) => event.id));
    await waitUntil(() => relay.metrics().checkpoint.position === appended.events[9]!.globalPosition, 10_000);
    expect(relay.metrics().reconnects).toBeGreaterThan(0);
    await waitUntil(() => relay.metrics().lagEvents === 0 && relay.metrics().lagMs === 0, 5000);
  });

  it('counts, logs and forwards unroutable events to the alternate exchange; never drops one silently', async () => {
    const { test, exchange, schema } = await setup();
    const alternate = uniqueName('relay_unroutable');
    exchanges.push(alternate);
    const routed = await collect(exchange, ['event.Kept']);
    const parked = await collect(alternate, ['#'], 'fanout');
    const logger = recordingLogger();
    const relay = relayFor(test, schema, { exchange, alternateExchange: alternate, logger });
    const kept = await test.store.append(`order-${randomUUID()}`, [
      { type: 'Kept', data: {} },
      { type: 'Lost', data: {} },
      { type: 'Kept', data: {} },
      { type: 'Lost', data: {} },
    ]);
    const lostIds = kept.events.filter((e) => e.type === 'Lost').map((e) => e.id);
    relay.start();
    await parked.waitUntil((received) => received.length === 2, 10_000);
    await routed.waitUntil((received) => received.length === 2, 10_000);
    expect(parked.received.map((m) => m.messageId)).toEqual(lostIds);
    expect(parked.received[0]!.routingKey).toBe('event.Lost');
    await waitUntil(() => relay.metrics().inFlight === 0, 5000);
    expect(relay.metrics()).toMatchObject({ returnedTotal: 2, publishedTotal: 4 });
    const warned = logger.lines.filter((line) => line.level === 'warn' && lostIds.includes(String(line.fields['eventId'])));
    expect(warned).toHaveLength(2);
    expect(warned[0]!.message).toContain('alternate exchange');
    expect(JSON.stringify(logger.lines)).not.toContain('"data"'); // no payloads in logs
    expect((await test.checkpoints.load('relay'))?.checkpoint.position).toBe(kept.events[3]!.globalPosition);
  });

  it('without an alternate exchange, counts and warns about each returned event', async () => {
    const { test, exchange, schema } = await setup();
    const logger = recordingLogger();
    const relay = relayFor(test, schema, { exchange, logger });
    const appended = await test.store.append(`order-${randomUUID()}`, [{ type: 'Nobody', data: {} }]);
    relay.start();
    await waitUntil(() => relay.metrics().returnedTotal === 1, 10_000);
    const warning = logger.lines.find((line) => line.level === 'warn' && line.fields['eventId'] === appended.events[0]!.id);
    expect(warning?.message).toContain('unroutable');
    expect(warning?.fields).toMatchObject({ eventType: 'Nobody', routingKey: 'event.Nobody', reply: '312 NO_ROUTE' });
  });

  it('runs one active relay per name; a stopped leader hands over to the standby with nothing lost or repeated', async () => {
    const { test, exchange, schema } = await setup();
    const collector = await collect(exchange);
    const first = relayFor(test, schema, { exchange, batchSize: 50, maxInFlight: 100 });
    const second = relayFor(test, schema, { exchange, batchSize: 50, maxInFlight: 100 });
    first.start();
    await waitUntil(() => first.metrics().leaseHeld, 10_000);
    second.start();
    await waitUntil(() => second.metrics().state === 'standby', 10_000);

    const writing = appendFromWriters(test.store, { writers: 2, events: 1500, maxPerAppend: 5, streamsPerWriter: 5, pauseMs: 2 });
    await waitUntil(() => collector.received.length > 300, 20_000);
    expect(second.metrics()).toMatchObject({ leaseHeld: false, publishedTotal: 0 });
    await first.stop(); // graceful: in-flight events confirmed and checkpointed, lease released
    expect(first.metrics().state).toBe('stopped');
    expect((await test.checkpoints.load('relay'))?.status).toBe('stopped');
    const publishedByFirst = first.metrics().publishedTotal;

    const ids = await writing;
    await collector.waitUntil((received) => received.length >= ids.length, 30_000);
    await waitUntil(() => second.metrics().leaseHeld && second.metrics().inFlight === 0, 10_000);
    expect(publishedByFirst + second.metrics().publishedTotal).toBe(ids.length);
    expect(collector.received.map((m) => m.messageId).sort()).toEqual([...ids].sort());
    expectVersionOrderPerStream(collector.received);
  });

  it('never moves its checkpoint past an event whose transaction is still open (out-of-order commits)', async () => {
    const { test, exchange, schema } = await setup();
    const collector = await collect(exchange);
    const relay = relayFor(test, schema, { exchange });
    relay.start();
    await waitUntil(() => relay.metrics().state === 'running', 10_000);

    const gate = (): { promise: Promise<void>; open: () => void } => {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { promise, open };
    };
    const bAppended = gate();
    const aAppended = gate();
    const releaseB = gate();
    const releaseA = gate();
    // B takes the older transaction id, A the newer one, then B commits, C commits, A stays open.
    const b = test.store.withTransaction(async ({ store }) => {
      await store.append(`order-b-${randomUUID()}`, [{ type: 'B', data: {} }]);
      bAppended.open();
      await releaseB.promise;
    });
    await bAppended.promise;
    let aPosition = 0;
    const a = test.store.withTransaction(async ({ store }) => {
      const result = await store.append(`order-a-${randomUUID()}`, [{ type: 'A', data: {} }]);
      aPosition = result.events[0]!.globalPosition;
      aAppended.open();
      await releaseA.promise;
    });
    await aAppended.promise;
    releaseB.open();
    await b;
    const c = await test.store.append(`order-c-${randomUUID()}`, [{ type: 'C', data: {} }]);

    await collector.waitUntil((received) => received.some((m) => String(m.raw.properties.type) === 'B'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 600)); // several polls and notifications later
    expect(collector.received.map((m) => String(m.raw.properties.type))).toEqual(['B']);
    const checkpointWhileOpen = (await test.checkpoints.load('relay'))!.checkpoint;
    expect(checkpointWhileOpen.position).toBeLessThan(aPosition);

    releaseA.open();
    await a;
    await collector.waitUntil((received) => received.length === 3, 10_000);
    expect(collector.received.map((m) => String(m.raw.properties.type)).sort()).toEqual(['A', 'B', 'C']);
    await waitUntil(() => relay.metrics().inFlight === 0 && relay.metrics().lagEvents === 0, 5000);
    const after = (await test.checkpoints.load('relay'))!.checkpoint;
    expect(compareCheckpoints(after, checkpointWhileOpen)).toBeGreaterThan(0);
    expect(c.events[0]!.globalPosition).toBeGreaterThan(aPosition);
  });

  it('reports lag 0 after a restart from a checkpoint whose position is below an event it delivered before', async () => {
    const { test, exchange, schema } = await setup();
    const collector = await collect(exchange);
    // A takes the older transaction id and appends a1; B appends and commits; A appends a2, which
    // draws a higher position than B's event, and commits. Feed order: a1, a2, b. The last
    // checkpoint is b's, whose position is below a2's, the head.
    let a2Position = 0;
    let bCommitted!: () => void;
    const bDone = new Promise<void>((resolve) => {
      bCommitted = resolve;
    });
    let aStarted!: () => void;
    const aBegun = new Promise<void>((resolve) => {
      aStarted = resolve;
    });
    const a = test.store.withTransaction(async ({ store }) => {
      const streamId = `restart-a-${randomUUID()}`;
      await store.append(streamId, [{ type: 'A1', data: {} }]);
      aStarted();
      await bDone;
      const result = await store.append(streamId, [{ type: 'A2', data: {} }]);
      a2Position = result.events[0]!.globalPosition;
    });
    await aBegun;
    const b = await test.store.append(`restart-b-${randomUUID()}`, [{ type: 'B', data: {} }]);
    bCommitted();
    await a;
    expect(a2Position).toBeGreaterThan(b.events[0]!.globalPosition);

    const first = relayFor(test, schema, { exchange });
    first.start();
    await collector.waitUntil((received) => received.length === 3, 10_000);
    await waitUntil(() => first.metrics().lagEvents === 0 && first.metrics().inFlight === 0, 5000, () => JSON.stringify(first.metrics()));
    await first.stop();
    expect((await test.checkpoints.load('relay'))!.checkpoint.position).toBe(b.events[0]!.globalPosition);

    const observed = observeWaits(test.store);
    const second = relayFor(test, schema, { exchange, store: observed.store, pollIntervalMs: 20_000 });
    second.start();
    // Its first empty read is followed by a wait: by then it has judged whether it is caught up.
    await waitUntil(() => observed.waits.length >= 1, 10_000);
    // Nothing is left to publish, and nothing is held back: caught up (the normal poll interval),
    // not "1 behind" and re-polling every 10-250 ms forever.
    expect(second.metrics()).toMatchObject({ state: 'running', lagEvents: 0, lagMs: 0, publishedTotal: 0 });
    expect(observed.waits).toEqual([20_000]);
    expect(collector.received).toHaveLength(3);
  });

  it('polls quickly while a foreign transaction holds committed events back, since its end sends no notification', async () => {
    const { test, exchange, schema } = await setup();
    const collector = await collect(exchange);
    const observed = observeWaits(test.store);
    const relay = relayFor(test, schema, { exchange, store: observed.store, pollIntervalMs: 20_000 });
    relay.start();
    await waitUntil(() => relay.metrics().state === 'running', 10_000);
    // A transaction that writes no event (so it never notifies) but holds the horizon back.
    const foreign = await test.pool.connect();
    try {
      await foreign.query('begin');
      await foreign.query('select pg_current_xact_id()');
      await test.store.append(`order-${randomUUID()}`, [{ type: 'HeldBack', data: {} }]);
      const waitsBefore = observed.waits.length;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(collector.received).toHaveLength(0);
      expect(relay.metrics().lagEvents).toBe(1);
      expect(relay.metrics().lagMs).toBeGreaterThan(500);
      const heldBackWaits = observed.waits.slice(waitsBefore);
      expect(heldBackWaits.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...heldBackWaits)).toBeLessThanOrEqual(250);
      await foreign.query('commit');
    } finally {
      foreign.release();
    }
    await collector.waitUntil((received) => received.length === 1, 15_000); // well before the 20 s poll
    await waitUntil(() => relay.metrics().lagEvents === 0 && relay.metrics().lagMs === 0, 5000);
    expect(observed.waits.at(-1)).toBe(20_000); // caught up: back to the normal interval
  });
});
