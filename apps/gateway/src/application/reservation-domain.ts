import type { Aggregate } from '@eventfold/core';
import type {
  CancelReservationCommand,
  ChangeReservationDatesCommand,
  CreateReservationCommand,
  ReservationEvent,
} from '@eventfold/shared-schema/reservation';
import type { ReservationAtView } from '../http/schemas';

/**
 * What the application layer needs from the reservation domain (`src/domain/reservation`): the
 * aggregate, a way to build each of its commands, and a view of its folded state.
 */
export interface ReservationDomain<TState, TCommand> {
  readonly aggregate: Aggregate<TState, ReservationEvent, TCommand>;
  create(reservationId: string, command: CreateReservationCommand): TCommand;
  confirm(reservationId: string): TCommand;
  cancel(reservationId: string, command: CancelReservationCommand): TCommand;
  changeDates(reservationId: string, command: ChangeReservationDatesCommand): TCommand;
  /** The state as the time-travel endpoint shows it; undefined before the reservation exists. */
  describe(state: TState): ReservationAtView['state'] | undefined;
}
