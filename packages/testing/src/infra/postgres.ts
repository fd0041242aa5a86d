import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import type * as TestcontainersPostgres from '@testcontainers/postgresql';
import { isCi, reportSkip } from './environment';

/** A database for one test file: a fresh database on a real server, or an in-memory PGlite. */
export type TestDatabase =
  | {
      readonly kind: 'server';
      /** Connection string of a freshly created database, dropped by `dispose()`. */
      readonly connectionString: string;
      /** Where the server came from: the `DATABASE_URL` variable or a Testcontainers container. */
      readonly source: 'env' | 'testcontainers';
      dispose(): Promise<void>;
    }
  | {
      readonly kind: 'pglite';
      /** An in-memory PGlite instance (`@electric-sql/pglite`), closed by `dispose()`. */
      readonly pglite: PGlite;
      dispose(): Promise<void>;
    };

interface ServerLocation {
  readonly url: string;
  readonly source: 'env' | 'testcontainers';
}

let serverPromise: Promise<ServerLocation | undefined> | undefined;

/**
 * Finds a PostgreSQL server for tests, in this order: `DATABASE_URL`, then a Testcontainers
 * container (`@testcontainers/postgresql`, when a Docker engine answers). Resolves `undefined`
 * when neither exists; under `CI=true` it rejects instead, so a CI run never silently loses tests.
 * The result is cached for the process.
 */
export function findPostgresServer(): Promise<ServerLocation | undefined> {
  serverPromise ??= locateServer();
  return serverPromise;
}

async function locateServer(): Promise<ServerLocation | undefined> {
  const fromEnv = process.env['DATABASE_URL'];
  if (fromEnv !== undefined && fromEnv !== '') {
    await assertReachable(fromEnv);
    return { url: fromEnv, source: 'env' };
  }
  const container = await startContainer();
  if (container !== undefined) return { url: container, source: 'testcontainers' };
  if (isCi()) {
    throw new Error(
      'CI=true but no PostgreSQL server: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) or run a Docker engine for Testcontainers.',
    );
  }
  return undefined;
}

async function assertReachable(url: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`DATABASE_URL is set but PostgreSQL at ${redact(url)} is unreachable: ${String(error)}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

let containerStop: (() => Promise<unknown>) | undefined;

async function startContainer(): Promise<string | undefined> {
  if (process.env['EVENTFOLD_TESTCONTAINERS'] === 'off') return undefined;
  let module: typeof TestcontainersPostgres;
  try {
    module = await import('@testcontainers/postgresql');
  } catch {
    return undefined;
  }
  try {
    const container = await new module.PostgreSqlContainer('postgres:16-alpine').start();
    containerStop = () => container.stop();
    return container.getConnectionUri();
  } catch {
    // No Docker engine: fall through to PGlite.
    return undefined;
  }
}

/** Stops the Testcontainers container, if this process started one. Call from a global teardown. */
export async function stopPostgresContainer(): Promise<void> {
  await containerStop?.();
  containerStop = undefined;
}

/**
 * A fresh, empty database for one test file: a new database on the server from
 * {@link findPostgresServer}, else an in-memory PGlite. `dispose()` drops or closes it.
 */
export async function createTestDatabase(options: { readonly prefix?: string } = {}): Promise<TestDatabase> {
  const server = await findPostgresServer();
  if (server !== undefined) return createServerDatabase(server, options.prefix);
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite();
  await pglite.waitReady;
  return { kind: 'pglite', pglite, dispose: () => pglite.close() };
}

/**
 * Like {@link createTestDatabase} but only ever a real server (for LISTEN/NOTIFY across
 * connections, several processes, ...). Resolves `undefined` when there is none, after printing
 * why; under `CI=true` it rejects instead. Use with `describe.skipIf(db === undefined)`.
 */
export async function createServerTestDatabase(
  options: { readonly prefix?: string; readonly purpose?: string } = {},
): Promise<Extract<TestDatabase, { kind: 'server' }> | undefined> {
  const server = await findPostgresServer();
  if (server === undefined) {
    reportSkip(`${options.purpose ?? 'this test'} needs a PostgreSQL server: set DATABASE_URL`);
    return undefined;
  }
  return createServerDatabase(server, options.prefix);
}

async function createServerDatabase(
  server: ServerLocation,
  prefix = 'eventfold_test',
): Promise<Extract<TestDatabase, { kind: 'server' }>> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`Invalid database prefix "${prefix}"`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const target = new URL(server.url);
  target.pathname = `/${name}`;
  return {
    kind: 'server',
    connectionString: target.toString(),
    source: server.source,
    dispose: async () => {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The URL with its password replaced, for messages and logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
