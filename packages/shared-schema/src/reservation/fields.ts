import { z } from 'zod';

export const MIN_NIGHTS = 1;
export const MAX_NIGHTS = 30;

/** Reservation, guest and room ids are UUIDs. */
export const ReservationIdSchema = z.uuid({ error: 'must be a UUID' });
export const GuestIdSchema = z.uuid({ error: 'must be a UUID' });
export const RoomIdSchema = z.uuid({ error: 'must be a UUID' });

export const GuestNameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(200, { error: 'must be at most 200 characters' });

/** A real calendar date as `YYYY-MM-DD` (`2026-02-30` and `2026-2-1` are refused; leap years count). */
export const CalendarDateSchema = z.iso.date({ error: 'must be a real calendar date as YYYY-MM-DD' });

export const NightsSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number of nights' })
  .min(MIN_NIGHTS, { error: `must be at least ${MIN_NIGHTS}` })
  .max(MAX_NIGHTS, { error: `must be at most ${MAX_NIGHTS}` });

export const CancellationReasonSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, { error: 'must not be empty' })
  .max(500, { error: 'must be at most 500 characters' });

/** An instant as ISO-8601 with a zone (`2026-12-01T14:00:00Z`, `...+02:00`). */
export const InstantSchema = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time with a zone' });
