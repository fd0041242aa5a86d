import type { BackoffOptions } from './backoff';
import { InvalidRabbitOptionError } from './errors';
import type { InboxDatabase, SqlExecutor } from './inbox';
import { silentLogger, type Logger } from './logger';
import { amqpNameOption, functionOption, integerOption, nameOption, sqlIdentifierOption, urlOption } from './option-checks';

/** Parses a message body into a typed event; `createEventCatalog(...)` from shared-schema fits. */
export interface ConsumerCatalog<TEvent> {
  parseRecorded(input: unknown): TEvent;
}

/** What the handler gets besides the event. */
export interface ConsumerContext<TTx> {
  /** The Drizzle transaction the inbox row is written in: write your effects through it. */
  readonly tx: TTx;
  readonly messageId: string;
  /** 1 on the first delivery, then 2, 3, ... after failures (up to `maxAttempts`). */
  readonly attempt: number;
  /** The broker flagged the delivery as a redelivery (a consumer died before acking it). */
  readonly redelivered: boolean;
  /** The routing key the relay published the event with. */
  readonly routingKey: string;
}

export type ConsumerHandler<TEvent, TTx> = (event: TEvent, context: ConsumerContext<TTx>) => Promise<void>;

export interface RabbitConsumerOptions<TEvent, TTx extends SqlExecutor> {
  readonly amqpUrl: string;
  readonly socketOptions?: Record<string, unknown>;
  /** The durable queue this consumer reads (declared if missing). */
  readonly queue: string;
  /** The topic exchange the relay publishes to (declared durable if missing). Default `domain_events`. */
  readonly exchange?: string;
  /**
   * Routing-key patterns to bind the queue with, one per event type you handle
   * (`routingKeyFor('ReservationCreated')` = `event.ReservationCreated`); topic wildcards work.
   */
  readonly bindings: readonly string[];
  /** Applies one event. Throw to have it retried; its writes through `context.tx` roll back. */
  readonly handler: ConsumerHandler<TEvent, TTx>;
  /** Deduplication: `consumerName` + message id is recorded in `<schema>.inbox` in the handler's transaction. */
  readonly inbox: {
    readonly db: InboxDatabase<TTx>;
    /** Default `eventfold`. Create the table once with `migrateInbox(db, { schema })`. */
    readonly schema?: string;
    readonly consumerName: string;
  };
  /** Parses and upcasts each event by type; without it the handler gets the plain envelope. */
  readonly catalog?: ConsumerCatalog<TEvent>;
  /** Unacknowledged messages the broker may push ahead. Default 50. */
  readonly prefetch?: number;
  /**
   * Streams handled at once, each in its own transaction. Events of one stream (the relay's
   * stream-id header) are always handled one at a time, in arrival order. Default 1.
   */
  readonly concurrency?: number;
  /** Deliveries before a failing message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** Delay before a failed message is delivered again. Default 1000 ms. */
  readonly retryDelayMs?: number;
  /** Topic exchange (declared durable) that receives messages that failed `maxAttempts` times or cannot be parsed. */
  readonly deadLetterExchange: string;
  readonly reconnectBackoff?: BackoffOptions;
  readonly logger?: Logger;
}

export interface ResolvedConsumerOptions<TEvent, TTx extends SqlExecutor> {
  readonly amqpUrl: string;
  readonly socketOptions: Record<string, unknown> | undefined;
  readonly queue: string;
  readonly exchange: string;
  readonly bindings: readonly string[];
  readonly handler: ConsumerHandler<TEvent, TTx>;
  readonly db: InboxDatabase<TTx>;
  readonly schema: string;
  readonly consumerName: string;
  readonly catalog: ConsumerCatalog<TEvent> | undefined;
  readonly prefetch: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly deadLetterExchange: string;
  readonly reconnectBackoff: Required<BackoffOptions>;
  readonly logger: Logger;
}

/** Validates every option before anything connects; throws InvalidRabbitOptionError. */
export function resolveConsumerOptions<TEvent, TTx extends SqlExecutor>(
  options: RabbitConsumerOptions<TEvent, TTx>,
): ResolvedConsumerOptions<TEvent, TTx> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidRabbitOptionError('options', options, 'pass { amqpUrl, queue, bindings, handler, inbox, deadLetterExchange, ... }');
  }
  const { inbox } = options;
  if (typeof inbox !== 'object' || inbox === null || typeof inbox.db?.transaction !== 'function') {
    throw new InvalidRabbitOptionError('inbox.db', typeof inbox?.db, 'pass { db: a Drizzle database, consumerName }');
  }
  if (!Array.isArray(options.bindings) || options.bindings.length === 0) {
    throw new InvalidRabbitOptionError('bindings', options.bindings, "pass at least one routing-key pattern, e.g. ['event.ReservationCreated']");
  }
  const bindings = options.bindings.map((pattern, index) => {
    if (typeof pattern !== 'string' || pattern.length === 0 || Buffer.byteLength(pattern) > 255) {
      throw new InvalidRabbitOptionError(`bindings[${index}]`, pattern, 'use a routing-key pattern of 1 to 255 bytes');
    }
    return pattern;
  });
  if (options.catalog !== undefined && typeof options.catalog.parseRecorded !== 'function') {
    throw new InvalidRabbitOptionError('catalog', typeof options.catalog, 'pass an event catalog (createEventCatalog(...))');
  }
  const exchange = amqpNameOption('exchange', options.exchange, 'domain_events');
  const deadLetterExchange = amqpNameOption('deadLetterExchange', options.deadLetterExchange);
  if (deadLetterExchange === exchange) {
    throw new InvalidRabbitOptionError('deadLetterExchange', deadLetterExchange, 'use an exchange other than the one the queue is bound to');
  }
  const initialMs = integerOption('reconnectBackoff.initialMs', options.reconnectBackoff?.initialMs, 100, 1, 600_000);
  const maxMs = integerOption('reconnectBackoff.maxMs', options.reconnectBackoff?.maxMs, 10_000, initialMs, 3_600_000);
  return {
    amqpUrl: urlOption('amqpUrl', options.amqpUrl),
    socketOptions: options.socketOptions,
    queue: amqpNameOption('queue', options.queue),
    exchange,
    bindings,
    handler: functionOption('handler', options.handler),
    db: inbox.db,
    schema: sqlIdentifierOption('inbox.schema', inbox.schema, 'eventfold'),
    consumerName: nameOption('inbox.consumerName', inbox.consumerName),
    catalog: options.catalog,
    prefetch: integerOption('prefetch', options.prefetch, 50, 1, 65_535),
    concurrency: integerOption('concurrency', options.concurrency, 1, 1, 1000),
    maxAttempts: integerOption('maxAttempts', options.maxAttempts, 5, 1, 1000),
    retryDelayMs: integerOption('retryDelayMs', options.retryDelayMs, 1000, 1, 86_400_000),
    deadLetterExchange,
    reconnectBackoff: { initialMs, maxMs },
    logger: options.logger ?? silentLogger,
  };
}
