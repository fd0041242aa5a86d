import type { CheckpointStore, EventStore } from '@eventfold/core';
import type { BackoffOptions } from './backoff';
import { InvalidRabbitOptionError } from './errors';
import type { SqlExecutor } from './inbox';
import { silentLogger, type Logger } from './logger';
import { defaultRoutingKey, type RoutingKeyFunction } from './message';
import { amqpNameOption, functionOption, integerOption, nameOption, sqlIdentifierOption, urlOption } from './option-checks';

/**
 * The leader lease the relay needs: `createLease` from `@eventfold/store-postgres` is one (the relay
 * makes it from `db`); pass your own for another backend or in tests.
 */
export interface RelayLease {
  /** Lifetime without a renewal, in ms; the relay renews every third of it. */
  readonly ttlMs: number;
  /** Whether the last acquire or renew succeeded. */
  readonly held: boolean;
  /** Takes the lease if it is free, expired or already ours; resolves whether we hold it. */
  tryAcquire(): Promise<boolean>;
  /** Extends our lease; resolves false when it was lost meanwhile. */
  renew(): Promise<boolean>;
  /** Gives it up, so a standby takes over at once. */
  release(): Promise<void>;
}

export interface RabbitRelayOptions {
  /** The event store whose global feed is published (`createPostgresEventStore`, or store-memory in tests). */
  readonly store: EventStore;
  /** Where the relay keeps its position, under `name`. */
  readonly checkpoints: CheckpointStore;
  /**
   * Drizzle database (node-postgres or PGlite) holding the lease that keeps one active relay per
   * `name` across processes. Pass `db` or `lease`, not both.
   */
  readonly db?: SqlExecutor;
  /** Postgres schema of the lease table when `db` is given. Default `eventfold`. */
  readonly schema?: string;
  /** A ready-made lease instead of `db` (another lease backend, or a test double). */
  readonly lease?: RelayLease;
  /** `amqp://user:pass@host:5672/vhost`. Never logged with its password. */
  readonly amqpUrl: string;
  /** Passed to amqplib's `connect` as socket options (TLS certificates, timeouts). */
  readonly socketOptions?: Record<string, unknown>;
  /** Topic exchange the events go to, declared durable. Default `domain_events`. */
  readonly exchange?: string;
  /** Routing key of an event. Default `event.<type>`. */
  readonly routingKey?: RoutingKeyFunction;
  /**
   * Exchange (declared durable, fanout) that receives every event the main exchange could not route,
   * so none is ever dropped. Without it, unroutable events are counted and logged at `warn`.
   */
  readonly alternateExchange?: string;
  /** Identifies this relay: its checkpoint name and lease name. Default `rabbitmq-relay`. */
  readonly name?: string;
  /** Events read per page of the feed. Default 500. */
  readonly batchSize?: number;
  /**
   * Most events published but not yet covered by a saved checkpoint (awaiting the broker's confirm
   * or the checkpoint write). Bounds memory, broker backpressure, and the duplicates a crash can
   * cause. Default 2000.
   */
  readonly maxInFlight?: number;
  /** Lease lifetime without a heartbeat: how long a crashed relay blocks its successor. Default 10 000 ms. */
  readonly leaseTtlMs?: number;
  /** Longest sleep between feed reads when no notification arrives (polling fallback). Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Delays between reconnect attempts. Default 100 ms doubling up to 10 000 ms, jittered. */
  readonly reconnectBackoff?: BackoffOptions;
  /** How long `stop()` waits for in-flight confirms before abandoning them. Default 10 000 ms. */
  readonly stopTimeoutMs?: number;
  /** pino-compatible logger. Default: silent. */
  readonly logger?: Logger;
}

export interface ResolvedRelayOptions {
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  readonly schema: string;
  readonly amqpUrl: string;
  readonly socketOptions: Record<string, unknown> | undefined;
  readonly exchange: string;
  readonly alternateExchange: string | undefined;
  readonly routingKey: RoutingKeyFunction;
  readonly name: string;
  readonly batchSize: number;
  readonly maxInFlight: number;
  readonly leaseTtlMs: number;
  readonly pollIntervalMs: number;
  readonly reconnectBackoff: Required<BackoffOptions>;
  readonly stopTimeoutMs: number;
  readonly logger: Logger;
}

/** Validates every option before anything connects; throws InvalidRabbitOptionError. */
export function resolveRelayOptions(options: RabbitRelayOptions): ResolvedRelayOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidRabbitOptionError('options', options, 'pass { store, checkpoints, db, amqpUrl, ... }');
  }
  if (typeof options.store?.readAll !== 'function' || typeof options.store.waitForEvents !== 'function') {
    throw new InvalidRabbitOptionError('store', typeof options.store, 'pass an EventStore (createPostgresEventStore(...))');
  }
  if (typeof options.checkpoints?.save !== 'function' || typeof options.checkpoints.load !== 'function') {
    throw new InvalidRabbitOptionError('checkpoints', typeof options.checkpoints, 'pass a CheckpointStore');
  }
  if ((options.db === undefined) === (options.lease === undefined)) {
    throw new InvalidRabbitOptionError(
      'db',
      options.db === undefined ? undefined : 'a database and a lease',
      'pass either db (a Drizzle database for the lease table) or lease, exactly one',
    );
  }
  if (options.db !== undefined && typeof options.db.execute !== 'function') {
    throw new InvalidRabbitOptionError('db', typeof options.db, 'pass a Drizzle database (drizzle(pool) or drizzle(pglite))');
  }
  const batchSize = integerOption('batchSize', options.batchSize, 500, 1, 10_000);
  const maxInFlight = integerOption('maxInFlight', options.maxInFlight, Math.max(2000, batchSize), 1, 1_000_000);
  if (maxInFlight < batchSize) {
    throw new InvalidRabbitOptionError('maxInFlight', maxInFlight, `use at least batchSize (${batchSize})`);
  }
  const exchange = amqpNameOption('exchange', options.exchange, 'domain_events');
  const alternateExchange =
    options.alternateExchange === undefined ? undefined : amqpNameOption('alternateExchange', options.alternateExchange);
  if (alternateExchange === exchange) {
    throw new InvalidRabbitOptionError('alternateExchange', alternateExchange, 'use an exchange other than the main one');
  }
  const initialMs = integerOption('reconnectBackoff.initialMs', options.reconnectBackoff?.initialMs, 100, 1, 600_000);
  const maxMs = integerOption('reconnectBackoff.maxMs', options.reconnectBackoff?.maxMs, 10_000, initialMs, 3_600_000);
  return {
    store: options.store,
    checkpoints: options.checkpoints,
    schema: sqlIdentifierOption('schema', options.schema, 'eventfold'),
    amqpUrl: urlOption('amqpUrl', options.amqpUrl),
    socketOptions: options.socketOptions,
    exchange,
    alternateExchange,
    routingKey: options.routingKey === undefined ? defaultRoutingKey : functionOption('routingKey', options.routingKey),
    name: nameOption('name', options.name ?? 'rabbitmq-relay'),
    batchSize,
    maxInFlight,
    leaseTtlMs: integerOption('leaseTtlMs', options.leaseTtlMs, 10_000, 300, 3_600_000),
    pollIntervalMs: integerOption('pollIntervalMs', options.pollIntervalMs, 1000, 10, 600_000),
    reconnectBackoff: { initialMs, maxMs },
    stopTimeoutMs: integerOption('stopTimeoutMs', options.stopTimeoutMs, 10_000, 0, 600_000),
    logger: options.logger ?? silentLogger,
  };
}
