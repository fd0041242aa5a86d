export {
  reservationAggregate,
  initialReservationState,
  ReservationRejection,
} from './reservation';
export type { ReservationCommand, ReservationState, ExistingReservation } from './reservation';
export { createReservationDomain, reservationDomain } from './domain';
export type { ReservationDescription, ReservationDomainOptions } from './domain';
export { occupiedNights, checkOutDate } from './nights';
