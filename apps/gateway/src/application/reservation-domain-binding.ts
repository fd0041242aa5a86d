import { reservationDomain as domain, type ReservationCommand, type ReservationState } from '../domain/reservation';
import type { ReservationDomain } from './reservation-domain';

/** The reservation domain of `src/domain/reservation`, checked against what the application needs. */
export const reservationDomain: ReservationDomain<ReservationState, ReservationCommand> = domain;
