import { createMemoryCheckpointStore, createMemoryEventStore } from '@eventfold/store-memory';
import { describe, expect, it } from 'vitest';
import { fakeLease } from '../test/fake-lease';
import { createRabbitConsumer, routingKeyFor, type RabbitConsumerOptions } from './consumer';
import { isInvalidRabbitOptionError } from './errors';
import type { InboxDatabase, SqlExecutor } from './inbox';
import { migrateInbox, pruneInbox } from './inbox';
import { createRabbitRelay, type RabbitRelayOptions } from './relay';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** A database double that fails the test if any SQL reaches it. */
const untouchable: InboxDatabase = {
  execute: () => {
    throw new Error('SQL ran although the options were invalid');
  },
  transaction: () => {
    throw new Error('SQL ran although the options were invalid');
  },
};

describe('createRabbitRelay options', () => {
  const valid = (): RabbitRelayOptions => ({
    store: createMemoryEventStore(),
    checkpoints: createMemoryCheckpointStore(),
    lease: fakeLease(),
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
  });

  it('accepts the minimal options and starts idle', () => {
    const relay = createRabbitRelay(valid());
    expect(relay.name).toBe('rabbitmq-relay');
    expect(relay.metrics()).toMatchObject({ state: 'idle', publishedTotal: 0, leaseHeld: false, lastError: null });
  });

  it.each([
    ['batchSize', { batchSize: 0 }],
    ['batchSize', { batchSize: 1.5 }],
    ['maxInFlight', { batchSize: 100, maxInFlight: 50 }],
    ['exchange', { exchange: 'has space' }],
    ['exchange', { exchange: 'amq.topic' }],
    ['alternateExchange', { exchange: 'same', alternateExchange: 'same' }],
    ['schema', { lease: undefined, db: untouchable, schema: 'Bad-Schema' }],
    ['schema', { lease: undefined, db: untouchable, schema: 'x"; drop table events; --' }],
    ['amqpUrl', { amqpUrl: 'http://localhost' }],
    ['name', { name: '' }],
    ['leaseTtlMs', { leaseTtlMs: 10 }],
    ['routingKey', { routingKey: 'event.x' as unknown as () => string }],
    ['db', { db: untouchable }], // both db and lease
    ['db', { lease: undefined }], // neither
    ['reconnectBackoff.maxMs', { reconnectBackoff: { initialMs: 500, maxMs: 100 } }],
  ] as const)('rejects a bad %s with InvalidRabbitOptionError before connecting', (option, override) => {
    const error = thrown(() => createRabbitRelay({ ...valid(), ...override } as RabbitRelayOptions));
    expect(isInvalidRabbitOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
    expect((error as Error).message).toContain(option);
  });

  it('never puts the AMQP password in an error message', () => {
    const error = thrown(() => createRabbitRelay({ ...valid(), amqpUrl: 'http://user:s3cret@host' }));
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('stop() before start() just marks it stopped, and it cannot be restarted', async () => {
    const relay = createRabbitRelay(valid());
    await relay.stop();
    expect(relay.metrics().state).toBe('stopped');
    expect(isInvalidRabbitOptionError(thrown(() => relay.start()))).toBe(true);
  });
});

describe('createRabbitConsumer options', () => {
  const valid = (): RabbitConsumerOptions<unknown, SqlExecutor> => ({
    amqpUrl: 'amqp://guest:guest@127.0.0.1:5672',
    queue: 'billing.reservations',
    bindings: [routingKeyFor('ReservationCreated')],
    handler: async () => undefined,
    inbox: { db: untouchable, consumerName: 'billing' },
    deadLetterExchange: 'billing.dead',
  });

  it('binds by the same routing key the relay uses by default', () => {
    expect(routingKeyFor('ReservationCreated')).toBe('event.ReservationCreated');
  });

  it.each([
    ['queue', { queue: '' }],
    ['bindings', { bindings: [] }],
    ['bindings[1]', { bindings: ['event.A', ''] }],
    ['handler', { handler: undefined }],
    ['inbox.db', { inbox: { consumerName: 'x' } }],
    ['inbox.schema', { inbox: { db: untouchable, consumerName: 'x', schema: 'no-dashes' } }],
    ['inbox.consumerName', { inbox: { db: untouchable, consumerName: '' } }],
    ['prefetch', { prefetch: 0 }],
    ['concurrency', { concurrency: -1 }],
    ['maxAttempts', { maxAttempts: 0 }],
    ['retryDelayMs', { retryDelayMs: 0 }],
    ['deadLetterExchange', { deadLetterExchange: undefined }],
    ['deadLetterExchange', { exchange: 'events', deadLetterExchange: 'events' }],
    ['catalog', { catalog: {} }],
  ] as const)('rejects a bad %s with InvalidRabbitOptionError before connecting', (option, override) => {
    const error = thrown(() => createRabbitConsumer({ ...valid(), ...override } as RabbitConsumerOptions<unknown, SqlExecutor>));
    expect(isInvalidRabbitOptionError(error)).toBe(true);
    expect((error as { option: string }).option).toBe(option);
  });
});

describe('inbox maintenance options', () => {
  it('validates the schema before any SQL runs', async () => {
    const error = await migrateInbox(untouchable, { schema: 'public; drop' }).catch((e: unknown) => e);
    expect(isInvalidRabbitOptionError(error)).toBe(true);
  });

  it('refuses to prune without an age, or with an age under an hour', async () => {
    const missing = await pruneInbox(untouchable, {} as { olderThanMs: number }).catch((e: unknown) => e);
    const tooYoung = await pruneInbox(untouchable, { olderThanMs: 1000 }).catch((e: unknown) => e);
    expect(isInvalidRabbitOptionError(missing)).toBe(true);
    expect(isInvalidRabbitOptionError(tooYoung)).toBe(true);
  });
});
