import { RecordedEventEnvelopeSchema, type RecordedEvent } from '@eventfold/shared-schema';
import { describe, expect, it } from 'vitest';
import { isInvalidRoutingKeyError } from './errors';
import { MESSAGE_HEADERS, defaultRoutingKey, toOutgoingMessage } from './message';

const event: RecordedEvent = {
  id: '0b6f4a51-5a2f-4c39-9d59-6a0c1e0e8f11',
  streamId: 'reservation-42',
  streamType: 'reservation',
  version: 3,
  globalPosition: 1017,
  type: 'ReservationCreated',
  data: { guestName: 'Ada', nights: 2 },
  metadata: { correlationId: 'corr-1', causationId: 'cause-1', schemaVersion: 1 },
  occurredAt: new Date('2026-03-01T10:00:00.123Z'),
};

describe('toOutgoingMessage', () => {
  it('publishes the envelope as JSON with an ISO occurredAt, parseable by the shared schema', () => {
    const message = toOutgoingMessage(event, defaultRoutingKey);
    const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
    expect(body['occurredAt']).toBe('2026-03-01T10:00:00.123Z');
    expect(RecordedEventEnvelopeSchema.parse(body)).toEqual(event);
  });

  it('sets messageId, type, content type, persistence, mandatory and the stream headers', () => {
    const { routingKey, options } = toOutgoingMessage(event, defaultRoutingKey);
    expect(routingKey).toBe('event.ReservationCreated');
    expect(options).toMatchObject({
      messageId: event.id,
      type: 'ReservationCreated',
      contentType: 'application/json',
      persistent: true,
      mandatory: true,
      correlationId: 'corr-1',
    });
    expect(options.headers).toEqual({
      [MESSAGE_HEADERS.streamId]: 'reservation-42',
      [MESSAGE_HEADERS.streamType]: 'reservation',
      [MESSAGE_HEADERS.version]: 3,
      [MESSAGE_HEADERS.globalPosition]: 1017,
      [MESSAGE_HEADERS.correlationId]: 'corr-1',
      [MESSAGE_HEADERS.causationId]: 'cause-1',
    });
  });

  it('leaves out correlation and causation headers the event does not have', () => {
    const { options } = toOutgoingMessage({ ...event, metadata: {} }, defaultRoutingKey);
    expect(Object.keys(options.headers as object)).not.toContain(MESSAGE_HEADERS.correlationId);
    expect(Object.keys(options.headers as object)).not.toContain(MESSAGE_HEADERS.causationId);
    expect(options).not.toHaveProperty('correlationId');
  });

  it('uses a custom routing key', () => {
    expect(toOutgoingMessage(event, (e) => `${e.streamType}.${e.type}`).routingKey).toBe('reservation.ReservationCreated');
  });

  it.each([
    ['an empty key', () => ''],
    ['a key over 255 bytes', () => 'k'.repeat(256)],
    ['a number', () => 42 as unknown as string],
    ['a throwing function', () => {
      throw new Error('boom');
    }],
  ])('rejects %s with InvalidRoutingKeyError naming the event', (_label, routingKey) => {
    let caught: unknown;
    try {
      toOutgoingMessage(event, routingKey);
    } catch (error) {
      caught = error;
    }
    expect(isInvalidRoutingKeyError(caught)).toBe(true);
    expect((caught as Error).message).toContain(event.id);
  });
});
