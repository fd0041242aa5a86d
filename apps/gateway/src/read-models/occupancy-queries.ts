import { sql, type SQL } from 'drizzle-orm';
import type { GatewayDatabase } from '../db/database';
import { queryRows } from '../db/query';
import { addDays } from './dates';

export interface OccupancyNight {
  readonly night: string;
  /** Rooms held that night (pending + confirmed). */
  readonly occupied: number;
  readonly pending: number;
  readonly confirmed: number;
}

/**
 * Queries over the asynchronous `room_occupancy` read model: per night in [from, to), how many rooms
 * are held. Nights without any reservation are listed with zeros. `table` resolves the live version.
 */
export function createOccupancyQueries(db: GatewayDatabase, table: () => Promise<SQL>) {
  return {
    async nights(query: { readonly from: string; readonly to: string; readonly roomId?: string | undefined }): Promise<OccupancyNight[]> {
      const t = await table();
      const roomFilter = query.roomId === undefined ? sql`` : sql` and room_id = ${query.roomId}`;
      const rows = await queryRows<{ night: string | Date; pending: string | number; confirmed: string | number }>(
        db,
        sql`select night::text as night,
                   count(*) filter (where status = 'PENDING') as pending,
                   count(*) filter (where status = 'CONFIRMED') as confirmed
            from ${t}
            where night >= ${query.from}::date and night < ${query.to}::date${roomFilter}
            group by night`,
      );
      const byNight = new Map(rows.map((row) => [String(row.night).slice(0, 10), row]));
      const nights: OccupancyNight[] = [];
      for (let night = query.from; night < query.to; night = addDays(night, 1)) {
        const row = byNight.get(night);
        const pending = Number(row?.pending ?? 0);
        const confirmed = Number(row?.confirmed ?? 0);
        nights.push({ night, occupied: pending + confirmed, pending, confirmed });
      }
      return nights;
    },
  };
}

export type OccupancyQueries = ReturnType<typeof createOccupancyQueries>;
