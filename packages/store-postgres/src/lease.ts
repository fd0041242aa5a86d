import { randomUUID } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { assertValidSchemaName } from './schema-name';

/**
 * Minimal shape of a Drizzle database or transaction on node-postgres or PGlite: both answer
 * `execute(sql)` with `{ rows }`.
 */
export interface SqlExecutor {
  execute(query: SQL): PromiseLike<{ rows: unknown[] }>;
}

export interface LeaseOptions {
  /** Drizzle database (node-postgres or PGlite). */
  readonly db: SqlExecutor;
  /** Postgres schema holding the `leases` table. Default `eventfold`. */
  readonly schema?: string;
  /** What is being led: one active holder per name across all processes (`projection:reservations`). */
  readonly name: string;
  /** This holder's id. Default: a random UUID per lease object. */
  readonly ownerId?: string;
  /** How long a lease lives without a heartbeat. Default 10 000 ms. */
  readonly ttlMs?: number;
}

export interface LeaseState {
  readonly name: string;
  readonly ownerId: string;
  /** Increases by one on every change of holder: a fencing token. */
  readonly token: number;
  readonly expiresAt: Date;
}

/**
 * A lease row guarded by an advisory lock: at most one holder per name, taken over by another
 * process once the holder stops renewing it for `ttlMs`.
 */
export interface Lease {
  readonly name: string;
  readonly ownerId: string;
  readonly ttlMs: number;
  /** Takes the lease if it is free, expired or already ours. Resolves whether we hold it now. */
  tryAcquire(): Promise<boolean>;
  /** Extends our lease. Resolves false (and forgets it) when another holder took it over. */
  renew(): Promise<boolean>;
  /**
   * Inside a write transaction: locks the lease row and throws {@link LeaseLostError} unless we
   * still hold an unexpired lease. A takeover then waits for our commit, so a runner that lost its
   * lease can never commit a write after the new holder started.
   */
  assertHeld(tx: SqlExecutor): Promise<void>;
  /** Gives the lease up (a graceful stop), so another process can take over at once. */
  release(): Promise<void>;
  /** Whether the last acquire/renew succeeded. */
  readonly held: boolean;
  /** The current holder as stored, if any. */
  inspect(): Promise<LeaseState | undefined>;
}

export class LeaseLostError extends Error {
  readonly code = 'EVENTFOLD_LEASE_LOST' as const;
  override readonly name = 'LeaseLostError';
  constructor(
    readonly leaseName: string,
    readonly ownerId: string,
  ) {
    super(
      `Lease "${leaseName}" is no longer held by ${ownerId} (expired or taken over); this runner must stop writing.`,
    );
  }
}

export const isLeaseLostError = (error: unknown): error is LeaseLostError =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EVENTFOLD_LEASE_LOST';

function leaseTable(schema: string): SQL {
  assertValidSchemaName(schema);
  return sql`${sql.identifier(schema)}.${sql.identifier('leases')}`;
}

const ensured = new WeakMap<object, Set<string>>();

async function ensureLeaseTable(db: SqlExecutor, schema: string): Promise<void> {
  const done = ensured.get(db) ?? new Set<string>();
  if (done.has(schema)) return;
  await db.execute(sql`create schema if not exists ${sql.identifier(schema)}`);
  await db.execute(sql`create table if not exists ${leaseTable(schema)} (
    name text primary key,
    owner_id text not null,
    token bigint not null,
    acquired_at timestamptz not null default now(),
    renewed_at timestamptz not null default now(),
    expires_at timestamptz not null
  )`);
  done.add(schema);
  ensured.set(db, done);
}

interface LeaseRow {
  name: string;
  owner_id: string;
  token: string | number;
  expires_at: string | Date;
}

export function createLease(options: LeaseOptions): Lease {
  const schema = options.schema ?? 'eventfold';
  const table = leaseTable(schema);
  const ownerId = options.ownerId ?? randomUUID();
  const ttlMs = options.ttlMs ?? 10_000;
  if (!Number.isInteger(ttlMs) || ttlMs < 100) throw new Error(`ttlMs must be an integer >= 100, got ${ttlMs}`);
  const { db, name } = options;
  let token: number | undefined;
  const ttl = sql`(${ttlMs}::int * interval '1 millisecond')`;

  return {
    name,
    ownerId,
    ttlMs,
    get held() {
      return token !== undefined;
    },
    async tryAcquire() {
      await ensureLeaseTable(db, schema);
      // The upsert only wins when the row is free, expired, or ours; the xact advisory lock keeps
      // two racing acquirers from both reading "expired" on a row being created concurrently.
      const { rows } = await db.execute(sql`with lock as (select pg_advisory_xact_lock(hashtext(${`eventfold.lease:${schema}.${name}`})))
        insert into ${table} (name, owner_id, token, expires_at)
        select ${name}, ${ownerId}, 1, now() + ${ttl} from lock
        on conflict (name) do update
          set owner_id = excluded.owner_id,
              token = case when ${table}.owner_id = excluded.owner_id then ${table}.token else ${table}.token + 1 end,
              acquired_at = case when ${table}.owner_id = excluded.owner_id then ${table}.acquired_at else now() end,
              renewed_at = now(),
              expires_at = excluded.expires_at
          where ${table}.owner_id = excluded.owner_id or ${table}.expires_at < now()
        returning token`);
      const row = rows[0] as { token: string | number } | undefined;
      token = row === undefined ? undefined : Number(row.token);
      return token !== undefined;
    },
    async renew() {
      if (token === undefined) return false;
      const { rows } = await db.execute(sql`update ${table}
        set expires_at = now() + ${ttl}, renewed_at = now()
        where name = ${name} and owner_id = ${ownerId} and token = ${token} and expires_at >= now()
        returning token`);
      if (rows.length === 0) token = undefined;
      return token !== undefined;
    },
    async assertHeld(tx) {
      if (token === undefined) throw new LeaseLostError(name, ownerId);
      const { rows } = await tx.execute(sql`select token from ${table}
        where name = ${name} and owner_id = ${ownerId} and token = ${token} and expires_at > now()
        for share`);
      if (rows.length === 0) {
        token = undefined;
        throw new LeaseLostError(name, ownerId);
      }
    },
    async release() {
      if (token === undefined) return;
      await db.execute(sql`update ${table} set expires_at = now() - interval '1 millisecond'
        where name = ${name} and owner_id = ${ownerId} and token = ${token}`);
      token = undefined;
    },
    async inspect() {
      await ensureLeaseTable(db, schema);
      const { rows } = await db.execute(sql`select name, owner_id, token, expires_at from ${table} where name = ${name}`);
      const row = rows[0] as LeaseRow | undefined;
      if (row === undefined) return undefined;
      return { name: row.name, ownerId: row.owner_id, token: Number(row.token), expiresAt: new Date(row.expires_at) };
    },
  };
}
