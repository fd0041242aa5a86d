import { z } from 'zod';
import { defineEvent } from '../define-event';
import { createEventCatalog, type EventOf, type EventTypeOf, type RecordedEventOf } from '../event-catalog';
import {
  CalendarDateSchema,
  CancellationReasonSchema,
  GuestIdSchema,
  GuestNameSchema,
  InstantSchema,
  NightsSchema,
  ReservationIdSchema,
  RoomIdSchema,
} from './fields';

export const ReservationCreatedDataSchema = z.object({
  reservationId: ReservationIdSchema,
  guestId: GuestIdSchema,
  guestName: GuestNameSchema,
  roomId: RoomIdSchema,
  checkInDate: CalendarDateSchema,
  nights: NightsSchema,
});
export type ReservationCreatedData = z.infer<typeof ReservationCreatedDataSchema>;

export const ReservationConfirmedDataSchema = z.object({
  reservationId: ReservationIdSchema,
  confirmedAt: InstantSchema.optional(),
});
export type ReservationConfirmedData = z.infer<typeof ReservationConfirmedDataSchema>;

export const ReservationCancelledDataSchema = z.object({
  reservationId: ReservationIdSchema,
  reason: CancellationReasonSchema,
});
export type ReservationCancelledData = z.infer<typeof ReservationCancelledDataSchema>;

export const ReservationDatesChangedDataSchema = z.object({
  reservationId: ReservationIdSchema,
  checkInDate: CalendarDateSchema,
  nights: NightsSchema,
});
export type ReservationDatesChangedData = z.infer<typeof ReservationDatesChangedDataSchema>;

export const ReservationCreated = defineEvent('ReservationCreated', ReservationCreatedDataSchema);
export const ReservationConfirmed = defineEvent('ReservationConfirmed', ReservationConfirmedDataSchema);
export const ReservationCancelled = defineEvent('ReservationCancelled', ReservationCancelledDataSchema);
export const ReservationDatesChanged = defineEvent('ReservationDatesChanged', ReservationDatesChangedDataSchema);

/** Every reservation event; give it to the store (`catalog`) so appends are validated and reads upcast. */
export const reservationEvents = createEventCatalog([
  ReservationCreated,
  ReservationConfirmed,
  ReservationCancelled,
  ReservationDatesChanged,
]);

/** `{ type, data }` union of the reservation events. */
export type ReservationEvent = EventOf<typeof reservationEvents>;
export type ReservationEventType = EventTypeOf<typeof reservationEvents>;
/** A recorded reservation event, narrowed per type. */
export type RecordedReservationEvent = RecordedEventOf<typeof reservationEvents>;
