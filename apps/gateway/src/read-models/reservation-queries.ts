import { and, asc, eq, gt, lt, sql, type SQL } from 'drizzle-orm';
import { InvalidCursorError } from '../errors';
import type { ListReservationsQuery, ReservationView } from '../http/schemas';
import type { GatewayDatabase } from '../db/database';
import type { ReservationsTable } from './reservations';

type Row = ReservationsTable['$inferSelect'];

export function toReservationView(row: Row): ReservationView {
  return {
    id: row.id,
    guestId: row.guestId,
    guestName: row.guestName,
    roomId: row.roomId,
    checkInDate: row.checkInDate,
    checkOutDate: row.checkOutDate,
    nights: row.nights,
    status: row.status,
    cancellationReason: row.cancellationReason,
    confirmedAt: row.confirmedAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Opaque cursor: the (check-in date, id) of the last row of a page, as base64url JSON. */
export function encodeCursor(row: { readonly checkInDate: string; readonly id: string }): string {
  return Buffer.from(JSON.stringify([row.checkInDate, row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): { readonly checkInDate: string; readonly id: string } {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw new InvalidCursorError(cursor);
  const [checkInDate, id] = decoded as unknown[];
  if (typeof checkInDate !== 'string' || !DATE.test(checkInDate) || Number.isNaN(Date.parse(checkInDate))) {
    throw new InvalidCursorError(cursor);
  }
  if (typeof id !== 'string' || !UUID.test(id)) throw new InvalidCursorError(cursor);
  return { checkInDate, id };
}

/**
 * Queries over the `reservations` read model (never the event log). `table` gives the physical
 * table of the version that currently serves queries. `get` takes an optional transaction, to read
 * a row written earlier in the same transaction.
 */
export function createReservationQueries(db: GatewayDatabase, table: () => ReservationsTable) {
  return {
    async get(id: string, tx: GatewayDatabase = db): Promise<ReservationView | undefined> {
      const t = table();
      const [row] = await tx.select().from(t).where(eq(t.id, id)).limit(1);
      return row === undefined ? undefined : toReservationView(row);
    },

    /** Ordered by (check-in date, id); `from`/`to` keep stays with a night in [from, to). */
    async list(query: ListReservationsQuery): Promise<{ items: ReservationView[]; nextCursor: string | null }> {
      const t = table();
      const conditions: SQL[] = [];
      if (query.status !== undefined) conditions.push(eq(t.status, query.status));
      if (query.guestId !== undefined) conditions.push(eq(t.guestId, query.guestId));
      if (query.roomId !== undefined) conditions.push(eq(t.roomId, query.roomId));
      if (query.from !== undefined) conditions.push(gt(t.checkOutDate, query.from));
      if (query.to !== undefined) conditions.push(lt(t.checkInDate, query.to));
      if (query.cursor !== undefined) {
        const after = decodeCursor(query.cursor);
        conditions.push(sql`(${t.checkInDate}, ${t.id}) > (${after.checkInDate}::date, ${after.id}::uuid)`);
      }
      const rows = await db
        .select()
        .from(t)
        .where(conditions.length === 0 ? undefined : and(...conditions))
        .orderBy(asc(t.checkInDate), asc(t.id))
        .limit(query.limit + 1);
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(toReservationView),
        nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last) : null,
      };
    },
  };
}

export type ReservationQueries = ReturnType<typeof createReservationQueries>;
