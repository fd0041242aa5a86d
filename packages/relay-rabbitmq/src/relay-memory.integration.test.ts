import { randomUUID } from 'node:crypto';
import type { EventStore } from '@eventfold/core';
import { createMemoryCheckpointStore, createMemoryEventStore } from '@eventfold/store-memory';
import { findRabbitMq, uniqueName } from '@eventfold/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fakeLease } from '../test/fake-lease';
import { collectMessages, deleteTopology, expectVersionOrderPerStream, waitUntil, type Collector } from '../test/support';
import { createRabbitRelay, type RabbitRelay, type RabbitRelayOptions } from './relay';

const amqpUrl = await findRabbitMq({ purpose: 'relay-rabbitmq tests on store-memory' });

describe.skipIf(amqpUrl === undefined)('createRabbitRelay on store-memory with an injected lease (RabbitMQ)', () => {
  const exchanges: string[] = [];
  let cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups = [];
  });
  afterAll(async () => {
    await deleteTopology(amqpUrl!, { exchanges });
  });

  async function setup(
    wrap: (store: EventStore) => EventStore = (store) => store,
    routingKey?: RabbitRelayOptions['routingKey'],
  ): Promise<{ relay: RabbitRelay; collector: Collector; store: ReturnType<typeof createMemoryEventStore>; lease: ReturnType<typeof fakeLease>; checkpoints: ReturnType<typeof createMemoryCheckpointStore> }> {
    const exchange = uniqueName('memory_events');
    exchanges.push(exchange);
    const store = createMemoryEventStore();
    const checkpoints = createMemoryCheckpointStore();
    const lease = fakeLease();
    const collector = await collectMessages(amqpUrl!, exchange);
    cleanups.push(() => collector.close());
    const relay = createRabbitRelay({
      store: wrap(store),
      checkpoints,
      lease,
      amqpUrl: amqpUrl!,
      exchange,
      name: 'memory-relay',
      ...(routingKey === undefined ? {} : { routingKey }),
      reconnectBackoff: { initialMs: 20, maxMs: 100 },
      batchSize: 20,
      maxInFlight: 40,
      pollIntervalMs: 100,
    });
    cleanups.push(() => relay.stop());
    return { relay, collector, store, lease, checkpoints };
  }

  it('publishes the feed of any EventStore in order and checkpoints it in the given CheckpointStore', async () => {
    const { relay, collector, store, checkpoints } = await setup();
    const streams = ['cart-1', 'cart-2', 'cart-3'];
    for (let i = 0; i < 30; i++) {
      for (const stream of streams) await store.append(stream, [{ type: 'ItemAdded', data: { i } }]);
    }
    relay.start();
    await collector.waitUntil((received) => received.length === 90, 10_000);
    expectVersionOrderPerStream(collector.received);
    await waitUntil(() => relay.metrics().inFlight === 0, 5000);
    const head = await store.headPosition();
    expect((await checkpoints.load('memory-relay'))?.checkpoint.position).toBe(head);
    // Woken by the store's notification when more arrives.
    await store.append('cart-1', [{ type: 'ItemRemoved', data: {} }]);
    await collector.waitUntil((received) => received.length === 91, 5000);
  });

  it('stops publishing when the lease is lost, stays on standby, and resumes from the checkpoint once it gets it back', async () => {
    const { relay, collector, store, lease } = await setup();
    relay.start();
    await store.append(`cart-${randomUUID()}`, [{ type: 'Before', data: {} }]);
    await collector.waitUntil((received) => received.length === 1, 5000);

    lease.available = false; // another process took over
    await waitUntil(() => relay.metrics().state === 'standby', 5000, () => JSON.stringify(relay.metrics()));
    expect(relay.metrics().leaseHeld).toBe(false);
    await store.append(`cart-${randomUUID()}`, [{ type: 'During', data: {} }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(collector.received).toHaveLength(1); // nothing published without the lease

    lease.available = true;
    await collector.waitUntil((received) => received.length === 2, 5000);
    expect(String(collector.received[1]!.raw.properties.type)).toBe('During');
    await relay.stop();
    expect(lease.released).toBe(1);
    expect(relay.metrics().state).toBe('stopped');
  });

  it('a stop while waiting for new events still waits for the in-flight confirms and checkpoints them', async () => {
    const hooks: { onWait?: () => void } = {};
    // Like the PostgreSQL store: waiting rejects when the signal aborts.
    const rejectingOnAbort = (base: EventStore): EventStore => ({
      append: (...args) => base.append(...args),
      readStream: (...args) => base.readStream(...args),
      readAll: (...args) => base.readAll(...args),
      streamVersion: (...args) => base.streamVersion(...args),
      streamExists: (...args) => base.streamExists(...args),
      streamInfo: (...args) => base.streamInfo(...args),
      headPosition: () => base.headPosition(),
      withTransaction: (fn) => base.withTransaction(fn),
      waitForEvents: (_after, options) =>
        new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          hooks.onWait?.();
        }),
    });
    const { relay, collector, store, checkpoints } = await setup(rejectingOnAbort);
    for (let i = 0; i < 30; i++) await store.append(`cart-${i % 4}`, [{ type: 'ItemAdded', data: { i } }]);
    let inFlightWhenStopped = -1;
    let stopping: Promise<void> | undefined;
    hooks.onWait = () => {
      if (stopping !== undefined) return;
      inFlightWhenStopped = relay.metrics().inFlight;
      stopping = relay.stop();
    };
    relay.start();
    await waitUntil(() => stopping !== undefined, 5000);
    await stopping;
    expect(inFlightWhenStopped).toBeGreaterThan(0); // confirms were still outstanding when stop came
    const saved = await checkpoints.load('memory-relay');
    expect(saved).toMatchObject({ status: 'stopped', checkpoint: { position: await store.headPosition() } });
    expect(relay.metrics()).toMatchObject({ state: 'stopped', publishedTotal: 30, inFlight: 0 });
    await collector.waitUntil((received) => received.length === 30, 5000);
  });

  it('never skips an event whose routing key cannot be computed: it retries until the function works', async () => {
    let failing = true;
    const { relay, collector, store, checkpoints } = await setup(undefined, (event) => {
      if (failing && event.type === 'Odd') throw new Error('no route for Odd yet');
      return `event.${event.type}`;
    });
    await store.append('cart-1', [{ type: 'Even', data: {} }]);
    const odd = await store.append('cart-1', [{ type: 'Odd', data: {} }]);
    await store.append('cart-1', [{ type: 'Even', data: {} }]);
    relay.start();
    await waitUntil(() => (relay.metrics().lastError ?? '').includes(odd.events[0]!.id), 5000, () => JSON.stringify(relay.metrics()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(collector.received.map((m) => String(m.raw.properties.type))).not.toContain('Odd');
    expect(collector.received.every((m) => m.version === 1)).toBe(true); // nothing after the stuck event
    expect((await checkpoints.load('memory-relay'))?.checkpoint.position ?? 0).toBeLessThan(odd.events[0]!.globalPosition);
    failing = false;
    await collector.waitUntil((received) => received.some((m) => m.version === 3), 5000);
    expectVersionOrderPerStream(collector.received);
  });
});
