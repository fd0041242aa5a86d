import { RecordedEventEnvelopeSchema, type RecordedEvent } from '@eventfold/shared-schema';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { openLink, type AmqpLink } from './amqp-link';
import { backoffDelay, sleep, Waker } from './backoff';
import { resolveConsumerOptions, type RabbitConsumerOptions } from './consumer-options';
import { InvalidMessageError, InvalidRabbitOptionError } from './errors';
import { createForwarder, type Forward } from './forwarder';
import { inboxTable, recordInInbox, type SqlExecutor } from './inbox';
import { errorFields, redactUrl } from './logger';
import { MESSAGE_HEADERS } from './message';

export type {
  ConsumerCatalog,
  ConsumerContext,
  ConsumerHandler,
  RabbitConsumerOptions,
} from './consumer-options';

export type ConsumerState = 'idle' | 'connecting' | 'consuming' | 'stopping' | 'stopped';

export interface ConsumerMetrics {
  readonly state: ConsumerState;
  /** Deliveries taken from the queue (retries and duplicates included). */
  readonly received: number;
  /** Messages whose handler committed. */
  readonly handled: number;
  /** Deliveries skipped because the inbox already had their message id. */
  readonly duplicates: number;
  /** Failed deliveries sent back for a delayed retry. */
  readonly retried: number;
  /** Messages sent to the dead-letter exchange. */
  readonly deadLettered: number;
  /** Broker connections opened after a lost one. */
  readonly reconnects: number;
  readonly lastError: string | null;
}

export interface RabbitConsumer {
  /** Declares the topology and starts consuming; resolves once the queue is bound and consumed. */
  start(): Promise<void>;
  /** Stops taking messages, finishes the one being handled, closes the connection. */
  stop(): Promise<void>;
  metrics(): ConsumerMetrics;
}

/** The default routing key of an event type, matching the relay's default: `event.<type>`. */
export function routingKeyFor(eventType: string): string {
  return `event.${eventType}`;
}

/**
 * Creates an idempotent consumer: manual acks, the handler's effects and the inbox row in one
 * transaction, delayed retries, and dead-lettering after `maxAttempts`.
 */
export function createRabbitConsumer<TTx extends SqlExecutor, TEvent = RecordedEvent>(
  options: RabbitConsumerOptions<TEvent, TTx>,
): RabbitConsumer {
  const config = resolveConsumerOptions(options);
  const { logger, queue, consumerName } = config;
  const table = inboxTable(config.schema);
  const retryQueue = `${queue}.retry-${config.retryDelayMs}ms`;
  const log = { consumer: consumerName, queue };
  const stopController = new AbortController();

  let state: ConsumerState = 'idle';
  let received = 0;
  let handled = 0;
  let duplicates = 0;
  let retried = 0;
  let deadLettered = 0;
  let reconnects = 0;
  let lastError: string | null = null;
  let running: Promise<void> | undefined;

  function setError(error: unknown): void {
    lastError = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
  }

  async function declareTopology(channel: ConfirmChannel): Promise<void> {
    await channel.assertExchange(config.exchange, 'topic', { durable: true });
    await channel.assertExchange(config.deadLetterExchange, 'topic', { durable: true });
    await channel.assertQueue(queue, { durable: true });
    // Failed messages wait here for retryDelayMs, then the broker dead-letters them back to `queue`.
    // The delay is in the name, so changing it declares a new queue instead of a conflicting one.
    await channel.assertQueue(retryQueue, {
      durable: true,
      arguments: {
        'x-message-ttl': config.retryDelayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    });
    for (const pattern of config.bindings) await channel.bindQueue(queue, config.exchange, pattern);
    await channel.prefetch(config.prefetch);
  }

  async function run(onConsuming: () => void): Promise<void> {
    let failures = 0;
    let connectedBefore = false;
    while (!stopController.signal.aborted) {
      state = 'connecting';
      let link: AmqpLink | undefined;
      try {
        link = await openLink(config.amqpUrl, { connectionName: `eventfold-consumer:${consumerName}`, socketOptions: config.socketOptions });
        await declareTopology(link.channel);
        if (connectedBefore) reconnects += 1;
        connectedBefore = true;
        logger.info({ ...log, url: redactUrl(config.amqpUrl) }, 'consumer connected to RabbitMQ');
        const lost = await consumeUntilLost(link, onConsuming);
        failures = 0;
        if (lost !== undefined && !stopController.signal.aborted) throw lost;
      } catch (error) {
        if (stopController.signal.aborted) break;
        setError(error);
        const delay = backoffDelay(failures++, config.reconnectBackoff);
        logger.warn({ ...log, ...errorFields(error), retryInMs: delay }, 'consumer lost its connection; reconnecting');
        await sleep(delay, stopController.signal);
      } finally {
        await link?.close();
      }
    }
    state = 'stopped';
    logger.info(log, 'consumer stopped');
  }

  /**
   * Consumes until the link is lost (resolves the reason) or stop is requested (resolves undefined).
   * Messages of one stream are handled one after the other in arrival order; up to `concurrency`
   * streams are handled at once.
   */
  async function consumeUntilLost(link: AmqpLink, onConsuming: () => void): Promise<Error | undefined> {
    const { channel } = link;
    const forward = createForwarder(channel);
    const waker = new Waker();
    const queued = new Map<string, ConsumeMessage[]>();
    const ready: string[] = [];
    let active = 0;
    let lost: Error | undefined;
    const accepting = (): boolean => lost === undefined && !stopController.signal.aborted;
    void link.lost.then((reason) => {
      lost ??= reason;
      waker.wake();
    });
    const wakeOnStop = (): void => waker.wake();
    stopController.signal.addEventListener('abort', wakeOnStop, { once: true });

    const work = async (key: string): Promise<void> => {
      try {
        for (let next = queued.get(key)?.shift(); next !== undefined && accepting(); next = queued.get(key)?.shift()) {
          await processMessage(channel, forward, next);
        }
      } finally {
        // Whatever is left belongs to a lost channel; the broker redelivers it.
        queued.delete(key);
        active -= 1;
        pump();
        waker.wake();
      }
    };
    const pump = (): void => {
      while (active < config.concurrency && ready.length > 0 && accepting()) {
        const key = ready.shift() as string;
        active += 1;
        void work(key);
      }
    };

    const { consumerTag } = await channel.consume(
      queue,
      (message) => {
        if (message === null) {
          lost ??= new Error(`queue "${queue}" was deleted or the consumer was cancelled by the broker`);
          waker.wake();
          return;
        }
        const key = orderingKey(message);
        const messages = queued.get(key);
        if (messages === undefined) {
          queued.set(key, [message]);
          ready.push(key);
          pump();
        } else {
          messages.push(message); // its stream's worker (active or ready) takes it in turn
        }
      },
      { noAck: false },
    );
    state = 'consuming';
    onConsuming();
    try {
      while (accepting()) await waker.wait();
      if (lost === undefined) {
        state = 'stopping';
        // Stop taking messages; those already pushed are requeued when the connection closes.
        await channel.cancel(consumerTag).catch(() => undefined);
      }
      while (active > 0) await waker.wait();
    } finally {
      stopController.signal.removeEventListener('abort', wakeOnStop);
    }
    return lost;
  }

  async function processMessage(channel: ConfirmChannel, forward: Forward, message: ConsumeMessage): Promise<void> {
    received += 1;
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    const previousFailures = Number(headers[MESSAGE_HEADERS.attempts] ?? 0);
    const attempt = (Number.isSafeInteger(previousFailures) && previousFailures > 0 ? previousFailures : 0) + 1;
    const originalKey =
      typeof headers[MESSAGE_HEADERS.originalRoutingKey] === 'string'
        ? (headers[MESSAGE_HEADERS.originalRoutingKey] as string)
        : message.fields.routingKey;
    const messageIdProperty = typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined;

    let event: TEvent;
    let envelope: { readonly id: string; readonly type: string };
    try {
      ({ event, envelope } = parseMessage(message, messageIdProperty));
    } catch (error) {
      setError(error);
      logger.error({ ...log, messageId: messageIdProperty, ...errorFields(error) }, 'consumer dead-lettered a message it cannot parse');
      await settleWith(channel, message, () => deadLetter(forward, message, originalKey, attempt, error));
      return;
    }
    const messageId = messageIdProperty ?? envelope.id;

    try {
      const outcome = await config.db.transaction(async (tx) => {
        const fresh = await recordInInbox(tx, table, { consumerName, messageId, eventType: envelope.type });
        if (!fresh) return 'duplicate' as const;
        await config.handler(event, { tx, messageId, attempt, redelivered: message.fields.redelivered, routingKey: originalKey });
        return 'handled' as const;
      });
      if (outcome === 'duplicate') {
        duplicates += 1;
        logger.debug({ ...log, messageId, eventType: envelope.type }, 'consumer skipped a duplicate');
      } else {
        handled += 1;
      }
      ackQuietly(channel, message);
    } catch (error) {
      setError(error);
      if (attempt >= config.maxAttempts) {
        logger.error(
          { ...log, messageId, eventType: envelope.type, attempt, ...errorFields(error) },
          `consumer gave up after ${attempt} attempts; message sent to the dead-letter exchange`,
        );
        await settleWith(channel, message, () => deadLetter(forward, message, originalKey, attempt, error));
      } else {
        logger.warn(
          { ...log, messageId, eventType: envelope.type, attempt, retryInMs: config.retryDelayMs, ...errorFields(error) },
          'consumer handler failed; retrying later',
        );
        await settleWith(channel, message, () => retry(forward, message, originalKey, attempt));
      }
    }
  }

  function parseMessage(
    message: ConsumeMessage,
    messageId: string | undefined,
  ): { event: TEvent; envelope: { readonly id: string; readonly type: string } } {
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8'));
    } catch (error) {
      throw new InvalidMessageError(messageId, queue, 'the body is not JSON', { cause: error });
    }
    const parsed = RecordedEventEnvelopeSchema.safeParse(body);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new InvalidMessageError(messageId, queue, `the body is not a recorded-event envelope (bad fields: ${fields})`, {
        cause: parsed.error,
      });
    }
    if (config.catalog === undefined) return { event: parsed.data as TEvent, envelope: parsed.data };
    try {
      return { event: config.catalog.parseRecorded(body), envelope: parsed.data };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidMessageError(messageId, queue, `the event catalog rejected it (${reason})`, { cause: error });
    }
  }

  /** Runs `forward` (a confirmed publish elsewhere), then acks; if it fails the message stays unacked and comes back. */
  async function settleWith(channel: ConfirmChannel, message: ConsumeMessage, forward: () => Promise<void>): Promise<void> {
    try {
      await forward();
      ackQuietly(channel, message);
    } catch (error) {
      setError(error);
      logger.error(
        { ...log, messageId: message.properties.messageId as unknown, ...errorFields(error) },
        'consumer could not forward a failed message; it stays unacknowledged and comes back after a reconnect',
      );
    }
  }

  async function retry(forward: Forward, message: ConsumeMessage, originalKey: string, attempt: number): Promise<void> {
    await forward('', retryQueue, message, {
      [MESSAGE_HEADERS.attempts]: attempt,
      [MESSAGE_HEADERS.originalRoutingKey]: originalKey,
    });
    retried += 1;
  }

  async function deadLetter(
    forward: Forward,
    message: ConsumeMessage,
    originalKey: string,
    attempt: number,
    error: unknown,
  ): Promise<void> {
    await forward(config.deadLetterExchange, originalKey, message, {
      [MESSAGE_HEADERS.attempts]: attempt,
      [MESSAGE_HEADERS.originalRoutingKey]: originalKey,
      [MESSAGE_HEADERS.deadLetterReason]: (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000),
      [MESSAGE_HEADERS.deadLetterConsumer]: consumerName,
    });
    deadLettered += 1;
  }

  function ackQuietly(channel: ConfirmChannel, message: ConsumeMessage): void {
    try {
      channel.ack(message);
    } catch {
      // The channel is gone: the broker redelivers the message and the inbox turns it into a duplicate.
    }
  }

  return {
    start() {
      if (stopController.signal.aborted) {
        return Promise.reject(new InvalidRabbitOptionError('start', 'after stop', 'create a new consumer instead of restarting a stopped one'));
      }
      return new Promise<void>((resolve, reject) => {
        if (running !== undefined) {
          if (state === 'consuming') resolve();
          else reject(new InvalidRabbitOptionError('start', 'called twice', 'await the first start() instead'));
          return;
        }
        const onAbort = (): void => reject(new Error(`consumer ${consumerName} was stopped before it started consuming`));
        stopController.signal.addEventListener('abort', onAbort, { once: true });
        running = run(() => {
          stopController.signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    },
    async stop() {
      stopController.abort();
      await running;
      state = 'stopped';
    },
    metrics() {
      return { state, received, handled, duplicates, retried, deadLettered, reconnects, lastError };
    },
  };
}

/** Messages with the same key are handled in order: the stream id the relay put in the headers. */
function orderingKey(message: ConsumeMessage): string {
  const streamId: unknown = message.properties.headers?.[MESSAGE_HEADERS.streamId];
  if (typeof streamId === 'string') return `stream:${streamId}`;
  return `message:${String(message.properties.messageId ?? message.fields.deliveryTag)}`;
}
