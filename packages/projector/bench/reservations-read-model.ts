import type { ReservationEvent } from '@eventfold/shared-schema/reservation';
import { sql } from 'drizzle-orm';
import { defineProjection, type Projection } from '../src/index';

const RESERVATION_TYPES: ReadonlySet<string> = new Set(['ReservationCreated', 'ReservationConfirmed', 'ReservationCancelled', 'ReservationDatesChanged']);

/** One reservation row as a batch folds it: only the fields the batch's events set. */
interface RowChange {
  id: string;
  created: boolean;
  guest_id?: string;
  guest_name?: string;
  room_id?: string;
  check_in?: string;
  nights?: number;
  status?: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  cancellation_reason?: string;
  confirmed_at?: string;
  version: number;
  updated_at: string;
}

/**
 * The reservation read model with a set-based batch handler: a batch is folded per reservation in
 * memory, then written with one multi-row insert (new reservations) and one multi-row update
 * (changes to existing ones). Replays are idempotent: rows only move to a higher stream version.
 */
export function reservationsReadModel(version = 1): Projection<ReservationEvent> {
  return defineProjection<ReservationEvent>({
    name: 'bench_reservations',
    version,
    tables: ['bench_reservations'],
    setup: async (ctx) => {
      await ctx.tx.execute(sql`create table if not exists ${ctx.table('bench_reservations')} (
        id uuid primary key,
        guest_id uuid,
        guest_name text,
        room_id uuid,
        check_in date,
        nights integer,
        status text not null,
        cancellation_reason text,
        confirmed_at timestamptz,
        version integer not null,
        updated_at timestamptz not null
      ) with (fillfactor = 70)`); // room on each page for HOT updates: most events update a row
    },
    // No eventTypes: the batch gets every event and skips other types itself. An unfiltered feed read
    // is one ordered index scan; a filtered one scans per type and merges.
    batch: async (events, ctx) => {
      const rows = new Map<string, RowChange>();
      for (const event of events) {
        if (!RESERVATION_TYPES.has(event.type)) continue;
        const id = event.data.reservationId;
        const row = rows.get(id) ?? { id, created: false, version: 0, updated_at: '' };
        row.version = event.version;
        row.updated_at = event.occurredAt.toISOString();
        switch (event.type) {
          case 'ReservationCreated':
            Object.assign(row, {
              created: true,
              guest_id: event.data.guestId,
              guest_name: event.data.guestName,
              room_id: event.data.roomId,
              check_in: event.data.checkInDate,
              nights: event.data.nights,
              status: 'PENDING',
            });
            break;
          case 'ReservationConfirmed':
            row.status = 'CONFIRMED';
            row.confirmed_at = event.data.confirmedAt ?? row.updated_at;
            break;
          case 'ReservationCancelled':
            row.status = 'CANCELLED';
            row.cancellation_reason = event.data.reason;
            break;
          case 'ReservationDatesChanged':
            row.check_in = event.data.checkInDate;
            row.nights = event.data.nights;
            break;
        }
        rows.set(id, row);
      }
      const created = [...rows.values()].filter((row) => row.created);
      const changed = [...rows.values()].filter((row) => !row.created);
      const table = ctx.table('bench_reservations');
      // json, not jsonb: the batch is read once, so jsonb's binary form is work for nothing
      // (json_to_recordset over 5,000 rows takes about half the time of jsonb_to_recordset).
      const columns = sql`id uuid, guest_id uuid, guest_name text, room_id uuid, check_in date, nights integer, status text,
        cancellation_reason text, confirmed_at timestamptz, version integer, updated_at timestamptz`;
      if (created.length > 0) {
        await ctx.tx.execute(sql`insert into ${table}
          select * from json_to_recordset(${JSON.stringify(created)}::json) as x(${columns})
          on conflict (id) do nothing`);
      }
      if (changed.length > 0) {
        await ctx.tx.execute(sql`update ${table} as t set
            check_in = coalesce(x.check_in, t.check_in),
            nights = coalesce(x.nights, t.nights),
            status = coalesce(x.status, t.status),
            cancellation_reason = coalesce(x.cancellation_reason, t.cancellation_reason),
            confirmed_at = coalesce(x.confirmed_at, t.confirmed_at),
            version = x.version,
            updated_at = x.updated_at
          from json_to_recordset(${JSON.stringify(changed)}::json) as x(${columns})
          where t.id = x.id and t.version < x.version`);
      }
    },
  });
}
