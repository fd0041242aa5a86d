export {
  MIN_NIGHTS,
  MAX_NIGHTS,
  ReservationIdSchema,
  GuestIdSchema,
  RoomIdSchema,
  GuestNameSchema,
  CalendarDateSchema,
  NightsSchema,
  CancellationReasonSchema,
  InstantSchema,
} from './fields';
export {
  ReservationCreatedDataSchema,
  ReservationConfirmedDataSchema,
  ReservationCancelledDataSchema,
  ReservationDatesChangedDataSchema,
  ReservationCreated,
  ReservationConfirmed,
  ReservationCancelled,
  ReservationDatesChanged,
  reservationEvents,
} from './events';
export type {
  ReservationCreatedData,
  ReservationConfirmedData,
  ReservationCancelledData,
  ReservationDatesChangedData,
  ReservationEvent,
  ReservationEventType,
  RecordedReservationEvent,
} from './events';
export {
  CreateReservationCommandSchema,
  ConfirmReservationCommandSchema,
  CancelReservationCommandSchema,
  ChangeReservationDatesCommandSchema,
} from './commands';
export type {
  CreateReservationCommand,
  ConfirmReservationCommand,
  CancelReservationCommand,
  ChangeReservationDatesCommand,
} from './commands';
export { ReservationStatusSchema, ReservationStatus, ReservationSchema } from './model';
export type { Reservation } from './model';
