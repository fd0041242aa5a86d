import { z } from 'zod';
import {
  CalendarDateSchema,
  CancellationReasonSchema,
  GuestIdSchema,
  GuestNameSchema,
  NightsSchema,
  ReservationIdSchema,
  RoomIdSchema,
} from './fields';

/** Body of "create a reservation". `reservationId` is optional: the service generates one when absent. */
export const CreateReservationCommandSchema = z.object({
  reservationId: ReservationIdSchema.optional(),
  guestId: GuestIdSchema,
  guestName: GuestNameSchema,
  roomId: RoomIdSchema,
  checkInDate: CalendarDateSchema,
  nights: NightsSchema,
});
export type CreateReservationCommand = z.infer<typeof CreateReservationCommandSchema>;

/** Body of "confirm a reservation": nothing beyond the reservation id, which the route carries. */
export const ConfirmReservationCommandSchema = z.object({});
export type ConfirmReservationCommand = z.infer<typeof ConfirmReservationCommandSchema>;

export const CancelReservationCommandSchema = z.object({
  reason: CancellationReasonSchema,
});
export type CancelReservationCommand = z.infer<typeof CancelReservationCommandSchema>;

export const ChangeReservationDatesCommandSchema = z.object({
  checkInDate: CalendarDateSchema,
  nights: NightsSchema,
});
export type ChangeReservationDatesCommand = z.infer<typeof ChangeReservationDatesCommandSchema>;
