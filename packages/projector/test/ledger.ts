import type { EventStore } from '@eventfold/core';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { defineProjection, type Projection } from '../src/index';

/** The test domain: `Added { amount }` events on `account-*` streams, plus `Noted` noise. */
export type LedgerEvent = { type: 'Added'; data: { amount: number } } | { type: 'Noted'; data: { text: string } };

export interface LedgerOptions {
  readonly name?: string;
  readonly version?: number;
  /** Logical table name (default `ledger`; physical `<table>_v<version>` in schema public). */
  readonly table?: string;
  /** `batch`: one multi-row upsert per batch; `per-event`: one statement per event. */
  readonly mode?: 'batch' | 'per-event';
  /** Sleeps this long per event inside the transaction (to be killed mid-write). */
  readonly slowMs?: number;
  /** Events whose amount makes the handler throw (poison). */
  readonly poison?: (amount: number) => boolean;
}

/**
 * One row per applied `Added` event. `times` counts how often an event was applied, so a double
 * application shows up as 2; `written_by` records the connection's application_name (the runner).
 */
export function ledgerProjection(options: LedgerOptions = {}): Projection<LedgerEvent> {
  const table = options.table ?? 'ledger';
  const shared = {
    name: options.name ?? 'ledger',
    version: options.version ?? 1,
    tables: [table],
    setup: async (ctx: Parameters<NonNullable<Projection['setup']>>[0]) => {
      await ctx.tx.execute(sql`create table if not exists ${ctx.table(table)} (
        event_id uuid primary key,
        stream_id text not null,
        amount integer not null,
        global_position bigint not null,
        times integer not null default 1,
        written_by text not null default current_setting('application_name')
      )`);
    },
  } as const;
  const check = (amount: number): void => {
    if (options.poison?.(amount) === true) throw new Error(`amount ${amount} is poison`);
  };
  if (options.mode === 'per-event') {
    return defineProjection<LedgerEvent>({
      ...shared,
      handlers: {
        Added: async (event, ctx) => {
          check(event.data.amount);
          if (options.slowMs !== undefined) await ctx.tx.execute(sql`select pg_sleep(${options.slowMs / 1000})`);
          await ctx.tx.execute(sql`insert into ${ctx.table(table)} (event_id, stream_id, amount, global_position)
            values (${event.id}, ${event.streamId}, ${event.data.amount}, ${event.globalPosition})
            on conflict (event_id) do update set times = ${ctx.table(table)}.times + 1`);
        },
      },
    });
  }
  return defineProjection<LedgerEvent>({
    ...shared,
    eventTypes: ['Added'],
    batch: async (events, ctx) => {
      const rows = events.flatMap((event) => {
        if (event.type !== 'Added') return [];
        check(event.data.amount);
        return [{ event_id: event.id, stream_id: event.streamId, amount: event.data.amount, global_position: event.globalPosition }];
      });
      if (options.slowMs !== undefined) await ctx.tx.execute(sql`select pg_sleep(${(options.slowMs * rows.length) / 1000})`);
      await ctx.tx.execute(sql`insert into ${ctx.table(table)} (event_id, stream_id, amount, global_position)
        select event_id, stream_id, amount, global_position
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(event_id uuid, stream_id text, amount integer, global_position bigint)
        on conflict (event_id) do update set times = ${ctx.table(table)}.times + 1`);
    },
  });
}

export interface LedgerRow {
  readonly eventId: string;
  readonly amount: number;
  readonly times: number;
  readonly writtenBy: string;
}

export async function readLedger(pool: pg.Pool, table: string): Promise<Map<string, LedgerRow>> {
  const { rows } = await pool.query<{ event_id: string; amount: number; times: number; written_by: string }>(
    `select event_id, amount, times, written_by from ${table}`,
  );
  return new Map(rows.map((r) => [r.event_id, { eventId: r.event_id, amount: r.amount, times: r.times, writtenBy: r.written_by }]));
}

/** The read model as a fold over the whole log: event id -> amount of every `Added` event. */
export async function foldLog(store: EventStore): Promise<Map<string, number>> {
  const amounts = new Map<string, number>();
  let after = { transactionId: 0, position: 0 };
  for (;;) {
    const page = await store.readAll({ after, limit: 5000, types: ['Added'] });
    for (const event of page.events) amounts.set(event.id, (event.data as { amount: number }).amount);
    after = page.checkpoint;
    if (!page.hasMore) return amounts;
  }
}

/** Fails with a readable diff unless the ledger holds exactly the log's events, each applied once. */
export function ledgerMismatches(ledger: Map<string, LedgerRow>, log: Map<string, number>): string[] {
  const problems: string[] = [];
  for (const [eventId, amount] of log) {
    const row = ledger.get(eventId);
    if (row === undefined) problems.push(`missing ${eventId}`);
    else if (row.times !== 1) problems.push(`${eventId} applied ${row.times} times`);
    else if (row.amount !== amount) problems.push(`${eventId} has amount ${row.amount}, log says ${amount}`);
  }
  for (const eventId of ledger.keys()) if (!log.has(eventId)) problems.push(`unknown ${eventId}`);
  return problems.slice(0, 20);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Appends `Added` events (amount = a running number) to `streams` accounts, in transactions of `perTransaction`. */
export async function appendLedger(
  store: EventStore,
  options: { readonly events: number; readonly streams?: number; readonly perTransaction?: number; readonly firstAmount?: number },
): Promise<void> {
  const perTransaction = options.perTransaction ?? 10;
  const streams = options.streams ?? 10;
  for (let done = 0; done < options.events; done += perTransaction) {
    const count = Math.min(perTransaction, options.events - done);
    const events = Array.from({ length: count }, (_, i) => ({ type: 'Added', data: { amount: (options.firstAmount ?? 0) + done + i } }));
    await store.append(`account-${done % streams}`, events);
  }
}
