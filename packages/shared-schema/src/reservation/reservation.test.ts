import { describe, expect, expectTypeOf, it } from 'vitest';
import { isEventValidationError } from '../errors';
import {
  CancelReservationCommandSchema,
  ChangeReservationDatesCommandSchema,
  CreateReservationCommandSchema,
  ReservationSchema,
  ReservationStatus,
  reservationEvents,
  type RecordedReservationEvent,
  type ReservationEvent,
} from './index';

const reservationId = '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20';
const guestId = '0b8c1e3d-5f7a-4b9c-8d2e-6f1a3c5e7b90';
const roomId = 'c2d4e6f8-0a1b-4c3d-9e5f-7a8b9c0d1e2f';
const created = { reservationId, guestId, guestName: 'Ada Lovelace', roomId, checkInDate: '2026-12-01', nights: 3 };

function failingPaths(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (isEventValidationError(error)) return error.issues.map((issue) => issue.path);
    throw error;
  }
  return [];
}

describe('reservation events', () => {
  it('the catalog holds the four events at version 1', () => {
    expect(reservationEvents.types).toEqual([
      'ReservationCreated',
      'ReservationConfirmed',
      'ReservationCancelled',
      'ReservationDatesChanged',
    ]);
    expect(reservationEvents.types.map((type) => reservationEvents.versionOf(type))).toEqual([1, 1, 1, 1]);
  });

  it('parses each event', () => {
    expect(reservationEvents.parse({ type: 'ReservationCreated', data: created }).data).toEqual(created);
    expect(reservationEvents.parse({ type: 'ReservationConfirmed', data: { reservationId } }).data).toEqual({ reservationId });
    expect(
      reservationEvents.parse({ type: 'ReservationConfirmed', data: { reservationId, confirmedAt: '2026-11-02T09:00:00+01:00' } }).data,
    ).toEqual({ reservationId, confirmedAt: '2026-11-02T09:00:00+01:00' });
    expect(reservationEvents.parse({ type: 'ReservationCancelled', data: { reservationId, reason: 'flight cancelled' } }).data).toEqual(
      { reservationId, reason: 'flight cancelled' },
    );
    expect(
      reservationEvents.parse({ type: 'ReservationDatesChanged', data: { reservationId, checkInDate: '2027-01-10', nights: 30 } }).data,
    ).toEqual({ reservationId, checkInDate: '2027-01-10', nights: 30 });
  });

  it.each([
    ['nights 0', { nights: 0 }, ['nights']],
    ['nights 31', { nights: 31 }, ['nights']],
    ['fractional nights', { nights: 1.5 }, ['nights']],
    ['31 November', { checkInDate: '2026-11-31' }, ['checkInDate']],
    ['29 February of a common year', { checkInDate: '2026-02-29' }, ['checkInDate']],
    ['a date without zero padding', { checkInDate: '2026-1-5' }, ['checkInDate']],
    ['a date-time', { checkInDate: '2026-12-01T00:00:00Z' }, ['checkInDate']],
    ['a blank guest name', { guestName: '   ' }, ['guestName']],
    ['ids that are not UUIDs', { reservationId: 'r-1', guestId: 'g', roomId: '101' }, ['reservationId', 'guestId', 'roomId']],
  ])('ReservationCreated refuses %s', (_label, change, paths) => {
    expect(failingPaths(() => reservationEvents.validateNew('ReservationCreated', { ...created, ...change }))).toEqual(paths);
  });

  it('accepts 29 February of a leap year and trims the guest name', () => {
    const { data } = reservationEvents.validateNew('ReservationCreated', { ...created, checkInDate: '2028-02-29', guestName: ' Ada ' });
    expect(data).toEqual({ ...created, checkInDate: '2028-02-29', guestName: 'Ada' });
  });

  it('refuses a confirmation time without a zone and an empty cancellation reason', () => {
    expect(failingPaths(() => reservationEvents.validateNew('ReservationConfirmed', { reservationId, confirmedAt: '2026-11-02 09:00' }))).toEqual(
      ['confirmedAt'],
    );
    expect(failingPaths(() => reservationEvents.validateNew('ReservationCancelled', { reservationId, reason: '' }))).toEqual(['reason']);
  });

  it('narrows recorded events by type', () => {
    const handle = (event: RecordedReservationEvent): string => {
      switch (event.type) {
        case 'ReservationCreated':
          expectTypeOf(event.data.nights).toEqualTypeOf<number>();
          return event.data.guestName;
        case 'ReservationCancelled':
          return event.data.reason;
        default:
          return event.data.reservationId;
      }
    };
    expectTypeOf(handle).toBeFunction();
    expectTypeOf<ReservationEvent['type']>().toEqualTypeOf<
      'ReservationCreated' | 'ReservationConfirmed' | 'ReservationCancelled' | 'ReservationDatesChanged'
    >();
  });
});

describe('reservation commands', () => {
  it('CreateReservationCommand makes the reservation id optional', () => {
    const { reservationId: _omitted, ...withoutId } = created;
    expect(CreateReservationCommandSchema.parse(withoutId)).toEqual(withoutId);
    expect(CreateReservationCommandSchema.safeParse({ ...withoutId, nights: 31 }).success).toBe(false);
  });

  it('CancelReservationCommand needs a reason; ChangeReservationDatesCommand real dates', () => {
    expect(CancelReservationCommandSchema.safeParse({}).success).toBe(false);
    expect(CancelReservationCommandSchema.parse({ reason: 'sick' })).toEqual({ reason: 'sick' });
    expect(ChangeReservationDatesCommandSchema.safeParse({ checkInDate: '2026-06-31', nights: 2 }).success).toBe(false);
    expect(ChangeReservationDatesCommandSchema.parse({ checkInDate: '2026-06-30', nights: 2 })).toEqual({
      checkInDate: '2026-06-30',
      nights: 2,
    });
  });
});

describe('reservation read model', () => {
  it('parses a row from the wire, turning timestamps into Dates', () => {
    const row = ReservationSchema.parse({
      id: reservationId,
      guestId,
      guestName: 'Ada',
      roomId,
      checkInDate: '2026-12-01',
      nights: 3,
      status: 'CONFIRMED',
      version: 2,
      cancellationReason: null,
      confirmedAt: '2026-11-02T09:00:00Z',
      createdAt: '2026-11-01T09:00:00Z',
      updatedAt: '2026-11-02T09:00:00Z',
    });
    expect(row.status).toBe(ReservationStatus.CONFIRMED);
    expect(row.createdAt).toEqual(new Date('2026-11-01T09:00:00Z'));
    expect(ReservationStatus).toEqual({ PENDING: 'PENDING', CONFIRMED: 'CONFIRMED', CANCELLED: 'CANCELLED' });
  });

  it('refuses an unknown status', () => {
    expect(ReservationSchema.shape.status.safeParse('NO_SHOW').success).toBe(false);
  });
});
