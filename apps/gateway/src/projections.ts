import { createLiveTables, projectionTableName, type LiveTables } from '@eventfold/projector';
import { sql } from 'drizzle-orm';
import type { GatewayDatabase } from './db/database';
import { queryRows } from './db/query';
import { reservationsProjection, reservationsTable, type ReservationsTable, RESERVATIONS_PROJECTION } from './read-models/reservations';
import { ROOM_OCCUPANCY_PROJECTION, roomOccupancyProjection } from './read-models/room-occupancy';

/**
 * Every projection of the gateway. `inline` ones run in the append's transaction (the read model a
 * client reads next, with the double-booking guard); `async` ones follow the feed in the projector.
 */
export function gatewayProjections(schema: string) {
  const reservations = reservationsProjection(schema);
  const roomOccupancy = roomOccupancyProjection(schema);
  return {
    reservations,
    roomOccupancy,
    inline: [reservations] as const,
    async: [roomOccupancy] as const,
    all: [reservations, roomOccupancy] as const,
    names: [RESERVATIONS_PROJECTION, ROOM_OCCUPANCY_PROJECTION] as const,
  };
}

export type GatewayProjections = ReturnType<typeof gatewayProjections>;

/**
 * Query-side table resolution. Inline read models are written at the version in the code, so they
 * are read at that version too. The async `room_occupancy` is read at its live version (blue/green:
 * a new version builds beside the old one and queries switch when it has caught up).
 */
export function readModelTables(db: GatewayDatabase, projections: GatewayProjections, eventStoreSchema: string) {
  const live: LiveTables = createLiveTables({ db, schema: eventStoreSchema });
  const reservations = reservationsTable(
    projections.reservations.schema,
    projectionTableName(projections.reservations, 'reservations'),
  );
  return {
    live,
    reservations: (): ReservationsTable => reservations,
    roomOccupancy: () => live.table(projections.roomOccupancy, 'room_occupancy'),
    /** True when every read-model table exists (migrations and projection setup ran). */
    async exist(): Promise<boolean> {
      const names = [
        projectionTableName(projections.reservations, 'reservations'),
        projectionTableName(projections.reservations, 'room_nights'),
        await live.tableName(projections.roomOccupancy, 'room_occupancy'),
      ];
      const rows = await queryRows<{ n: number }>(
        db,
        sql`select count(*)::int as n from pg_tables
            where schemaname = ${projections.reservations.schema} and tablename in (${sql.join(names.map((n) => sql`${n}`), sql`, `)})`,
      );
      return Number(rows[0]?.n ?? 0) === names.length;
    },
  };
}

export type ReadModelTables = ReturnType<typeof readModelTables>;
