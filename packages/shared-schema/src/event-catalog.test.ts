import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineUpcaster } from './define-event';
import type { RecordedEvent } from './envelope';
import { isEventDefinitionError, isEventValidationError, type EventValidationError } from './errors';
import {
  createEventCatalog,
  type EventDataOf,
  type EventOf,
  type EventTypeOf,
  type RecordedEventOf,
} from './event-catalog';

const GuestRegistered = defineEvent(
  'GuestRegistered',
  z.object({ guest: z.object({ name: z.string().min(1) }), nights: z.number().int().min(1).max(30) }),
);
const GuestLeft = defineEvent('GuestLeft', z.object({ reason: z.string() }));
const catalog = createEventCatalog([GuestRegistered, GuestLeft]);

// Version 3 of "RoomPriced": v1 had a string price, v2 a number, v3 adds the currency.
const RoomPriced = defineEvent('RoomPriced', z.object({ roomId: z.string(), price: z.number(), currency: z.string() }), {
  version: 3,
});
const upcasters = [
  defineUpcaster('RoomPriced', 1, (data: { roomId: string; price: string }) => ({ ...data, price: Number(data.price) })),
  defineUpcaster('RoomPriced', 2, (data: { roomId: string; price: number }) => ({ ...data, currency: 'EUR' })),
];
const pricing = createEventCatalog([RoomPriced], { upcasters });

function recorded(type: string, data: unknown, metadata: RecordedEvent['metadata'] = {}): RecordedEvent {
  return {
    id: '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20',
    streamId: 'room-1',
    streamType: 'room',
    version: 1,
    globalPosition: 1,
    type,
    data,
    metadata,
    occurredAt: new Date('2026-11-01T10:00:00Z'),
  };
}

function validationErrorOf(fn: () => unknown): EventValidationError {
  try {
    fn();
  } catch (error) {
    if (isEventValidationError(error)) return error;
    throw error;
  }
  throw new Error('expected an EventValidationError, nothing was thrown');
}

describe('createEventCatalog: parse', () => {
  it('parses { type, data } into the typed union', () => {
    const event = catalog.parse({ type: 'GuestRegistered', data: { guest: { name: 'Ada' }, nights: 2 } });
    expect(event).toEqual({ type: 'GuestRegistered', data: { guest: { name: 'Ada' }, nights: 2 } });
    expectTypeOf(event).toEqualTypeOf<EventOf<typeof catalog>>();
    if (event.type === 'GuestRegistered') expectTypeOf(event.data.nights).toEqualTypeOf<number>();
  });

  it('parses a recorded event, keeping only type and data', () => {
    const event = catalog.parse(recorded('GuestLeft', { reason: 'done' }));
    expect(event).toEqual({ type: 'GuestLeft', data: { reason: 'done' } });
  });

  it('names the type and every failing field path', () => {
    const error = validationErrorOf(() => catalog.parse({ type: 'GuestRegistered', data: { guest: { name: '' }, nights: 40 } }));
    expect(error.eventType).toBe('GuestRegistered');
    expect(error.issues.map((issue) => issue.path)).toEqual(['guest.name', 'nights']);
    expect(error.message).toMatch(/Invalid event "GuestRegistered": guest\.name: .*; nights: /);
  });

  it('refuses an unknown type, naming the known ones', () => {
    const error = validationErrorOf(() => catalog.parse({ type: 'GuestTeleported', data: {} }));
    expect(error.eventType).toBe('GuestTeleported');
    expect(error.issues[0]?.path).toBe('type');
    expect(error.message).toContain('known types: GuestRegistered, GuestLeft');
  });

  it.each([
    ['null', null],
    ['a string', 'GuestLeft'],
    ['an array', []],
    ['an object without a type', { data: {} }],
    ['a numeric type', { type: 7, data: {} }],
  ])('refuses %s', (_label, input) => {
    expect(validationErrorOf(() => catalog.parse(input)).code).toBe('EVENTFOLD_EVENT_VALIDATION');
  });

  it('upcasts data recorded at an older version before validating it', () => {
    const event = pricing.parse({ type: 'RoomPriced', data: { roomId: 'r1', price: '12.5' }, metadata: { schemaVersion: 1 } });
    expect(event.data).toEqual({ roomId: 'r1', price: 12.5, currency: 'EUR' });
  });

  it('takes data without metadata.schemaVersion as the current version', () => {
    const current = { roomId: 'r1', price: 3, currency: 'USD' };
    expect(pricing.parse({ type: 'RoomPriced', data: current }).data).toEqual(current);
  });
});

describe('createEventCatalog: validateNew', () => {
  it('returns the parsed data and the schema version to record', () => {
    expect(catalog.validateNew('GuestLeft', { reason: 'bye', extra: 1 })).toEqual({ data: { reason: 'bye' }, schemaVersion: 1 });
    expect(pricing.validateNew('RoomPriced', { roomId: 'r', price: 1, currency: 'EUR' }).schemaVersion).toBe(3);
    const typed = catalog.validateNew('GuestLeft', { reason: 'bye' });
    expectTypeOf(typed.data).toEqualTypeOf<{ reason: string }>();
  });

  it('rejects data that fails the schema and unknown types', () => {
    const error = validationErrorOf(() => catalog.validateNew('GuestRegistered', { guest: {}, nights: 0 }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['guest.name', 'nights']);
    expect(validationErrorOf(() => catalog.validateNew('Nope', {})).issues[0]?.path).toBe('type');
  });
});

describe('createEventCatalog: upcast', () => {
  it('runs every step from the recorded version and stamps the current version', () => {
    const v1 = recorded('RoomPriced', { roomId: 'r1', price: '9' }, { schemaVersion: 1, correlationId: 'c-1' });
    const upcast = pricing.upcast(v1);
    expect(upcast.data).toEqual({ roomId: 'r1', price: 9, currency: 'EUR' });
    expect(upcast.metadata).toEqual({ schemaVersion: 3, correlationId: 'c-1' });
    expect({ ...upcast, data: v1.data, metadata: v1.metadata }).toEqual(v1);
    // The stored event is not touched.
    expect(v1.data).toEqual({ roomId: 'r1', price: '9' });
  });

  it('starts from the recorded version (v2 skips the v1 step)', () => {
    const v2 = recorded('RoomPriced', { roomId: 'r1', price: 4 }, { schemaVersion: 2 });
    expect(pricing.upcast(v2).data).toEqual({ roomId: 'r1', price: 4, currency: 'EUR' });
  });

  it('returns current-version events and unknown types as they are', () => {
    const current = recorded('RoomPriced', { roomId: 'r1', price: 4, currency: 'USD' }, { schemaVersion: 3 });
    expect(pricing.upcast(current)).toBe(current);
    const foreign = recorded('SomethingElse', { any: 1 }, { schemaVersion: 1 });
    expect(pricing.upcast(foreign)).toBe(foreign);
  });

  it('does not hand the stored object to the upcasters', () => {
    const mutating = createEventCatalog([defineEvent('Counted', z.object({ n: z.number() }), { version: 2 })], {
      upcasters: [
        defineUpcaster('Counted', 1, (data: { n: number }) => {
          data.n += 1;
          return data;
        }),
      ],
    });
    const stored = recorded('Counted', { n: 1 }, { schemaVersion: 1 });
    expect(mutating.upcast(stored).data).toEqual({ n: 2 });
    expect(stored.data).toEqual({ n: 1 });
  });

  it('rejects an upcast result that fails the current schema, saying it was upcast', () => {
    const broken = createEventCatalog([RoomPriced], {
      upcasters: [upcasters[0]!, defineUpcaster('RoomPriced', 2, (data) => data)],
    });
    const error = validationErrorOf(() => broken.upcast(recorded('RoomPriced', { roomId: 'r', price: '1' }, { schemaVersion: 1 })));
    expect(error.issues).toEqual([{ path: 'currency', message: expect.stringContaining('after upcasting from version 1 to 3') as unknown }]);
  });

  it('wraps an upcaster that throws', () => {
    const throwing = createEventCatalog([defineEvent('Counted', z.object({ n: z.number() }), { version: 2 })], {
      upcasters: [
        defineUpcaster('Counted', 1, () => {
          throw new Error('boom');
        }),
      ],
    });
    const error = validationErrorOf(() => throwing.upcast(recorded('Counted', {}, { schemaVersion: 1 })));
    expect(error.message).toContain('the upcaster from version 1 threw: boom');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('refuses data recorded by a newer definition, and a malformed schemaVersion', () => {
    const newer = validationErrorOf(() => catalog.upcast(recorded('GuestLeft', { reason: 'x' }, { schemaVersion: 2 })));
    expect(newer.issues[0]).toEqual({ path: 'metadata.schemaVersion', message: expect.stringContaining('newer than this catalog') as unknown });
    const malformed = validationErrorOf(() =>
      catalog.upcast(recorded('GuestLeft', { reason: 'x' }, { schemaVersion: 'one' as unknown as number })),
    );
    expect(malformed.issues[0]?.path).toBe('metadata.schemaVersion');
  });
});

describe('createEventCatalog: parseRecorded', () => {
  it('parses a wire envelope (ISO occurredAt) and upcasts its data', () => {
    const wire: unknown = JSON.parse(JSON.stringify(recorded('RoomPriced', { roomId: 'r1', price: '2' }, { schemaVersion: 1 })));
    const event = pricing.parseRecorded(wire);
    expect(event.occurredAt).toEqual(new Date('2026-11-01T10:00:00Z'));
    expect(event.data).toEqual({ roomId: 'r1', price: 2, currency: 'EUR' });
    expect(event.metadata.schemaVersion).toBe(3);
    expectTypeOf(event).toEqualTypeOf<RecordedEventOf<typeof pricing>>();
  });

  it('names the envelope fields that are wrong', () => {
    const error = validationErrorOf(() => catalog.parseRecorded({ ...recorded('GuestLeft', { reason: 'x' }), id: 'nope', version: 0 }));
    expect(error.eventType).toBe('GuestLeft');
    expect(error.issues.map((issue) => issue.path)).toEqual(['id', 'version']);
  });
});

describe('createEventCatalog: declarations', () => {
  it('lists its types and answers has()', () => {
    expect(catalog.types).toEqual(['GuestRegistered', 'GuestLeft']);
    expect(catalog.has('GuestLeft')).toBe(true);
    expect(catalog.has('Nope')).toBe(false);
    expect(pricing.versionOf('RoomPriced')).toBe(3);
    expectTypeOf<EventTypeOf<typeof catalog>>().toEqualTypeOf<'GuestRegistered' | 'GuestLeft'>();
    expectTypeOf<EventDataOf<typeof catalog, 'GuestLeft'>>().toEqualTypeOf<{ reason: string }>();
    const narrowed = recorded('GuestLeft', { reason: 'x' }) as RecordedEventOf<typeof catalog>;
    if (narrowed.type === 'GuestLeft') expectTypeOf(narrowed.data).toEqualTypeOf<{ reason: string }>();
  });

  it.each([
    ['no definitions', () => createEventCatalog([])],
    ['a duplicate type', () => createEventCatalog([GuestLeft, GuestLeft])],
    ['something that is not a definition', () => createEventCatalog([{ type: 'X' } as never])],
    ['an upcaster for an unknown type', () => createEventCatalog([GuestLeft], { upcasters: [defineUpcaster('Nope', 1, (d) => d)] })],
    ['an upcaster at the current version', () => createEventCatalog([GuestLeft], { upcasters: [defineUpcaster('GuestLeft', 1, (d) => d)] })],
    ['two upcasters from one version', () => createEventCatalog([RoomPriced], { upcasters: [...upcasters, upcasters[1]!] })],
    ['a missing upcaster step', () => createEventCatalog([RoomPriced], { upcasters: [upcasters[1]!] })],
  ])('refuses %s', (_label, build) => {
    let caught: unknown;
    try {
      build();
    } catch (error) {
      caught = error;
    }
    expect(isEventDefinitionError(caught)).toBe(true);
  });

  it('names the missing upcaster versions', () => {
    expect(() => createEventCatalog([RoomPriced], { upcasters: [upcasters[1]!] })).toThrow(/no upcaster from version 1/);
  });
});
