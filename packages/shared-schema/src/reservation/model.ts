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

export const ReservationStatusSchema = z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']);
export type ReservationStatus = z.infer<typeof ReservationStatusSchema>;
/** `ReservationStatus.PENDING` etc., for code that prefers names to string literals. */
export const ReservationStatus = ReservationStatusSchema.enum;

/**
 * One row of the reservations read model, as queries return it. Timestamps are `Date`s in memory and
 * ISO strings on the wire (parsing accepts both).
 */
export const ReservationSchema = z.object({
  id: ReservationIdSchema,
  guestId: GuestIdSchema,
  guestName: GuestNameSchema,
  roomId: RoomIdSchema,
  checkInDate: CalendarDateSchema,
  nights: NightsSchema,
  status: ReservationStatusSchema,
  /** Version of the reservation's stream the row reflects. */
  version: z.number().int().positive(),
  cancellationReason: CancellationReasonSchema.nullable(),
  confirmedAt: z.coerce.date().nullable(),
  createdAt: z.coerce.date(),
  updatedAt: z.coerce.date(),
});
export type Reservation = z.infer<typeof ReservationSchema>;
