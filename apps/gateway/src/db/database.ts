import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Logger } from 'pino';

/** A Drizzle database on node-postgres or PGlite: what the stores and read models are given. */
export type GatewayDatabase = PgDatabase<PgQueryResultHKT>;

export interface OpenedDatabase {
  readonly db: GatewayDatabase;
  readonly kind: 'postgres' | 'pglite';
  /** Where the data lives, safe to log (password removed / folder path). */
  readonly location: string;
  /** Answers `select 1`; false when the database is unreachable. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export class EmbeddedDatabaseLockedError extends Error {
  readonly code = 'GATEWAY_EMBEDDED_DB_LOCKED' as const;
  override readonly name = 'EmbeddedDatabaseLockedError';
  constructor(
    readonly directory: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `The embedded database in ${directory} is in use by process ${pid}${pid === process.pid ? ' (this one)' : ''}. ` +
        'PGlite allows one user at a time: stop that process, or set DATABASE_URL to use a PostgreSQL server ' +
        `that several processes can share. If no gateway is running, delete ${lockFile}.`,
    );
  }
}

export const isEmbeddedDatabaseLockedError = (e: unknown): e is EmbeddedDatabaseLockedError =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'GATEWAY_EMBEDDED_DB_LOCKED';

/** The URL with its password replaced, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

export interface OpenDatabaseOptions {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly poolSize: number;
  readonly logger: Logger;
}

/**
 * `DATABASE_URL` set: a node-postgres pool. Unset: embedded PGlite persisted in `<dataDir>/pglite`,
 * guarded by a lock file so a second process fails clearly instead of corrupting the files.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  if (options.databaseUrl !== undefined) return openServer(options.databaseUrl, options.poolSize, options.logger);
  return openEmbedded(options.dataDir);
}

async function openServer(url: string, poolSize: number, logger: Logger): Promise<OpenedDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'eventfold-gateway',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn({ err: { message: error.message } }, 'idle PostgreSQL connection lost'));
  const db = drizzleNodePg(pool) as unknown as GatewayDatabase;
  return {
    db,
    kind: 'postgres',
    location: redactUrl(url),
    ping: async () => {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => pool.end(),
  };
}

/** Embedded databases open in this process: a second PGlite on the same files would corrupt them. */
const openHere = new Set<string>();

async function openEmbedded(dataDir: string): Promise<OpenedDatabase> {
  const directory = resolve(dataDir, 'pglite');
  const lockFile = join(resolve(dataDir), 'pglite.lock');
  if (openHere.has(directory)) throw new EmbeddedDatabaseLockedError(directory, process.pid, lockFile);
  mkdirSync(directory, { recursive: true });
  takeLock(lockFile, directory);
  openHere.add(directory);
  let client: PGlite;
  try {
    client = await PGlite.create(directory);
  } catch (error) {
    rmSync(lockFile, { force: true });
    openHere.delete(directory);
    throw error;
  }
  let closed = false;
  const db = drizzlePglite(client) as unknown as GatewayDatabase;
  return {
    db,
    kind: 'pglite',
    location: directory,
    ping: async () => {
      if (closed) return false;
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        rmSync(lockFile, { force: true });
        openHere.delete(directory);
      }
    },
  };
}

/** Wraps a PGlite instance someone else owns (tests' in-memory databases); `close()` closes it. */
export function pgliteDatabase(client: PGlite, location = 'in-memory PGlite'): OpenedDatabase {
  const db: GatewayDatabase = drizzlePglite(client);
  return {
    db,
    kind: 'pglite',
    location,
    ping: async () => {
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

function takeLock(lockFile: string, directory: string): void {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(lockFile, 'utf8').trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new EmbeddedDatabaseLockedError(directory, holder, lockFile);
  }
  // A stale lock from a process that died (this process's own open databases are in `openHere`).
  writeFileSync(lockFile, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
