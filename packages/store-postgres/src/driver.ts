import { createHash } from 'node:crypto';
import { entityKind, is } from 'drizzle-orm';
import { PgTransaction, type PgDatabase } from 'drizzle-orm/pg-core';
import { UnsupportedDriverError } from './errors';
import { paramTexts, queryTextRows, supportsTextRows, type PgTextRowsClient, type PgTextRowsPool } from './pg-text-rows';

/**
 * A Drizzle database or transaction on node-postgres (`drizzle(pool)`) or PGlite (`drizzle(pglite)`).
 * The query-result and schema generics differ per driver and per app, so they are left open here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Drizzle pg database, whatever its generics
export type EventfoldDatabase = PgDatabase<any, any, any>;

/** The transaction type `db.transaction(fn)` hands to `fn`, for a given Drizzle database type. */
export type TransactionOf<TDb extends EventfoldDatabase> = Parameters<Parameters<TDb['transaction']>[0]>[0];

export type DriverKind = 'node-postgres' | 'pglite';

/** A statement eventfold runs often: node-postgres prepares it once per connection under `name`. */
export interface Statement {
  readonly text: string;
  readonly name?: string;
}

/** One statement text, named after its hash so every distinct text gets its own prepared statement. */
export function preparedStatement(text: string): Required<Statement> {
  return { text, name: `eventfold_${createHash('sha1').update(text).digest('hex').slice(0, 16)}` };
}

/** The driver-level connection behind a Drizzle database or transaction. */
export interface SqlClient {
  readonly driver: DriverKind;
  /** True for a Drizzle transaction: statements run inside it and commit with it. */
  readonly inTransaction: boolean;
  /** Runs one parameterised statement and resolves its rows. */
  query<Row = Record<string, unknown>>(statement: Statement | string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Like `query`, with each row as an array of its columns in select order. The drivers build such
   * rows faster than objects (no property per column): the store reads events this way.
   */
  queryArrays(statement: Statement | string, params?: readonly unknown[]): Promise<unknown[][]>;
  /**
   * Like `queryArrays`, with fewer conversions: on node-postgres a prepared statement whose values
   * all have a text form ({@link paramTexts}) runs as a text-rows query, each column as the
   * server's text (see pg-text-rows.ts). Anything else, and PGlite, runs as `queryArrays` does. For
   * statements whose callers convert their few columns themselves (String, Number).
   */
  queryText(statement: Statement | string, params: readonly unknown[]): Promise<unknown[][]>;
  /**
   * The root connection owner, when it can open a dedicated LISTEN connection: a `pg.Pool`, or the
   * PGlite instance. Undefined inside transactions and for single `pg.Client`s (polling only then).
   */
  readonly listenSource: ListenSource | undefined;
}

export type ListenSource =
  | { readonly driver: 'node-postgres'; readonly pool: PgPoolLike }
  | { readonly driver: 'pglite'; readonly pglite: PgliteLike };

interface PgQueryable {
  query(config: { text: string; values?: unknown[]; name?: string; rowMode?: 'array' }): Promise<{ rows: unknown[] }>;
}

export interface PgPoolLike extends PgQueryable {
  readonly options: Record<string, unknown>;
  readonly Client: new (config: Record<string, unknown>) => PgListenClient;
  connect(): Promise<unknown>;
  readonly totalCount: number;
}

export interface PgListenClient {
  connect(): Promise<unknown>;
  query(text: string | { text: string; values: unknown[]; name?: string }): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners(): unknown;
}

interface PgliteQueryable {
  query(text: string, params?: unknown[], options?: { rowMode?: 'array' | 'object' }): Promise<{ rows: unknown[] }>;
}

export interface PgliteLike extends PgliteQueryable {
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

const clients = new WeakMap<object, SqlClient>();

/** The {@link SqlClient} behind a Drizzle db or transaction; throws {@link UnsupportedDriverError}. */
export function sqlClientOf(db: EventfoldDatabase): SqlClient {
  if (typeof db !== 'object' || db === null) throw new UnsupportedDriverError(describe(db));
  const cached = clients.get(db);
  if (cached !== undefined) return cached;
  const session = (db as { _?: { session?: unknown } })._?.session;
  const kind = sessionKind(session);
  // Drizzle keeps the driver client private on its session; it is the only way to reach the
  // connection a transaction runs on, which eventfold needs for prepared statements and LISTEN.
  const driverClient = (session as { client?: unknown } | undefined)?.client;
  if (kind === undefined || typeof driverClient !== 'object' || driverClient === null) {
    throw new UnsupportedDriverError(describe(db));
  }
  const inTransaction = is(db, PgTransaction);
  const client = kind === 'node-postgres' ? nodePgClient(driverClient as PgQueryable, inTransaction) : pgliteClient(driverClient as PgliteQueryable, inTransaction);
  clients.set(db, client);
  return client;
}

function sessionKind(session: unknown): DriverKind | undefined {
  if (typeof session !== 'object' || session === null) return undefined;
  const kind = (session.constructor as { [entityKind]?: string } | undefined)?.[entityKind];
  if (kind === 'NodePgSession') return 'node-postgres';
  if (kind === 'PgliteSession') return 'pglite';
  return undefined;
}

function nodePgClient(pg: PgQueryable, inTransaction: boolean): SqlClient {
  const pool = !inTransaction && isPool(pg) ? pg : undefined;
  const textRows = !supportsTextRows(pg)
    ? undefined
    : pool !== undefined
      ? { pool: pg as unknown as PgTextRowsPool }
      : { client: pg as unknown as PgTextRowsClient };
  return {
    driver: 'node-postgres',
    inTransaction,
    listenSource: pool === undefined ? undefined : { driver: 'node-postgres', pool },
    async query<Row>(statement: Statement | string, params: readonly unknown[] = []): Promise<Row[]> {
      const result = await pg.query(pgConfig(statement, params));
      return result.rows as Row[];
    },
    async queryArrays(statement: Statement | string, params: readonly unknown[] = []): Promise<unknown[][]> {
      const result = await pg.query({ ...pgConfig(statement, params), rowMode: 'array' });
      return result.rows as unknown[][];
    },
    queryText(statement: Statement | string, params: readonly unknown[]): Promise<unknown[][]> {
      if (textRows !== undefined && typeof statement !== 'string' && statement.name !== undefined) {
        const values = paramTexts(params);
        if (values !== undefined) return queryTextRows(textRows, statement.name, statement.text, values);
      }
      return this.queryArrays(statement, params);
    },
  };
}

function pgConfig(statement: Statement | string, params: readonly unknown[]): { text: string; values: unknown[]; name?: string } {
  if (typeof statement === 'string') return { text: statement, values: [...params] };
  return statement.name === undefined
    ? { text: statement.text, values: [...params] }
    : { name: statement.name, text: statement.text, values: [...params] };
}

function pgliteClient(pglite: PgliteQueryable, inTransaction: boolean): SqlClient {
  const root = !inTransaction && typeof (pglite as Partial<PgliteLike>).listen === 'function' ? (pglite as PgliteLike) : undefined;
  return {
    driver: 'pglite',
    inTransaction,
    listenSource: root === undefined ? undefined : { driver: 'pglite', pglite: root },
    async query<Row>(statement: Statement | string, params: readonly unknown[] = []): Promise<Row[]> {
      const text = typeof statement === 'string' ? statement : statement.text;
      const result = await pglite.query(text, [...params]);
      return result.rows as Row[];
    },
    async queryArrays(statement: Statement | string, params: readonly unknown[] = []): Promise<unknown[][]> {
      const text = typeof statement === 'string' ? statement : statement.text;
      const result = await pglite.query(text, [...params], { rowMode: 'array' });
      return result.rows as unknown[][];
    },
    queryText(statement: Statement | string, params: readonly unknown[]): Promise<unknown[][]> {
      return this.queryArrays(statement, params);
    },
  };
}

function isPool(value: object): value is PgPoolLike {
  const candidate = value as Partial<PgPoolLike>;
  return typeof candidate.Client === 'function' && typeof candidate.options === 'object' && typeof candidate.totalCount === 'number';
}

function describe(db: unknown): string {
  if (typeof db !== 'object' || db === null) return typeof db;
  const kind = (db.constructor as { [entityKind]?: string } | undefined)?.[entityKind];
  return kind ?? db.constructor?.name ?? 'unknown object';
}

/**
 * Runs one parameterised statement (`$1`, `$2`, ...) through a Drizzle database or transaction on
 * node-postgres or PGlite, and resolves its rows. `text` must be SQL you wrote: pass every value
 * as a parameter, never concatenated into `text`. Column types come back as the driver parses
 * them (note: node-postgres returns `bigint` as a string, PGlite as a number).
 */
export async function queryRows<Row = Record<string, unknown>>(
  db: EventfoldDatabase,
  text: string,
  params: readonly unknown[] = [],
): Promise<Row[]> {
  return sqlClientOf(db).query<Row>(text, params);
}
