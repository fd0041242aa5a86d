import type { ProjectionContext } from '@eventfold/projector';
import { sql, type SQL } from 'drizzle-orm';
import { occupiedNights } from '../domain/reservation';
import { RoomUnavailableError } from '../errors';

// The double-booking guard: table `room_nights`, one row per (room, night) an active reservation
// holds, with that pair as the primary key. The `reservations` inline projection writes it in the
// append's transaction (see reservations.ts), so when two requests want the same room and night,
// the second insert waits for the first transaction and then finds the night taken; it throws
// RoomUnavailableError, and its append rolls back with it. Cancelling frees the nights; changing
// dates swaps them in the same transaction.

export interface Stay {
  readonly reservationId: string;
  readonly roomId: string;
  readonly checkInDate: string;
  readonly nights: number;
}

export async function setupRoomNights(ctx: ProjectionContext): Promise<void> {
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
}

/**
 * Takes the stay's nights, or throws {@link RoomUnavailableError} when another reservation holds
 * one. `alongside` is a data-modifying statement (the read-model write) run in the same statement as
 * a CTE, to save a round trip.
 */
export async function holdNights(ctx: ProjectionContext, stay: Stay, alongside?: SQL): Promise<void> {
  const table = ctx.table('room_nights');
  const rows = nightRows(stay);
  // A night held by another reservation is skipped by the conditional update, so fewer rows come
  // back than nights asked for. A concurrent insert of the same night waits for the other
  // transaction first: that is what makes simultaneous requests give exactly one success.
  // Re-inserting this reservation's own nights (a replay) keeps them.
  const result = await ctx.tx.execute(sql`${alongside === undefined ? sql`` : sql`with alongside as (${alongside}) `}
    insert into ${table} (room_id, night, reservation_id) values ${sql.join(rows, sql`, `)}
    on conflict (room_id, night) do update set reservation_id = excluded.reservation_id
    where ${table}.reservation_id = excluded.reservation_id
    returning night`);
  const held = (result as { rows?: unknown[] }).rows?.length ?? 0;
  if (held < stay.nights) throw new RoomUnavailableError(stay.roomId, stay.checkInDate, stay.nights);
}

/** The stay's `(room_id, night, reservation_id)` rows, for a VALUES list. */
function nightRows(stay: Stay): SQL[] {
  return occupiedNights(stay.checkInDate, stay.nights).map((night) => sql`(${stay.roomId}::uuid, ${night}::date, ${stay.reservationId}::uuid)`);
}

/**
 * Takes a new reservation's nights as a write beside its append (store-postgres `alongside`): a
 * plain insert, so a night another reservation holds fails the whole statement with a unique
 * violation of the table's primary key (see {@link isNightTaken}), and nothing of the create is
 * written. A concurrent insert of the same night waits for the other transaction first.
 */
export function holdNewNights(table: SQL, stay: Stay): SQL {
  // The nights go as one array parameter: the statement's text is the same for every stay, so the
  // store prepares it once per connection.
  const nights = sql.param(occupiedNights(stay.checkInDate, stay.nights));
  return sql`insert into ${table} (room_id, night, reservation_id)
    select ${stay.roomId}::uuid, night, ${stay.reservationId}::uuid from unnest(${nights}::date[]) as night`;
}

/** The error {@link holdNewNights} fails with when a night is taken (`tableName`: the physical room_nights table). */
export function isNightTaken(error: unknown, tableName: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null || e.code !== '23505') return false;
  const constraint = `${tableName}_pkey`;
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(`"${constraint}"`));
}

/** Frees every night of a reservation; resolves the room it held (undefined when it held none). */
export async function releaseNights(ctx: ProjectionContext, reservationId: string, alongside?: SQL): Promise<string | undefined> {
  const result = await ctx.tx.execute(sql`${alongside === undefined ? sql`` : sql`with alongside as (${alongside}) `}
    delete from ${ctx.table('room_nights')} where reservation_id = ${reservationId} returning room_id`);
  return (result as { rows?: Array<{ room_id: string }> }).rows?.[0]?.room_id;
}
