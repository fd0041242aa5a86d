import type { SqlClient } from './driver';
import type { StoreStatements } from './statements';

/** The open transaction that holds the xmin horizon back, as far as pg_stat_activity shows it. */
export interface HorizonBlocker {
  /** Backend process id (null for a prepared transaction). */
  readonly pid: number | null;
  /** The database it runs in (this one, or unknown: a transaction whose database is not visible counts). */
  readonly database: string | null;
  readonly applicationName: string | null;
  /** `active`, `idle in transaction`, ... or `prepared` for a two-phase-commit transaction. */
  readonly state: string | null;
  readonly transactionStartedAt: Date | null;
  /** How long it has been open, in ms. */
  readonly ageMs: number | null;
  /** True for a prepared (two-phase) transaction waiting for COMMIT PREPARED / ROLLBACK PREPARED. */
  readonly prepared: boolean;
}

/**
 * How far readers of the feed are held back. `readAll` returns only events of transactions older
 * than every transaction still open in this database (`xmin`), so one long transaction pauses every
 * reader until it ends; this says which one and what waits behind it. Transactions that provably
 * run in another database of the server are ignored (they cannot write the events table).
 */
export interface ReadHorizon {
  /**
   * The readers' horizon: events of transactions at or above this id are not readable yet. Like
   * `pg_snapshot_xmin(pg_current_snapshot())`, but without transactions of other databases.
   */
  readonly xmin: number;
  /** Committed events readers cannot see yet because an older transaction is still open. */
  readonly eventsWaiting: number;
  /** When the oldest of those events occurred (null when none wait). */
  readonly oldestWaitingSince: Date | null;
  /** The transaction holding the horizon, when one is visible (null when none, or not visible to this role). */
  readonly blocker: HorizonBlocker | null;
}

interface HorizonRow {
  readonly xmin: string;
  readonly events_waiting: string;
  readonly oldest_waiting_ms: number | null;
  readonly pid: number | null;
  readonly database: string | null;
  readonly application_name: string | null;
  readonly state: string | null;
  readonly started_ms: number | null;
  readonly age_ms: number | null;
  readonly prepared: boolean | null;
}

export async function readHorizon(client: SqlClient, statements: StoreStatements): Promise<ReadHorizon> {
  const [row] = await client.query<HorizonRow>(statements.horizon);
  if (row === undefined) throw new Error('the horizon query returned no row');
  const blocker: HorizonBlocker | null =
    row.prepared === null
      ? null
      : {
          pid: row.pid,
          database: row.database,
          applicationName: row.application_name,
          state: row.state,
          transactionStartedAt: row.started_ms === null ? null : new Date(row.started_ms),
          ageMs: row.age_ms === null ? null : Math.round(row.age_ms),
          prepared: row.prepared,
        };
  return {
    xmin: Number(row.xmin),
    eventsWaiting: Number(row.events_waiting),
    oldestWaitingSince: row.oldest_waiting_ms === null ? null : new Date(row.oldest_waiting_ms),
    blocker,
  };
}
