import { defineProjection } from '@eventfold/projector';
import type { ReservationEvent } from '@eventfold/shared-schema/reservation';
import { sql, type SQL } from 'drizzle-orm';
import { RoomUnavailableError } from '../errors';
import { occupiedNights } from '../domain/reservation';

export const ROOM_NIGHTS_PROJECTION = 'room_nights';

/**
 * The double-booking guard, as an inline projection: one row per (room, night) an active reservation
 * holds, with that pair as the primary key. It is written in the append's transaction, so when two
 * requests want the same room and night, the second insert waits for the first transaction and then
 * fails; the failure rolls back its append too, and surfaces as {@link RoomUnavailableError}.
 * Cancelling frees the nights; changing dates swaps them in the same transaction.
 */
export function roomNightsProjection(schema: string) {
  return defineProjection<ReservationEvent>({
    name: ROOM_NIGHTS_PROJECTION,
    version: 1,
    schema,
    tables: ['room_nights'],
    setup: async (ctx) => {
      const name = ctx.tableName('room_nights');
      await ctx.tx.execute(sql`create table if not exists ${ctx.table('room_nights')} (
        room_id uuid not null,
        night date not null,
        reservation_id uuid not null,
        constraint ${sql.identifier(`${name}_pkey`)} primary key (room_id, night)
      )`);
      await ctx.tx.execute(
        sql`create index if not exists ${sql.identifier(`${name}_reservation_idx`)} on ${ctx.table('room_nights')} (reservation_id)`,
      );
    },
    handlers: {
      ReservationCreated: async (event, ctx) => {
        const { roomId, checkInDate, nights, reservationId } = event.data;
        await holdNights(ctx.tx, ctx.table('room_nights'), {
          roomId,
          checkInDate,
          nights,
          reservationId,
        });
      },
      ReservationCancelled: async (event, ctx) => {
        await ctx.tx.execute(sql`delete from ${ctx.table('room_nights')} where reservation_id = ${event.data.reservationId}`);
      },
      ReservationDatesChanged: async (event, ctx) => {
        const { reservationId, checkInDate, nights } = event.data;
        const released = await ctx.tx.execute(
          sql`delete from ${ctx.table('room_nights')} where reservation_id = ${reservationId} returning room_id`,
        );
        const roomId = (released as { rows: Array<{ room_id: string }> }).rows[0]?.room_id;
        // No rows: the reservation holds no nights (cancelled), so there is nothing to move.
        if (roomId === undefined) return;
        await holdNights(ctx.tx, ctx.table('room_nights'), {
          roomId,
          checkInDate,
          nights,
          reservationId,
        });
      },
    },
  });
}

async function holdNights(
  tx: { execute(query: SQL): PromiseLike<unknown> },
  table: SQL,
  stay: { readonly roomId: string; readonly checkInDate: string; readonly nights: number; readonly reservationId: string },
): Promise<void> {
  const rows = occupiedNights(stay.checkInDate, stay.nights).map((night) => sql`(${stay.roomId}, ${night}, ${stay.reservationId})`);
  // A night held by another active reservation is skipped by the conditional update, so fewer rows
  // come back than nights asked for. A concurrent insert of the same night waits for the other
  // transaction first, which is what makes 200 simultaneous requests give exactly one success.
  // Re-inserting this reservation's own nights (a replay) is kept as is.
  const result = await tx.execute(sql`insert into ${table} (room_id, night, reservation_id) values ${sql.join(rows, sql`, `)}
    on conflict (room_id, night) do update set reservation_id = excluded.reservation_id
    where ${table}.reservation_id = excluded.reservation_id
    returning night`);
  const held = (result as { rows?: unknown[] }).rows?.length ?? 0;
  if (held < stay.nights) throw new RoomUnavailableError(stay.roomId, stay.checkInDate, stay.nights);
}
