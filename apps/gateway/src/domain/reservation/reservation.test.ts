import { given } from '@eventfold/testing';
import type { ReservationEvent } from '@eventfold/shared-schema/reservation';
import { describe, expect, it } from 'vitest';
import { reservationAggregate, ReservationRejection, type ReservationCommand } from './reservation';

const reservationId = '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20';
const guestId = '0b8c1e3d-5f7a-4b9c-8d2e-6f1a3c5e7b90';
const roomId = 'c2d4e6f8-0a1b-4c3d-9e5f-7a8b9c0d1e2f';
const stay = { reservationId, guestId, guestName: 'Ada Lovelace', roomId, checkInDate: '2026-12-01', nights: 3 };

const givenReservation = given(reservationAggregate);

// Commands
const create: ReservationCommand = { type: 'CreateReservation', ...stay };
const confirm: ReservationCommand = { type: 'ConfirmReservation', reservationId, confirmedAt: '2026-11-20T10:00:00Z' };
const cancel = (reason = 'flight cancelled'): ReservationCommand => ({ type: 'CancelReservation', reservationId, reason });
const changeDates = (checkInDate: string, nights: number): ReservationCommand => ({
  type: 'ChangeReservationDates',
  reservationId,
  checkInDate,
  nights,
});

// Events
const created: ReservationEvent = { type: 'ReservationCreated', data: stay };
const confirmed: ReservationEvent = { type: 'ReservationConfirmed', data: { reservationId, confirmedAt: '2026-11-20T10:00:00Z' } };
const cancelled: ReservationEvent = { type: 'ReservationCancelled', data: { reservationId, reason: 'flight cancelled' } };
const datesChanged = (checkInDate: string, nights: number): ReservationEvent => ({
  type: 'ReservationDatesChanged',
  data: { reservationId, checkInDate, nights },
});

describe('reservation: create', () => {
  it('creates a PENDING reservation', () => {
    givenReservation().when(create).then(created);
    givenReservation().when(create).thenState({ status: 'PENDING', ...stay, cancellationReason: null, confirmedAt: null });
  });

  it('trims the guest name', () => {
    givenReservation()
      .when({ ...create, guestName: '  Ada Lovelace ' })
      .then(created);
  });

  it('cannot create twice', () => {
    givenReservation(created).when(create).thenThrows(ReservationRejection.ALREADY_EXISTS);
    givenReservation(created, cancelled).when(create).thenThrows('RESERVATION_ALREADY_EXISTS');
  });

  it.each([0, 31, -1, 2.5, Number.NaN])('rejects %s nights', (nights) => {
    givenReservation()
      .when({ ...create, nights })
      .thenThrows(ReservationRejection.INVALID_NIGHTS);
  });

  it('accepts 1 and 30 nights', () => {
    givenReservation()
      .when({ ...create, nights: 1 })
      .then({ type: 'ReservationCreated', data: { ...stay, nights: 1 } });
    givenReservation()
      .when({ ...create, nights: 30 })
      .then({ type: 'ReservationCreated', data: { ...stay, nights: 30 } });
  });

  it.each(['2026-02-29', '2026-13-01', '01/12/2026', ''])('rejects the check-in date %j', (checkInDate) => {
    givenReservation()
      .when({ ...create, checkInDate })
      .thenThrows(ReservationRejection.INVALID_CHECK_IN_DATE);
  });

  it('rejects a blank guest name', () => {
    givenReservation()
      .when({ ...create, guestName: '   ' })
      .thenThrows(ReservationRejection.INVALID_GUEST_NAME);
  });
});

describe('reservation: confirm', () => {
  it('confirms a pending reservation', () => {
    givenReservation(created).when(confirm).then(confirmed);
    givenReservation(created)
      .when(confirm)
      .thenState((state) => expect(state).toMatchObject({ status: 'CONFIRMED', confirmedAt: '2026-11-20T10:00:00Z' }));
  });

  it('confirms without a timestamp when none is given', () => {
    givenReservation(created)
      .when({ type: 'ConfirmReservation', reservationId })
      .then({ type: 'ReservationConfirmed', data: { reservationId } });
  });

  it('cannot confirm a cancelled reservation', () => {
    givenReservation(created, cancelled).when(confirm).thenThrows(ReservationRejection.CANCELLED);
  });

  it('refuses to confirm twice', () => {
    givenReservation(created, confirmed).when(confirm).thenThrows(ReservationRejection.ALREADY_CONFIRMED);
  });
});

describe('reservation: cancel', () => {
  it('cancels a pending or a confirmed reservation, with its reason', () => {
    givenReservation(created).when(cancel()).then(cancelled);
    givenReservation(created, confirmed).when(cancel()).then(cancelled);
    givenReservation(created)
      .when(cancel())
      .thenState((state) => expect(state).toMatchObject({ status: 'CANCELLED', cancellationReason: 'flight cancelled' }));
  });

  it('cannot cancel twice', () => {
    givenReservation(created, cancelled).when(cancel('again')).thenThrows(ReservationRejection.ALREADY_CANCELLED);
  });

  it('needs a reason', () => {
    givenReservation(created).when(cancel(' ')).thenThrows(ReservationRejection.INVALID_CANCELLATION_REASON);
  });
});

describe('reservation: change dates', () => {
  it('moves the stay and keeps the status', () => {
    givenReservation(created, confirmed).when(changeDates('2027-01-05', 2)).then(datesChanged('2027-01-05', 2));
    givenReservation(created, confirmed)
      .when(changeDates('2027-01-05', 2))
      .thenState((state) => expect(state).toMatchObject({ status: 'CONFIRMED', checkInDate: '2027-01-05', nights: 2 }));
  });

  it('records nothing when the dates are the same', () => {
    givenReservation(created).when(changeDates('2026-12-01', 3)).then();
    givenReservation(created).when(changeDates('2026-12-01', 4)).then(datesChanged('2026-12-01', 4));
  });

  it('cannot change the dates of a cancelled reservation', () => {
    givenReservation(created, cancelled).when(changeDates('2027-01-05', 2)).thenThrows(ReservationRejection.CANCELLED);
  });

  it('rejects nights outside 1..30 and unreal dates', () => {
    givenReservation(created).when(changeDates('2026-12-01', 31)).thenThrows(ReservationRejection.INVALID_NIGHTS);
    givenReservation(created).when(changeDates('2026-12-01', 0)).thenThrows(ReservationRejection.INVALID_NIGHTS);
    givenReservation(created).when(changeDates('2026-11-31', 2)).thenThrows(ReservationRejection.INVALID_CHECK_IN_DATE);
  });
});

describe('reservation: commands on a reservation that does not exist', () => {
  it.each([confirm, cancel(), changeDates('2027-01-05', 2)])('$type is refused', (command) => {
    givenReservation().when(command).thenThrows(ReservationRejection.NOT_FOUND);
  });

  it('a command for another reservation is refused', () => {
    givenReservation(created)
      .when({ ...confirm, reservationId: '11111111-2222-4333-8444-555555555555' })
      .thenThrows(ReservationRejection.ID_MISMATCH);
  });

  it('the refusal names the reservation and the command', () => {
    givenReservation()
      .when(confirm)
      .thenThrows(
        (error) =>
          error instanceof Error &&
          error.message === `Reservation ${reservationId} does not exist; create it first.` &&
          JSON.stringify((error as { details?: unknown }).details) === JSON.stringify({ reservationId, command: 'ConfirmReservation' }),
      );
  });
});

describe('reservation: history', () => {
  it('folds a whole life', () => {
    givenReservation(created, datesChanged('2026-12-10', 5), confirmed, cancelled).thenState({
      status: 'CANCELLED',
      ...stay,
      checkInDate: '2026-12-10',
      nights: 5,
      confirmedAt: '2026-11-20T10:00:00Z',
      cancellationReason: 'flight cancelled',
    });
  });
});
