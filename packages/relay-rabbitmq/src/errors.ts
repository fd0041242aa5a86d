import { hasCode } from '@eventfold/shared-schema';

/**
 * An option passed to `createRabbitRelay`, `createRabbitConsumer` or `migrateInbox` is invalid.
 * Thrown at creation, before any connection is opened or row written.
 */
export class InvalidRabbitOptionError extends Error {
  readonly code = 'EVENTFOLD_RABBIT_INVALID_OPTION' as const;
  override readonly name = 'InvalidRabbitOptionError';
  constructor(
    /** The option's name, e.g. `batchSize` or `inbox.schema`. */
    readonly option: string,
    /** The rejected value. */
    readonly value: unknown,
    expectation: string,
  ) {
    super(`Invalid option ${option}: ${describe(value)}; ${expectation}.`);
  }
}

/**
 * The broker refused (nacked) a published event, or the channel closed before confirming it.
 * The relay treats it as a lost connection: it reconnects and republishes from its checkpoint.
 */
export class PublishNotConfirmedError extends Error {
  readonly code = 'EVENTFOLD_RABBIT_PUBLISH_NOT_CONFIRMED' as const;
  override readonly name = 'PublishNotConfirmedError';
  constructor(
    readonly eventId: string,
    readonly exchange: string,
    readonly routingKey: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(
      `RabbitMQ did not confirm event ${eventId} on exchange "${exchange}" (routing key "${routingKey}")${cause}; ` +
        'the relay will reconnect and republish from its checkpoint. Check the broker logs if this repeats.',
      options,
    );
  }
}

/**
 * A consumed message is not an eventfold event: not JSON, not a recorded-event envelope, or
 * rejected by the consumer's event catalog. It is dead-lettered at once: retrying cannot fix it.
 */
export class InvalidMessageError extends Error {
  readonly code = 'EVENTFOLD_RABBIT_INVALID_MESSAGE' as const;
  override readonly name = 'InvalidMessageError';
  constructor(
    /** The AMQP `messageId`, when the message had one. */
    readonly messageId: string | undefined,
    readonly queue: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Message ${messageId ?? '(without messageId)'} on queue "${queue}" is not a valid eventfold event: ${reason}. ` +
        'It was sent to the dead-letter exchange; fix the producer or the consumer catalog, then replay it from there.',
      options,
    );
  }
}

/**
 * The relay's routing-key function threw or returned something RabbitMQ cannot route on. The
 * relay never skips the event: it logs, backs off and tries again, so fix the function.
 */
export class InvalidRoutingKeyError extends Error {
  readonly code = 'EVENTFOLD_RABBIT_INVALID_ROUTING_KEY' as const;
  override readonly name = 'InvalidRoutingKeyError';
  constructor(
    readonly eventId: string,
    readonly eventType: string,
    readonly routingKey: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `The routingKey function gave ${describe(routingKey)} for event ${eventId} ("${eventType}"): ` +
        'return a string of 1 to 255 bytes. The relay retries this event and publishes nothing after it until it works.',
      options,
    );
  }
}

/**
 * The consumer could not forward a failed message for a retry or to the dead-letter exchange
 * because nothing is bound there to receive it. The message is not acked: it stays in the queue and
 * is tried again after the next reconnect. Bind a queue to the dead-letter exchange.
 */
export class ForwardNotRoutedError extends Error {
  readonly code = 'EVENTFOLD_RABBIT_FORWARD_NOT_ROUTED' as const;
  override readonly name = 'ForwardNotRoutedError';
  constructor(
    readonly messageId: string | undefined,
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(
      `Message ${messageId ?? '(without messageId)'} could not be forwarded: exchange "${exchange || '(default)'}" routed ` +
        `routing key "${routingKey}" to no queue. It stays unacknowledged in its queue; bind a queue to that exchange.`,
    );
  }
}

export const isInvalidRabbitOptionError = (error: unknown): error is InvalidRabbitOptionError =>
  hasCode(error, 'EVENTFOLD_RABBIT_INVALID_OPTION');
export const isPublishNotConfirmedError = (error: unknown): error is PublishNotConfirmedError =>
  hasCode(error, 'EVENTFOLD_RABBIT_PUBLISH_NOT_CONFIRMED');
export const isInvalidMessageError = (error: unknown): error is InvalidMessageError =>
  hasCode(error, 'EVENTFOLD_RABBIT_INVALID_MESSAGE');
export const isForwardNotRoutedError = (error: unknown): error is ForwardNotRoutedError =>
  hasCode(error, 'EVENTFOLD_RABBIT_FORWARD_NOT_ROUTED');
export const isInvalidRoutingKeyError = (error: unknown): error is InvalidRoutingKeyError =>
  hasCode(error, 'EVENTFOLD_RABBIT_INVALID_ROUTING_KEY');

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
