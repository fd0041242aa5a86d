/**
 * A node-postgres query that reads its rows as the server sends them, as text, for statements
 * whose few result columns the caller converts itself (the store's append statements: positions,
 * versions, a time).
 *
 * pg's own Query asks the server to describe the result (Describe portal) on every execution, parses
 * the RowDescription that comes back, copies the query config, builds a Result and runs a type
 * parser per column. This one sends Parse (first use on a connection only), Bind, Execute and Sync
 * in one write. Through the store at 8 writers, single-event creates took 65-72 µs of client CPU
 * each against 84-93 µs with pg's Query, and ran 5-18% more per second (interleaved runs).
 *
 * It goes through pg's documented extension point for query classes (an object with `submit`, as
 * pg-cursor and pg-query-stream do): the client hands it the protocol connection and routes each
 * server message to its handlers.
 */

/** The part of pg's protocol connection a query class drives (see pg/lib/connection.js). */
interface PgProtocolConnection {
  /** Statement names the server has parsed on this connection. */
  readonly parsedStatements: Record<string, string | undefined>;
  /** Names sent but not confirmed yet (recent pg 8 releases only). */
  readonly submittedNamedStatements?: Record<string, string | undefined>;
  readonly stream: { cork?(): void; uncork?(): void };
  parse(config: { text: string; name: string }): void;
  bind(config: { statement: string; values: readonly (string | null)[] }): void;
  execute(config: Record<string, never>): void;
  sync(): void;
}

type Done = (error: Error | undefined, rows: (string | null)[][]) => void;

/** A pg client (a pool's, or a single one) that takes a query class. */
export interface PgTextRowsClient {
  query(query: TextRowsQuery): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/** A pg pool: {@link queryTextRows} checks a client out and back in around the query. */
export interface PgTextRowsPool {
  connect(callback: (error: Error | undefined, client: PgTextRowsClient, release: (error?: Error) => void) => void): void;
}

/**
 * Whether `queryable` (a `pg.Pool` or a client) can run {@link TextRowsQuery}: the JavaScript
 * client routes server messages to a query class; the native client (`pg.native`) does not, and a
 * client in pipeline mode refuses query classes.
 */
export function supportsTextRows(queryable: object): boolean {
  const candidate = queryable as { Client?: unknown; options?: { pipeline?: unknown }; pipeline?: unknown };
  const client: unknown = typeof candidate.Client === 'function' ? (candidate.Client as { prototype: unknown }).prototype : queryable;
  const pipeline = candidate.options?.pipeline === true || candidate.pipeline === true;
  return !pipeline && typeof (client as { _handleDataRow?: unknown } | undefined)?._handleDataRow === 'function';
}

/**
 * Runs the prepared statement `name` (parsing `text` once per connection) on a pool or client that
 * {@link supportsTextRows}, and resolves its rows, each an array of column texts (null for SQL
 * NULL). Values are sent as text: see {@link toParamText}.
 */
export function queryTextRows(
  queryable: { readonly pool: PgTextRowsPool } | { readonly client: PgTextRowsClient },
  name: string,
  text: string,
  params: readonly unknown[],
): Promise<(string | null)[][]> {
  const query = new TextRowsQuery(name, text, params.map(toParamText));
  return new Promise((resolve, reject) => {
    const settle = (error: Error | undefined, rows: (string | null)[][]): void => (error === undefined ? resolve(rows) : reject(error));
    if ('client' in queryable) {
      // Set before submitting: pg keeps a query class's own callback (every pg 8 release does), and
      // calls it once, with the rows at ReadyForQuery or with the error.
      query.callback = settle;
      queryable.client.query(query);
      return;
    }
    // Callbacks, not promises, from checkout to release: this runs once per append.
    queryable.pool.connect((connectError, client, release) => {
      if (connectError !== undefined && connectError !== null) {
        reject(connectError);
        return;
      }
      // A connection that breaks while checked out emits 'error' on its client (the query fails
      // too): without a listener that would be an uncaught exception.
      let broken: Error | undefined;
      const onError = (error: Error): void => {
        broken = error;
      };
      client.on('error', onError);
      query.callback = (error, rows) => {
        client.removeListener('error', onError);
        // A statement the server refused (severity ERROR) leaves the connection usable, and its
        // prepared statements with it. Anything else does not: FATAL (the server ends the session),
        // a lost connection, a query_timeout. The pool then drops it.
        if (error !== undefined && !isStatementError(error)) broken ??= error;
        release(broken);
        settle(error, rows);
      };
      client.query(query);
    });
  });
}

/** pg's DatabaseError for an ErrorResponse that ends only the statement, not the session. */
function isStatementError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { severity?: unknown }).severity === 'ERROR';
}

export class TextRowsQuery {
  readonly #rows: (string | null)[][] = [];
  /** Called once, with the rows or the error (pg reads and may wrap it: for its query_timeout). */
  callback: Done | undefined;

  constructor(
    /** pg's client reads `name` and `text` to record the statement as parsed on its connection. */
    readonly name: string,
    readonly text: string,
    private readonly values: readonly (string | null)[],
  ) {}

  submit(connection: PgProtocolConnection): null {
    // One write for all messages (pg's Query corks too).
    connection.stream.cork?.();
    try {
      const submitted = connection.submittedNamedStatements;
      if (connection.parsedStatements[this.name] === undefined && submitted?.[this.name] === undefined) {
        connection.parse({ text: this.text, name: this.name });
        if (submitted !== undefined) submitted[this.name] = this.text;
      }
      connection.bind({ statement: this.name, values: this.values });
      connection.execute({});
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  handleDataRow(message: { readonly fields: (string | null)[] }): void {
    this.#rows.push(message.fields);
  }

  handleError(error: Error): void {
    this.#finish(error);
  }

  handleReadyForQuery(): void {
    this.#finish(undefined);
  }

  // Messages this query never asks for (no Describe, no COPY, no row limit): nothing to do.
  handleRowDescription(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}
  handleCopyData(): void {}

  #finish(error: Error | undefined): void {
    const callback = this.callback;
    this.callback = undefined;
    callback?.(error, this.#rows);
  }
}

/**
 * Whether every value has a text form {@link toParamText} gives exactly as node-postgres would send
 * it: strings, numbers, bigints, booleans, null and undefined, and arrays of those. Dates, Buffers,
 * objects (JSON) and anything with `toPostgres` are left to node-postgres's own conversions.
 */
export function canSendAsText(values: readonly unknown[]): boolean {
  return values.every(hasTextForm);
}

function hasTextForm(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return true;
    default:
      return Array.isArray(value) && value.every(hasTextForm);
  }
}

/**
 * A bind parameter as the text PostgreSQL parses: strings as they are, numbers and booleans in their
 * SQL spelling, null and undefined as SQL NULL, and arrays as array literals with every element
 * quoted (so commas, braces, quotes and backslashes inside strings survive). Anything else is a
 * programming error here: the statements that use this path bind only those.
 */
export function toParamText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      if (Array.isArray(value)) return arrayLiteral(value);
      throw new TypeError(`eventfold: cannot send a ${Object.prototype.toString.call(value)} as a text parameter`);
  }
}

function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((element) => {
    if (Array.isArray(element)) return arrayLiteral(element);
    const text = toParamText(element);
    return text === null ? 'NULL' : `"${text.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${elements.join(',')}}`;
}
