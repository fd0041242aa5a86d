import type {
  CancelReservationCommand,
  ChangeReservationDatesCommand,
  CreateReservationCommand,
  ReservationStatus,
} from '@eventfold/shared-schema/reservation';
import { reservationAggregate, type ReservationCommand, type ReservationState } from './reservation';

/** What the time-travel view shows of a folded reservation. */
export interface ReservationDescription {
  readonly guestId: string;
  readonly guestName: string;
  readonly roomId: string;
  readonly checkInDate: string;
  readonly nights: number;
  readonly status: ReservationStatus;
  readonly cancellationReason: string | null;
}

export interface ReservationDomainOptions {
  /** The clock that stamps confirmations. Default: the system clock. */
  readonly clock?: () => Date;
}

/**
 * The reservation aggregate plus builders that turn an id and a validated request body into its
 * commands. The application layer (`ReservationDomain` in src/application) takes this object.
 */
export function createReservationDomain(options: ReservationDomainOptions = {}) {
  const clock = options.clock ?? (() => new Date());
  return Object.freeze({
    aggregate: reservationAggregate,
    create: (reservationId: string, command: CreateReservationCommand): ReservationCommand => ({
      type: 'CreateReservation',
      reservationId,
      guestId: command.guestId,
      guestName: command.guestName,
      roomId: command.roomId,
      checkInDate: command.checkInDate,
      nights: command.nights,
    }),
    confirm: (reservationId: string): ReservationCommand => ({
      type: 'ConfirmReservation',
      reservationId,
      confirmedAt: clock().toISOString(),
    }),
    cancel: (reservationId: string, command: CancelReservationCommand): ReservationCommand => ({
      type: 'CancelReservation',
      reservationId,
      reason: command.reason,
    }),
    changeDates: (reservationId: string, command: ChangeReservationDatesCommand): ReservationCommand => ({
      type: 'ChangeReservationDates',
      reservationId,
      checkInDate: command.checkInDate,
      nights: command.nights,
    }),
    describe: (state: ReservationState): ReservationDescription | undefined =>
      state.status === 'NONE'
        ? undefined
        : {
            guestId: state.guestId,
            guestName: state.guestName,
            roomId: state.roomId,
            checkInDate: state.checkInDate,
            nights: state.nights,
            status: state.status,
            cancellationReason: state.cancellationReason,
          },
  });
}

/** The domain on the system clock. */
export const reservationDomain = createReservationDomain();
