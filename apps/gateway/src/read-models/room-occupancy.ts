import { defineProjection } from '@eventfold/projector';
import type { ReservationEvent } from '@eventfold/shared-schema/reservation';
import { sql, type SQL } from 'drizzle-orm';
import { occupiedNights } from '../domain/reservation';

export const ROOM_OCCUPANCY_PROJECTION = 'room_occupancy';

/**
 * Read model `room_occupancy`: per night, which rooms are held and by which reservation, with its
 * status. It is the projector's live (asynchronous) example: it follows the global feed from a
 * checkpoint, so it lags the writes slightly, and it can be rebuilt from the log at any time.
 * Keyed by (night, reservation): rows of different reservations never collide, whatever order the
 * feed delivers their events in.
 */
export function roomOccupancyProjection(schema: string) {
  return defineProjection<ReservationEvent>({
    name: ROOM_OCCUPANCY_PROJECTION,
    version: 1,
    schema,
    tables: ['room_occupancy'],
    setup: async (ctx) => {
      const name = ctx.tableName('room_occupancy');
      await ctx.tx.execute(sql`create table if not exists ${ctx.table('room_occupancy')} (
        night date not null,
        reservation_id uuid not null,
        room_id uuid not null,
        status text not null,
        constraint ${sql.identifier(`${name}_pkey`)} primary key (night, reservation_id)
      )`);
      await ctx.tx.execute(
        sql`create index if not exists ${sql.identifier(`${name}_room_idx`)} on ${ctx.table('room_occupancy')} (room_id, night)`,
      );
    },
    handlers: {
      ReservationCreated: async (event, ctx) => {
        const { reservationId, roomId, checkInDate, nights } = event.data;
        await occupy(ctx.tx, ctx.table('room_occupancy'), { reservationId, roomId, checkInDate, nights, status: 'PENDING' });
      },
      ReservationConfirmed: async (event, ctx) => {
        await ctx.tx.execute(
          sql`update ${ctx.table('room_occupancy')} set status = 'CONFIRMED' where reservation_id = ${event.data.reservationId}`,
        );
      },
      ReservationCancelled: async (event, ctx) => {
        await ctx.tx.execute(sql`delete from ${ctx.table('room_occupancy')} where reservation_id = ${event.data.reservationId}`);
      },
      ReservationDatesChanged: async (event, ctx) => {
        const { reservationId, checkInDate, nights } = event.data;
        const table = ctx.table('room_occupancy');
        const result = await ctx.tx.execute(
          sql`delete from ${table} where reservation_id = ${reservationId} returning room_id, status`,
        );
        const held = (result as { rows: Array<{ room_id: string; status: string }> }).rows[0];
        if (held === undefined) return; // cancelled: occupies nothing
        await occupy(ctx.tx, table, { reservationId, roomId: held.room_id, checkInDate, nights, status: held.status });
      },
    },
  });
}

async function occupy(
  tx: { execute(query: SQL): PromiseLike<unknown> },
  table: SQL,
  stay: { reservationId: string; roomId: string; checkInDate: string; nights: number; status: string },
): Promise<void> {
  const rows = occupiedNights(stay.checkInDate, stay.nights).map(
    (night) => sql`(${night}, ${stay.reservationId}, ${stay.roomId}, ${stay.status})`,
  );
  await tx.execute(sql`insert into ${table} (night, reservation_id, room_id, status) values ${sql.join(rows, sql`, `)}
    on conflict (night, reservation_id) do nothing`);
}
