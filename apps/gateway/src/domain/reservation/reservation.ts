import { defineAggregate, DomainError } from '@eventfold/core';
import {
  CalendarDateSchema,
  MAX_NIGHTS,
  MIN_NIGHTS,
  type ReservationEvent,
  type ReservationStatus,
} from '@eventfold/shared-schema/reservation';

/** Stable `DomainError.reason`s of the reservation rules; clients may match on them. */
export const ReservationRejection = {
  /** Any command but create on a reservation that was never created. */
  NOT_FOUND: 'RESERVATION_NOT_FOUND',
  ALREADY_EXISTS: 'RESERVATION_ALREADY_EXISTS',
  /** The command names another reservation than the stream it was sent to. */
  ID_MISMATCH: 'RESERVATION_ID_MISMATCH',
  /** Confirming or changing the dates of a cancelled reservation. */
  CANCELLED: 'RESERVATION_CANCELLED',
  ALREADY_CANCELLED: 'RESERVATION_ALREADY_CANCELLED',
  ALREADY_CONFIRMED: 'RESERVATION_ALREADY_CONFIRMED',
  INVALID_NIGHTS: 'RESERVATION_INVALID_NIGHTS',
  INVALID_CHECK_IN_DATE: 'RESERVATION_INVALID_CHECK_IN_DATE',
  INVALID_GUEST_NAME: 'RESERVATION_INVALID_GUEST_NAME',
  INVALID_CANCELLATION_REASON: 'RESERVATION_INVALID_CANCELLATION_REASON',
} as const;
export type ReservationRejection = (typeof ReservationRejection)[keyof typeof ReservationRejection];

export type ReservationCommand =
  | {
      readonly type: 'CreateReservation';
      readonly reservationId: string;
      readonly guestId: string;
      readonly guestName: string;
      readonly roomId: string;
      readonly checkInDate: string;
      readonly nights: number;
    }
  | { readonly type: 'ConfirmReservation'; readonly reservationId: string; readonly confirmedAt?: string }
  | { readonly type: 'CancelReservation'; readonly reservationId: string; readonly reason: string }
  | { readonly type: 'ChangeReservationDates'; readonly reservationId: string; readonly checkInDate: string; readonly nights: number };

export interface ExistingReservation {
  readonly status: ReservationStatus;
  readonly reservationId: string;
  readonly guestId: string;
  readonly guestName: string;
  readonly roomId: string;
  readonly checkInDate: string;
  readonly nights: number;
  readonly cancellationReason: string | null;
  readonly confirmedAt: string | null;
}

/** `NONE` until the reservation is created. Plain JSON, so it snapshots as is. */
export type ReservationState = { readonly status: 'NONE' } | ExistingReservation;

export const initialReservationState: ReservationState = { status: 'NONE' };

export const reservationAggregate = defineAggregate<ReservationState, ReservationEvent, ReservationCommand>({
  type: 'reservation',
  initialState: initialReservationState,
  snapshot: { schemaVersion: 1 },
  evolve,
  decide,
});

function decide(command: ReservationCommand, state: ReservationState): ReservationEvent | readonly ReservationEvent[] {
  if (command.type === 'CreateReservation') {
    if (state.status !== 'NONE') {
      throw reject(ReservationRejection.ALREADY_EXISTS, `Reservation ${command.reservationId} already exists; create it once.`, command);
    }
    const { reservationId, guestId, roomId, checkInDate, nights } = command;
    checkStay(checkInDate, nights, reservationId);
    const guestName = command.guestName.trim();
    if (guestName.length === 0) {
      throw reject(ReservationRejection.INVALID_GUEST_NAME, 'The guest name is empty; give the name the room is booked under.', command);
    }
    return { type: 'ReservationCreated', data: { reservationId, guestId, guestName, roomId, checkInDate, nights } };
  }

  const reservation = existing(state, command);
  switch (command.type) {
    case 'ConfirmReservation':
      if (reservation.status === 'CANCELLED') {
        throw reject(ReservationRejection.CANCELLED, `Reservation ${reservation.reservationId} is cancelled and cannot be confirmed; create a new one.`, command);
      }
      if (reservation.status === 'CONFIRMED') {
        throw reject(ReservationRejection.ALREADY_CONFIRMED, `Reservation ${reservation.reservationId} is already confirmed.`, command);
      }
      return {
        type: 'ReservationConfirmed',
        data: { reservationId: reservation.reservationId, ...(command.confirmedAt !== undefined && { confirmedAt: command.confirmedAt }) },
      };

    case 'CancelReservation': {
      if (reservation.status === 'CANCELLED') {
        throw reject(ReservationRejection.ALREADY_CANCELLED, `Reservation ${reservation.reservationId} is already cancelled.`, command);
      }
      const reason = command.reason.trim();
      if (reason.length === 0) {
        throw reject(ReservationRejection.INVALID_CANCELLATION_REASON, 'Say why the reservation is cancelled: the reason is empty.', command);
      }
      return { type: 'ReservationCancelled', data: { reservationId: reservation.reservationId, reason } };
    }

    case 'ChangeReservationDates': {
      if (reservation.status === 'CANCELLED') {
        throw reject(ReservationRejection.CANCELLED, `Reservation ${reservation.reservationId} is cancelled; its dates cannot change.`, command);
      }
      const { checkInDate, nights } = command;
      checkStay(checkInDate, nights, reservation.reservationId);
      // Asking for the dates it already has changes nothing.
      if (checkInDate === reservation.checkInDate && nights === reservation.nights) return [];
      return { type: 'ReservationDatesChanged', data: { reservationId: reservation.reservationId, checkInDate, nights } };
    }
  }
}

function evolve(state: ReservationState, event: ReservationEvent): ReservationState {
  if (event.type === 'ReservationCreated') {
    return { status: 'PENDING', ...event.data, cancellationReason: null, confirmedAt: null };
  }
  // A later event without a creation cannot come from decide; leave such a state as it is.
  if (state.status === 'NONE') return state;
  switch (event.type) {
    case 'ReservationConfirmed':
      return { ...state, status: 'CONFIRMED', confirmedAt: event.data.confirmedAt ?? null };
    case 'ReservationCancelled':
      return { ...state, status: 'CANCELLED', cancellationReason: event.data.reason };
    case 'ReservationDatesChanged':
      return { ...state, checkInDate: event.data.checkInDate, nights: event.data.nights };
  }
}

function existing(state: ReservationState, command: Exclude<ReservationCommand, { type: 'CreateReservation' }>): ExistingReservation {
  if (state.status === 'NONE') {
    throw reject(ReservationRejection.NOT_FOUND, `Reservation ${command.reservationId} does not exist; create it first.`, command);
  }
  if (state.reservationId !== command.reservationId) {
    throw reject(
      ReservationRejection.ID_MISMATCH,
      `The command is for reservation ${command.reservationId} but was sent to reservation ${state.reservationId}.`,
      command,
    );
  }
  return state;
}

function checkStay(checkInDate: string, nights: number, reservationId: string): void {
  if (!Number.isSafeInteger(nights) || nights < MIN_NIGHTS || nights > MAX_NIGHTS) {
    throw new DomainError(
      ReservationRejection.INVALID_NIGHTS,
      `A stay is ${MIN_NIGHTS} to ${MAX_NIGHTS} whole nights; ${String(nights)} was asked for. Split longer stays into several reservations.`,
      { reservationId, nights },
    );
  }
  if (!CalendarDateSchema.safeParse(checkInDate).success) {
    throw new DomainError(
      ReservationRejection.INVALID_CHECK_IN_DATE,
      `Check-in date ${JSON.stringify(checkInDate)} is not a real calendar date as YYYY-MM-DD.`,
      { reservationId, checkInDate },
    );
  }
}

function reject(reason: ReservationRejection, message: string, command: ReservationCommand): DomainError {
  return new DomainError(reason, message, { reservationId: command.reservationId, command: command.type });
}
