import type { RecordedEvent } from '@eventfold/shared-schema';
import { InvalidRoutingKeyError } from './errors';

/** Header names the relay sets on every message (AMQP headers, values as listed). */
export const MESSAGE_HEADERS = Object.freeze({
  /** The event's stream id (string). */
  streamId: 'x-eventfold-stream-id',
  /** The stream's type, its aggregate kind (string). */
  streamType: 'x-eventfold-stream-type',
  /** The event's version inside its stream (number). */
  version: 'x-eventfold-version',
  /** The event's position in the global feed (number). */
  globalPosition: 'x-eventfold-global-position',
  /** `metadata.correlationId` (string), when set. */
  correlationId: 'x-eventfold-correlation-id',
  /** `metadata.causationId` (string), when set. */
  causationId: 'x-eventfold-causation-id',
  /** How many times a consumer already failed on this message (number, set on retries). */
  attempts: 'x-eventfold-attempts',
  /** Why a consumer dead-lettered this message (string). */
  deadLetterReason: 'x-eventfold-dead-letter-reason',
  /** The consumer that dead-lettered this message (string). */
  deadLetterConsumer: 'x-eventfold-dead-letter-consumer',
  /** The routing key the message was first published with (string). */
  originalRoutingKey: 'x-eventfold-original-routing-key',
});

export type RoutingKeyFunction = (event: RecordedEvent) => string;

/** The default routing key: `event.<type>` (`event.ReservationCreated`). */
export const defaultRoutingKey: RoutingKeyFunction = (event) => `event.${event.type}`;

/** The AMQP properties the relay sets (a subset of amqplib's `Options.Publish`). */
export interface OutgoingMessageOptions {
  readonly messageId: string;
  readonly type: string;
  readonly contentType: 'application/json';
  readonly persistent: true;
  readonly mandatory: true;
  /** `occurredAt` in whole seconds. */
  readonly timestamp: number;
  readonly correlationId?: string;
  readonly headers: Readonly<Record<string, string | number>>;
}

export interface OutgoingMessage {
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: OutgoingMessageOptions;
}

/**
 * An event as the relay publishes it: body = the shared-schema envelope as JSON (ISO `occurredAt`),
 * `messageId` = event id, persistent, mandatory, typed, with the stream coordinates as headers.
 */
export function toOutgoingMessage(event: RecordedEvent, routingKey: RoutingKeyFunction): OutgoingMessage {
  const key = routingKeyOf(event, routingKey);
  const headers: Record<string, string | number> = {
    [MESSAGE_HEADERS.streamId]: event.streamId,
    [MESSAGE_HEADERS.streamType]: event.streamType,
    [MESSAGE_HEADERS.version]: event.version,
    [MESSAGE_HEADERS.globalPosition]: event.globalPosition,
  };
  const { correlationId, causationId } = event.metadata;
  if (typeof correlationId === 'string') headers[MESSAGE_HEADERS.correlationId] = correlationId;
  if (typeof causationId === 'string') headers[MESSAGE_HEADERS.causationId] = causationId;
  const envelope = {
    id: event.id,
    streamId: event.streamId,
    streamType: event.streamType,
    version: event.version,
    globalPosition: event.globalPosition,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    occurredAt: event.occurredAt.toISOString(),
  };
  return {
    routingKey: key,
    content: Buffer.from(JSON.stringify(envelope)),
    options: {
      messageId: event.id,
      type: event.type,
      contentType: 'application/json',
      persistent: true,
      mandatory: true,
      timestamp: Math.floor(event.occurredAt.getTime() / 1000),
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
      headers,
    },
  };
}

function routingKeyOf(event: RecordedEvent, routingKey: RoutingKeyFunction): string {
  let key: unknown;
  try {
    key = routingKey(event);
  } catch (error) {
    throw new InvalidRoutingKeyError(event.id, event.type, '(it threw)', { cause: error });
  }
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 255) {
    throw new InvalidRoutingKeyError(event.id, event.type, key);
  }
  return key;
}
