import { createEventCatalog, defineEvent, isEventValidationError, type EventValidationError } from '@eventfold/shared-schema';
import { errorOf } from '../test/error-of';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  isEventTooLargeError,
  isInvalidArgumentError,
  isInvalidExpectedVersionError,
  isInvalidStreamIdError,
} from './errors';
import type { NewEvent } from './event-store';
import {
  assertValidStreamId,
  DEFAULT_MAX_EVENT_BYTES,
  MAX_STREAM_ID_LENGTH,
  prepareAppend,
  streamTypeOf,
  type AppendValidator,
} from './validate-append';

const ID = '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20';
const ok: NewEvent = { type: 'Opened', data: { a: 1 } };


function validationError(run: () => unknown): EventValidationError {
  const error = errorOf(run);
  if (!isEventValidationError(error)) throw error;
  return error;
}

describe('prepareAppend: stream id', () => {
  it.each([
    ['a number', 42, /must be a string/],
    ['undefined', undefined, /must be a string/],
    ['an empty string', '', /it is empty/],
    ['201 characters', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1), /201 characters, the limit is 200/],
    ['a NUL character', 'reservation-\u0000', /NUL character/],
  ])('refuses %s', (_label, streamId, message) => {
    const error = errorOf(() => prepareAppend(streamId as string, [ok], undefined));
    expect(isInvalidStreamIdError(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts 200 characters, and assertValidStreamId agrees', () => {
    const streamId = 'x'.repeat(MAX_STREAM_ID_LENGTH);
    expect(prepareAppend(streamId, [ok], undefined).streamId).toBe(streamId);
    expect(() => assertValidStreamId(streamId)).not.toThrow();
    expect(() => assertValidStreamId('')).toThrow(/empty/);
  });
});

describe('prepareAppend: expected version and stream type', () => {
  it('defaults to any and to the stream id prefix', () => {
    const prepared = prepareAppend('reservation-42', [ok], undefined);
    expect(prepared.expectedVersion).toBe('any');
    expect(prepared.streamType).toBe('reservation');
    expect(streamTypeOf('nodash')).toBe('nodash');
    expect(streamTypeOf('-leading')).toBe('-leading');
  });

  it.each([-1, 1.5, Number.NaN, 'latest', null])('refuses expectedVersion %s', (expectedVersion) => {
    const error = errorOf(() => prepareAppend('s-1', [ok], { expectedVersion: expectedVersion as number }));
    expect(isInvalidExpectedVersionError(error)).toBe(true);
    expect((error as Error).message).toContain("use a non-negative integer, 'no_stream', 'stream_exists' or 'any'");
  });

  it.each([
    ['an empty stream type', ''],
    ['a 201-character stream type', 'x'.repeat(201)],
    ['a numeric stream type', 7],
  ])('refuses %s', (_label, streamType) => {
    expect(isInvalidArgumentError(errorOf(() => prepareAppend('s-1', [ok], { streamType: streamType as string })))).toBe(true);
  });

  it('keeps an explicit stream type', () => {
    expect(prepareAppend('s-1', [ok], { streamType: 'tally', expectedVersion: 3 })).toMatchObject({
      streamType: 'tally',
      expectedVersion: 3,
    });
  });
});

describe('prepareAppend: events', () => {
  it('refuses events that are not an array', () => {
    expect(isInvalidArgumentError(errorOf(() => prepareAppend('s-1', ok as unknown as NewEvent[], undefined)))).toBe(true);
  });

  it('accepts an empty array (the store decides what an empty append means)', () => {
    expect(prepareAppend('s-1', [], undefined).events).toEqual([]);
  });

  it.each([null, 'Opened', 3])('refuses the event %s', (event) => {
    expect(isInvalidArgumentError(errorOf(() => prepareAppend('s-1', [event as unknown as NewEvent], undefined)))).toBe(true);
  });

  it.each([
    ['a missing type', undefined],
    ['an empty type', ''],
    ['a numeric type', 5],
    ['a 201-character type', 'T'.repeat(201)],
  ])('refuses %s', (_label, type) => {
    const error = validationError(() => prepareAppend('s-1', [{ type: type as string, data: {} }], undefined));
    expect(error.issues).toEqual([{ path: 'type', message: 'must be a string of 1 to 200 characters' }]);
  });

  it.each([
    ['not a UUID', 'event-1'],
    ['a number', 12],
    ['a UUID with extra text', `${ID}x`],
  ])('refuses an id that is %s', (_label, id) => {
    const error = errorOf(() => prepareAppend('s-1', [{ ...ok, id: id as string }], undefined));
    expect(isInvalidArgumentError(error)).toBe(true);
    expect((error as Error).message).toContain('is not a UUID');
  });

  it('generates ids, lower-cases given ones, and refuses one id twice in an append', () => {
    const [generated, given] = prepareAppend('s-1', [ok, { ...ok, id: ID.toUpperCase() }], undefined).events;
    expect(generated?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(given?.id).toBe(ID);
    const error = errorOf(() => prepareAppend('s-1', [{ ...ok, id: ID }, { ...ok, id: ID.toUpperCase() }], undefined));
    expect(isInvalidArgumentError(error)).toBe(true);
    expect((error as Error).message).toContain(`Event id ${ID} appears twice`);
  });

  it('takes null metadata as none', () => {
    expect(prepareAppend('s-1', [{ ...ok, metadata: null as never }], undefined).events[0]?.metadata).toEqual({});
  });

  it.each([
    ['an array', []],
    ['a string', 'meta'],
  ])('refuses metadata that is %s', (_label, metadata) => {
    const error = validationError(() => prepareAppend('s-1', [{ ...ok, metadata: metadata as never }], undefined));
    expect(error.issues).toEqual([{ path: 'metadata', message: 'must be an object' }]);
  });
});

describe('prepareAppend: JSON', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each([
    ['undefined data', undefined, 'data', /is undefined/],
    ['a BigInt', { n: 1n }, 'data', /BigInt at "n"/],
    ['NaN', { n: Number.NaN }, 'data', /non-finite number at "n"/],
    ['Infinity', { n: Number.POSITIVE_INFINITY }, 'data', /non-finite/],
    ['a function as data', () => 1, 'data', /a function or symbol/],
    ['a cycle', cyclic, 'data', /not JSON-serialisable/],
    ['a NUL character', { s: 'a\u0000b' }, 'data', /NUL character/],
  ])('refuses %s', (_label, data, path, message) => {
    const error = validationError(() => prepareAppend('s-1', [{ type: 'Opened', data }], undefined));
    expect(error.eventType).toBe('Opened');
    expect(error.issues[0]?.path).toBe(path);
    expect(error.issues[0]?.message).toMatch(message);
  });

  it('refuses metadata that is not serialisable', () => {
    const error = validationError(() => prepareAppend('s-1', [{ ...ok, metadata: { n: 2n } }], undefined));
    expect(error.issues[0]?.path).toBe('metadata');
  });

  it('stores exactly what JSON keeps: no undefined keys, Dates as strings', () => {
    const [event] = prepareAppend('s-1', [{ type: 'Opened', data: { at: new Date('2026-01-02T03:04:05Z'), gone: undefined }, metadata: { userId: 'u' } }], undefined).events;
    expect(event?.data).toEqual({ at: '2026-01-02T03:04:05.000Z' });
    expect(event?.dataJson).toBe('{"at":"2026-01-02T03:04:05.000Z"}');
    expect(event?.metadata).toEqual({ userId: 'u' });
    expect(event?.metadataJson).toBe('{"userId":"u"}');
  });

  it('keeps what was serialised, even if the caller changes its object afterwards', () => {
    const data = { nights: 3, guest: { name: 'Ada' } };
    const [event] = prepareAppend('s-1', [{ type: 'Booked', data }], undefined).events;
    data.guest.name = 'changed';
    data.nights = 4;
    expect(event?.data).toEqual({ nights: 3, guest: { name: 'Ada' } });
  });
});

describe('prepareAppend: size limit', () => {
  // {"s":"..."} is 8 bytes around the string; metadata {} is 2 bytes.
  const sized = (bytes: number): NewEvent => ({ type: 'Big', data: { s: 'x'.repeat(bytes - 10) } });

  it('accepts an event of exactly the limit and refuses one byte more, naming both', () => {
    expect(prepareAppend('s-1', [sized(100)], undefined, { maxEventBytes: 100 }).events).toHaveLength(1);
    const error = errorOf(() => prepareAppend('s-1', [sized(101)], undefined, { maxEventBytes: 100 }));
    expect(isEventTooLargeError(error)).toBe(true);
    expect(error).toMatchObject({ eventType: 'Big', sizeBytes: 101, limitBytes: 100 });
  });

  it('counts bytes, not characters, and defaults to 1 MiB', () => {
    const error = errorOf(() => prepareAppend('s-1', [{ type: 'Big', data: { s: 'é'.repeat(50) } }], undefined, { maxEventBytes: 100 }));
    expect(isEventTooLargeError(error)).toBe(true);
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(1024 * 1024);
    expect(isEventTooLargeError(errorOf(() => prepareAppend('s-1', [sized(DEFAULT_MAX_EVENT_BYTES + 1)], undefined)))).toBe(true);
  });
});

describe('prepareAppend: catalog', () => {
  it('is an AppendValidator', () => {
    const validator: AppendValidator = createEventCatalog([defineEvent('Opened', z.object({ owner: z.string() }))]);
    expect(validator.validateNew('Opened', { owner: 'a' })).toEqual({ data: { owner: 'a' }, schemaVersion: 1 });
  });

  it('records the parsed data and the schema version', () => {
    const simple = createEventCatalog([defineEvent('Opened', z.object({ owner: z.string() }))]);
    const [event] = prepareAppend('s-1', [{ type: 'Opened', data: { owner: 'a', extra: true }, metadata: { userId: 'u' } }], undefined, {
      catalog: simple,
    }).events;
    expect(event?.data).toEqual({ owner: 'a' });
    expect(event?.metadata).toEqual({ userId: 'u', schemaVersion: 1 });
  });

  it('refuses unknown types and invalid data before anything else is prepared', () => {
    const simple = createEventCatalog([defineEvent('Opened', z.object({ owner: z.string().min(1) }))]);
    expect(validationError(() => prepareAppend('s-1', [{ type: 'Closed', data: {} }], undefined, { catalog: simple })).issues[0]?.path).toBe(
      'type',
    );
    expect(
      validationError(() => prepareAppend('s-1', [{ type: 'Opened', data: { owner: '' } }], undefined, { catalog: simple })).issues[0]?.path,
    ).toBe('owner');
  });
});
