import {
  CalendarDateSchema,
  CancelReservationCommandSchema,
  ChangeReservationDatesCommandSchema,
  CreateReservationCommandSchema,
  GuestIdSchema,
  ReservationIdSchema,
  ReservationStatusSchema,
  RoomIdSchema,
} from '@eventfold/shared-schema/reservation';
import { z } from 'zod';

// Request and response shapes of the HTTP API. The OpenAPI document at /docs is generated from these.

export const ReservationParamsSchema = z.object({ id: ReservationIdSchema.describe('Reservation id (UUID)') });

export const CreateReservationBodySchema = CreateReservationCommandSchema.meta({
  id: 'CreateReservation',
  description: 'A new reservation; it starts PENDING. `reservationId` is generated when absent.',
});
export const ConfirmReservationBodySchema = z
  .object({})
  .nullish()
  .meta({ id: 'ConfirmReservation', description: 'Empty (or no body).' });
export const CancelReservationBodySchema = CancelReservationCommandSchema.meta({ id: 'CancelReservation' });
export const ChangeDatesBodySchema = ChangeReservationDatesCommandSchema.meta({ id: 'ChangeReservationDates' });

/** A strong entity tag holding a version (`"3"`), or `*`. */
const IF_MATCH = /^(?:\*|"\d{1,15}")$/;

export const WriteHeadersSchema = z.object({
  'if-match': z
    .string()
    .regex(IF_MATCH, { message: 'must be the ETag of a previous response, like "3" (quotes included), or *' })
    .optional()
    .describe('Only apply the change if the reservation is still at this version (the ETag of a GET). Stale: 412.'),
});

/** Idempotency keys: 1-200 visible ASCII characters (a UUID is a good choice). */
export const CreateHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, { message: 'must be 1 to 200 visible ASCII characters, e.g. a UUID' })
    .optional()
    .describe('Repeat the request with the same key and body to get the first result back; nothing is written twice.'),
});

export const ReservationSchema = z
  .object({
    id: z.uuid(),
    guestId: z.uuid(),
    guestName: z.string(),
    roomId: z.uuid(),
    checkInDate: z.string().describe('YYYY-MM-DD'),
    checkOutDate: z.string().describe('YYYY-MM-DD, the morning after the last night'),
    nights: z.number().int(),
    status: ReservationStatusSchema,
    cancellationReason: z.string().nullable(),
    confirmedAt: z.string().nullable().describe('ISO-8601 instant'),
    version: z.number().int().describe('Stream version; the ETag'),
    createdAt: z.string().describe('ISO-8601 instant'),
    updatedAt: z.string().describe('ISO-8601 instant'),
  })
  .meta({ id: 'Reservation' });
export type ReservationView = z.infer<typeof ReservationSchema>;

/** Reservation state folded from the log at a point in time or version. */
export const ReservationAtSchema = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    asOf: z.string().nullable(),
    atVersion: z.number().int().nullable(),
    state: z.object({
      guestId: z.string(),
      guestName: z.string(),
      roomId: z.string(),
      checkInDate: z.string(),
      nights: z.number().int(),
      status: ReservationStatusSchema,
      cancellationReason: z.string().nullable(),
    }),
  })
  .meta({ id: 'ReservationAt', description: 'State folded from the event log (time travel).' });
export type ReservationAtView = z.infer<typeof ReservationAtSchema>;

const isoInstant = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a zone, e.g. 2026-05-01T12:00:00Z' });

export const GetReservationQuerySchema = z
  .object({
    asOf: isoInstant.optional().describe('Fold the log up to this instant'),
    atVersion: z.coerce
      .number({ error: 'must be a positive whole number' })
      .int({ error: 'must be a positive whole number' })
      .min(1, { error: 'must be at least 1' })
      .max(Number.MAX_SAFE_INTEGER, { error: 'is too large' })
      .optional()
      .describe('Fold the log up to this version'),
  })
  .refine((q) => q.asOf === undefined || q.atVersion === undefined, {
    message: 'use either asOf or atVersion, not both',
    path: ['atVersion'],
  });

export const ListReservationsQuerySchema = z
  .object({
    status: ReservationStatusSchema.optional(),
    guestId: GuestIdSchema.optional(),
    roomId: RoomIdSchema.optional(),
    from: CalendarDateSchema.optional().describe('Only reservations with a night on or after this date'),
    to: CalendarDateSchema.optional().describe('Only reservations with a night before this date (exclusive)'),
    limit: z.coerce
      .number({ error: 'must be a whole number from 1 to 200' })
      .int({ error: 'must be a whole number from 1 to 200' })
      .min(1, { error: 'must be at least 1' })
      .max(200, { error: 'must be at most 200' })
      .default(50),
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,300}$/, { message: 'must be a nextCursor value from a previous page' })
      .optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'must be after from',
    path: ['to'],
  });
export type ListReservationsQuery = z.infer<typeof ListReservationsQuerySchema>;

export const ReservationPageSchema = z
  .object({
    items: z.array(ReservationSchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'ReservationPage' });

export const RecordedEventSchema = z
  .object({
    id: z.uuid(),
    type: z.string(),
    version: z.number().int(),
    globalPosition: z.number().int(),
    occurredAt: z.string(),
    data: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'RecordedEvent' });

export const HistorySchema = z
  .object({ reservationId: z.uuid(), version: z.number().int(), events: z.array(RecordedEventSchema) })
  .meta({ id: 'ReservationHistory' });

export const ProblemSchema = z
  .object({
    type: z.string().describe('Stable URI naming the kind of error'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    correlationId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .catchall(z.unknown())
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

export const HealthSchema = z.object({ status: z.literal('ok'), uptimeSeconds: z.number() });
export const ReadySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), detail: z.string().optional() })),
});

/** Common error responses, for the OpenAPI document. */
export const problemResponses = <const TStatus extends number>(...statuses: TStatus[]) =>
  Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<TStatus, typeof ProblemSchema>;

/** At most this many nights per occupancy query. */
export const MAX_OCCUPANCY_NIGHTS = 366;

export const OccupancyQuerySchema = z
  .object({
    from: CalendarDateSchema.describe('First night (inclusive)'),
    to: CalendarDateSchema.describe('Last night (exclusive)'),
    roomId: RoomIdSchema.optional(),
  })
  .refine((q) => q.from < q.to, { message: 'must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= MAX_OCCUPANCY_NIGHTS * 86_400_000, {
    message: `must be at most ${MAX_OCCUPANCY_NIGHTS} nights after from`,
    path: ['to'],
  });

export const OccupancySchema = z
  .object({
    from: z.string(),
    to: z.string(),
    roomId: z.string().nullable(),
    nights: z.array(
      z.object({ night: z.string(), occupied: z.number().int(), pending: z.number().int(), confirmed: z.number().int() }),
    ),
  })
  .meta({
    id: 'Occupancy',
    description: 'From the asynchronous room_occupancy read model: it may lag the latest writes by a few milliseconds.',
  });
