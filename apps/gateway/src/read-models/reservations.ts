import { defineProjection, projectionTableName, type Projection } from '@eventfold/projector';
import type { RecordedEvent } from '@eventfold/core';
import type { ReservationCreatedData, ReservationEvent } from '@eventfold/shared-schema/reservation';
import type { ReservationView } from '../http/schemas';
import { sql, type SQL } from 'drizzle-orm';
import { date, integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { checkOutDate } from '../domain/reservation';
import { holdNewNights, holdNights, isNightTaken, releaseNights, setupRoomNights } from './room-nights';

export const RESERVATIONS_PROJECTION = 'reservations';

/**
 * Inline projection `reservations`, written in the append's transaction:
 * - table `reservations`, the read model: one row per reservation, so a GET right after a write
 *   already sees it. Updates carry the event's stream version and only apply to an older row, so
 *   replays and rebuilds are idempotent;
 * - table `room_nights`, the double-booking guard (see room-nights.ts).
 * Each event is one statement: the read-model write rides along the guard's as a CTE.
 */
export function reservationsProjection(schema: string) {
  return defineProjection<ReservationEvent>({
    name: RESERVATIONS_PROJECTION,
    version: 1,
    schema,
    tables: ['reservations', 'room_nights'],
    setup: async (ctx) => {
      const table = ctx.table('reservations');
      const name = ctx.tableName('reservations');
      await ctx.tx.execute(sql`create table if not exists ${table} (
        id uuid primary key,
        guest_id uuid not null,
        guest_name text not null,
        room_id uuid not null,
        check_in_date date not null,
        check_out_date date not null,
        nights integer not null,
        status text not null,
        cancellation_reason text,
        confirmed_at timestamptz,
        version integer not null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
      for (const [suffix, columns] of [
        ['check_in_idx', sql`(check_in_date, id)`],
        ['guest_idx', sql`(guest_id, check_in_date, id)`],
        ['room_idx', sql`(room_id, check_in_date, id)`],
        ['status_idx', sql`(status, check_in_date, id)`],
      ] as const) {
        await ctx.tx.execute(sql`create index if not exists ${sql.identifier(`${name}_${suffix}`)} on ${table} ${columns}`);
      }
      await setupRoomNights(ctx);
    },
    handlers: {
      ReservationCreated: async (event, ctx) => {
        const at = sql`${event.occurredAt.toISOString()}::timestamptz`;
        await holdNights(
          ctx,
          event.data,
          sql`${insertCreated(ctx.table('reservations'), event.data, { version: sql`${event.version}::int`, at })} on conflict (id) do nothing`,
        );
      },
      ReservationConfirmed: async (event, ctx) => {
        const confirmedAt = event.data.confirmedAt ?? event.occurredAt.toISOString();
        await ctx.tx.execute(sql`update ${ctx.table('reservations')}
          set status = 'CONFIRMED', confirmed_at = ${confirmedAt}, version = ${event.version},
              updated_at = ${event.occurredAt.toISOString()}
          where id = ${event.data.reservationId} and version < ${event.version}`);
      },
      ReservationCancelled: async (event, ctx) => {
        await releaseNights(
          ctx,
          event.data.reservationId,
          sql`update ${ctx.table('reservations')}
            set status = 'CANCELLED', cancellation_reason = ${event.data.reason}, version = ${event.version},
                updated_at = ${event.occurredAt.toISOString()}
            where id = ${event.data.reservationId} and version < ${event.version}`,
        );
      },
      ReservationDatesChanged: async (event, ctx) => {
        const d = event.data;
        const update = sql`update ${ctx.table('reservations')}
          set check_in_date = ${d.checkInDate}, check_out_date = ${checkOutDate(d.checkInDate, d.nights)}, nights = ${d.nights},
              version = ${event.version}, updated_at = ${event.occurredAt.toISOString()}
          where id = ${d.reservationId} and version < ${event.version}`;
        // Release first (its own statement: a statement cannot see its own CTE's deletes), then take.
        const roomId = await releaseNights(ctx, d.reservationId);
        if (roomId === undefined) {
          // Holds no nights (cancelled): only the read model changes.
          await ctx.tx.execute(update);
          return;
        }
        await holdNights(ctx, { reservationId: d.reservationId, roomId, checkInDate: d.checkInDate, nights: d.nights }, update);
      },
    },
  });
}

/** The read-model row of a new reservation; `version` and `at` come from the event (values, or columns of `from`). */
function insertCreated(table: SQL, d: ReservationCreatedData, source: { version: SQL; at: SQL; from?: SQL }): SQL {
  return sql`insert into ${table}
      (id, guest_id, guest_name, room_id, check_in_date, check_out_date, nights, status, version, created_at, updated_at)
    select ${d.reservationId}::uuid, ${d.guestId}::uuid, ${d.guestName}::text, ${d.roomId}::uuid, ${d.checkInDate}::date,
           ${checkOutDate(d.checkInDate, d.nights)}::date, ${d.nights}::int, 'PENDING', ${source.version}, ${source.at}, ${source.at}
    ${source.from ?? sql``}`;
}

/**
 * The `reservations` inline projection of a new reservation as writes that run in the create's own
 * statement (store-postgres `alongside`): the read-model row, from the appended event, and the
 * nights of the double-booking guard. This is what the projection's ReservationCreated handler
 * writes, in one round trip instead of a transaction of four.
 */
export interface InlineCreate {
  writes(data: ReservationCreatedData): readonly SQL[];
  /** The error `writes` fail with when another reservation holds one of the nights. */
  isRoomTaken(error: unknown): boolean;
}

export function inlineCreate(projection: Projection): InlineCreate {
  const table = (logical: string) =>
    sql`${sql.identifier(projection.schema)}.${sql.identifier(projectionTableName(projection, logical))}`;
  const reservations = table('reservations');
  const roomNights = table('room_nights');
  const roomNightsName = projectionTableName(projection, 'room_nights');
  return {
    writes: (data) => [
      insertCreated(reservations, data, {
        version: sql`a.version`,
        at: sql`a.occurred_at`,
        from: sql`from appended a where a.type = 'ReservationCreated'`,
      }),
      holdNewNights(roomNights, data),
    ],
    isRoomTaken: (error) => isNightTaken(error, roomNightsName),
  };
}

/** Drizzle definition of one physical version of the `reservations` table, for queries. */
export function reservationsTable(schema: string, physicalName: string) {
  return pgSchema(schema).table(physicalName, {
    id: uuid('id').primaryKey(),
    guestId: uuid('guest_id').notNull(),
    guestName: text('guest_name').notNull(),
    roomId: uuid('room_id').notNull(),
    checkInDate: date('check_in_date', { mode: 'string' }).notNull(),
    checkOutDate: date('check_out_date', { mode: 'string' }).notNull(),
    nights: integer('nights').notNull(),
    status: text('status').$type<'PENDING' | 'CONFIRMED' | 'CANCELLED'>().notNull(),
    cancellationReason: text('cancellation_reason'),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  });
}

export type ReservationsTable = ReturnType<typeof reservationsTable>;

/**
 * The row the projection writes for a `ReservationCreated` event, as the API shows it. The create
 * path answers with it instead of reading the row back (one round trip less); the API tests check
 * that it equals what GET returns.
 */
export function viewOfCreated(event: RecordedEvent<'ReservationCreated', ReservationCreatedData>): ReservationView {
  const d = event.data;
  const at = event.occurredAt.toISOString();
  return {
    id: d.reservationId,
    guestId: d.guestId,
    guestName: d.guestName,
    roomId: d.roomId,
    checkInDate: d.checkInDate,
    checkOutDate: checkOutDate(d.checkInDate, d.nights),
    nights: d.nights,
    status: 'PENDING',
    cancellationReason: null,
    confirmedAt: null,
    version: event.version,
    createdAt: at,
    updatedAt: at,
  };
}
