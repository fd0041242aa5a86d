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
 * NULL). `values` are the parameters as text: see {@link paramTexts}.
 */
export function queryTextRows(
  queryable: { readonly pool: PgTextRowsPool } | { readonly client: PgTextRowsClient },
  name: string,
  text: string,
  values: readonly (string | null)[],
): Promise<(string | null)[][]> {
  const query = new TextRowsQuery(name, text, values);
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

/** A value with no exact text form here: node-postgres converts it itself (a Date, a Buffer, JSON). */
const NO_TEXT = Symbol('no text form');

/**
 * The values as bind parameters in the text PostgreSQL parses, exactly as node-postgres would send
 * them: strings as they are, numbers, bigints and booleans in their SQL spelling, null and
 * undefined as SQL NULL, and arrays of those as array literals with every element quoted (so
 * commas, braces, quotes and backslashes inside strings survive). Undefined when a value is
 * anything else (a Date, a Buffer, an object, anything with `toPostgres`): the statement is then
 * left to node-postgres's own conversions.
 */
export function paramTexts(values: readonly unknown[]): (string | null)[] | undefined {
  const texts: (string | null)[] = [];
  for (const value of values) {
    const text = textForm(value);
    if (text === NO_TEXT) return undefined;
    texts.push(text);
  }
  return texts;
}

/** One value as {@link paramTexts} sends it; a TypeError naming the value's kind when it has no text form. */
export function toParamText(value: unknown): string | null {
  const text = textForm(value);
  if (text === NO_TEXT) {
    throw new TypeError(`eventfold: cannot send a ${Object.prototype.toString.call(withoutTextForm(value))} as a text parameter`);
  }
  return text;
}

function textForm(value: unknown): string | null | typeof NO_TEXT {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return Array.isArray(value) ? arrayLiteral(value) : NO_TEXT;
  }
}

function arrayLiteral(values: readonly unknown[]): string | typeof NO_TEXT {
  const elements: string[] = [];
  for (const element of values) {
    const text = textForm(element);
    if (text === NO_TEXT) return NO_TEXT;
    elements.push(text === null ? 'NULL' : Array.isArray(element) ? text : `"${text.replace(/[\\"]/g, '\\$&')}"`);
  }
  return `{${elements.join(',')}}`;
}

/** The value (or, inside an array, the element) that has no text form, for the error message. */
function withoutTextForm(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  for (const element of value) if (textForm(element) === NO_TEXT) return withoutTextForm(element);
  return value;
}
