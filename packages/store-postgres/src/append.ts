import {
  ConcurrencyError,
  DuplicateEventIdError,
  type AppendResult,
  type ExpectedVersion,
  type PreparedAppend,
  type PreparedEvent,
  type RecordedEvent,
} from '@eventfold/core';
import type { SqlClient } from './driver';
import { toRecordedEvent, type Upcast } from './recorded-event';
import type { StoreStatements } from './statements';

/** What append_events says about one item (see drizzle/0002_append_json_arrays.sql). */
export interface AppendRow {
  readonly item: number;
  /** 0 appended, 1 an event id is already used, 2 version conflict, 3 feed order (retry). */
  readonly status: number;
  readonly stream_version: number;
  readonly stream_type: string;
  readonly positions: readonly (string | number)[] | null;
  /** When the events were recorded, in epoch milliseconds (cheaper to parse than a timestamp). */
  readonly occurred_ms: number;
}

export const APPENDED = 0;
export const IDS_USED = 1;
export const CONFLICT = 2;
/** The stream's last writer is a younger transaction: retry in a new transaction. */
export const FEED_ORDER = 3;

/**
 * The row of an append function (the append and appendStream statements' columns, in order) as
 * `queryText` gives it: each column as the server's text on node-postgres (positions as an int8[]
 * literal such as `{41,42}`), parsed on PGlite.
 */
export function appendRowOf(columns: readonly unknown[]): AppendRow {
  const [item, status, version, streamType, positions, occurredMs] = columns;
  return {
    item: Number(item),
    status: Number(status),
    stream_version: Number(version),
    stream_type: typeof streamType === 'string' ? streamType : '',
    positions: positionsOf(positions),
    occurred_ms: Number(occurredMs),
  };
}

function positionsOf(value: unknown): readonly (string | number)[] | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value as (string | number)[];
  if (typeof value !== 'string') throw new Error(`an append function returned positions that are not an int8[]: ${typeof value}`);
  // An int8[] literal holds digits, minus signs and commas only: nothing is quoted.
  return value === '{}' ? [] : value.slice(1, -1).split(',');
}

/** Parameters of append_stream for one append (see drizzle/0002_append_json_arrays.sql). */
export function appendStreamParams(item: PreparedAppend, channel: string | null, checkIds: boolean): unknown[] {
  const types = item.events.map((event) => event.type);
  return [
    item.streamId,
    item.streamType,
    encodeExpectedVersion(item.expectedVersion),
    uuidArray(item.events),
    types,
    jsonArray(item.events, 'dataJson'),
    jsonArray(item.events, 'metadataJson'),
    channel,
    checkIds,
  ];
}

/** Parameters of append_events for appends to distinct streams, in order. */
export function appendParams(items: readonly PreparedAppend[], channel: string | null, checkIds: boolean): unknown[] {
  const streamIds: string[] = [];
  const streamTypes: string[] = [];
  const expected: number[] = [];
  const counts: number[] = [];
  const types: string[] = [];
  const events: PreparedEvent[] = [];
  for (const item of items) {
    streamIds.push(item.streamId);
    streamTypes.push(item.streamType);
    expected.push(encodeExpectedVersion(item.expectedVersion));
    counts.push(item.events.length);
    for (const event of item.events) {
      types.push(event.type);
      events.push(event);
    }
  }
  return [streamIds, streamTypes, expected, counts, uuidArray(events), types, jsonArray(events, 'dataJson'), jsonArray(events, 'metadataJson'), channel, checkIds];
}

/**
 * Parameters of the createStream statement: one append that creates its stream. An append of
 * exactly one event ({@link isOneEvent}) passes that event's fields as they are, for the statement
 * built with `oneEvent`.
 */
export function createStreamParams(item: PreparedAppend): unknown[] {
  const [only] = item.events;
  if (only !== undefined && isOneEvent(item)) return [item.streamId, item.streamType, only.id, only.type, only.dataJson, only.metadataJson];
  const types = item.events.map((event) => event.type);
  return [item.streamId, item.streamType, uuidArray(item.events), types, jsonArray(item.events, 'dataJson'), jsonArray(item.events, 'metadataJson')];
}

/** Whether an append takes the createStream statement's one-event form. */
export function isOneEvent(item: PreparedAppend): boolean {
  return item.events.length === 1;
}

/** Parameters of the createStreams statement for appends to distinct streams, in order. */
export function createStreamsParams(items: readonly PreparedAppend[]): unknown[] {
  const streamIds: string[] = [];
  const streamTypes: string[] = [];
  const counts: number[] = [];
  const types: string[] = [];
  const itemOfEvent: number[] = [];
  const versions: number[] = [];
  const events: PreparedEvent[] = [];
  items.forEach((item, index) => {
    streamIds.push(item.streamId);
    streamTypes.push(item.streamType);
    counts.push(item.events.length);
    item.events.forEach((event, position) => {
      types.push(event.type);
      itemOfEvent.push(index + 1);
      versions.push(position + 1);
      events.push(event);
    });
  });
  return [streamIds, streamTypes, counts, uuidArray(events), types, jsonArray(events, 'dataJson'), jsonArray(events, 'metadataJson'), itemOfEvent, versions];
}

/**
 * The events' JSON texts as one JSON array: their texts joined by commas, nothing to escape (a
 * text[] literal would escape every quote inside them, and the server unescape it again).
 */
function jsonArray(events: readonly PreparedEvent[], field: 'dataJson' | 'metadataJson'): string {
  let text = '';
  for (const event of events) text += (text === '' ? '[' : ',') + event[field];
  return text === '' ? '[]' : `${text}]`;
}

/**
 * The event ids as a text[] literal. prepareAppend has checked each one against the UUID pattern
 * (hex digits and dashes), so none needs quoting.
 */
function uuidArray(events: readonly PreparedEvent[]): string {
  return `{${events.map((event) => event.id).join(',')}}`;
}

function encodeExpectedVersion(expected: ExpectedVersion): number {
  switch (expected) {
    case 'any':
      return -1;
    case 'no_stream':
      return -2;
    case 'stream_exists':
      return -3;
    default:
      return expected;
  }
}

/** The result of an item append_events wrote. */
export function appendedResult(prepared: PreparedAppend, row: AppendRow): AppendResult {
  const first = row.stream_version - prepared.events.length;
  const positions = row.positions ?? [];
  const events = prepared.events.map(
    (event, index): RecordedEvent => ({
      id: event.id,
      streamId: prepared.streamId,
      streamType: row.stream_type,
      version: first + index + 1,
      globalPosition: Number(positions[index]),
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      occurredAt: new Date(row.occurred_ms),
    }),
  );
  return { streamId: prepared.streamId, streamType: row.stream_type, nextExpectedVersion: row.stream_version, events, idempotent: false };
}

/**
 * The row of an item a create statement wrote (CreatedRow in statements.ts): the stream is new, so
 * its version is the event count and its type the one sent. `positions` is the events' global
 * positions joined by commas, or one int8 as the driver returns it (a string, or a number on PGlite).
 */
export function createdRow(prepared: PreparedAppend, item: number, positions: unknown, occurredMs: unknown): AppendRow {
  return {
    item,
    status: APPENDED,
    stream_version: prepared.events.length,
    stream_type: prepared.streamType,
    positions: String(positions).split(','),
    occurred_ms: Number(occurredMs),
  };
}

/**
 * The row of one item of a batched create (createStreams' array rows: item number, positions,
 * time), matched to its append by the item number.
 */
export function createdRowOfItem(items: readonly PreparedAppend[], row: readonly unknown[]): AppendRow {
  const item = Number(row[0]);
  const prepared = items[item - 1];
  if (prepared === undefined) throw new Error(`a batch of ${items.length} creates returned item ${String(row[0])}`);
  return createdRow(prepared, item, row[1], row[2]);
}

/** A used event id made the append fail (autocommit appends skip the up-front lookup). */
export function idsUsedRow(prepared: PreparedAppend): AppendRow {
  return { item: 1, status: IDS_USED, stream_version: 0, stream_type: prepared.streamType, positions: null, occurred_ms: 0 };
}

/**
 * An append the functions refused. A version conflict becomes a ConcurrencyError with the actual
 * version, unless some event ids are already recorded. Used event ids are accepted only as an exact
 * retry (same stream, the same consecutive versions its expected version points at, same types and
 * data): the result then holds the events recorded the first time. Anything else is a
 * DuplicateEventIdError. Resolves 'retry' when the ids that collided are gone (the transaction that
 * used them rolled back): the append may simply run again.
 *
 * `idsChecked`: the function already looked the ids up (status 2 then means none was used).
 */
export async function refusedResult(
  client: SqlClient,
  statements: StoreStatements,
  prepared: PreparedAppend,
  row: AppendRow,
  options: { readonly idsChecked: boolean; readonly upcast: Upcast | undefined },
): Promise<AppendResult | 'retry'> {
  const conflict = (): ConcurrencyError => new ConcurrencyError(prepared.streamId, prepared.expectedVersion, row.stream_version);
  if (row.status === CONFLICT && options.idsChecked) throw conflict();
  // The event columns, then same_data: whether the stored data equals the data sent.
  const rows = await client.queryArrays(statements.recordedByIds, [
    prepared.events.map((event) => event.id),
    prepared.events.map((event) => event.dataJson),
  ]);
  if (rows.length === 0) {
    if (row.status === CONFLICT) throw conflict();
    return 'retry';
  }
  const byId = new Map(rows.map((columns) => [columns[0], { event: toRecordedEvent(columns, undefined), sameData: columns[9] === true }]));
  const recorded = prepared.events.map((event) => byId.get(event.id));
  const firstUsedId = prepared.events[recorded.findIndex((stored) => stored !== undefined)]?.id ?? prepared.events[0]?.id ?? '';
  const first = recorded[0]?.event;
  if (first === undefined || first.streamId !== prepared.streamId || !startsWhereExpected(prepared.expectedVersion, first.version)) {
    throw new DuplicateEventIdError(firstUsedId, prepared.streamId);
  }
  const events = prepared.events.map((event, index) => {
    const stored = recorded[index];
    const same =
      stored !== undefined &&
      stored.event.streamId === prepared.streamId &&
      stored.event.version === first.version + index &&
      stored.event.type === event.type &&
      stored.sameData;
    if (!same) throw new DuplicateEventIdError(stored === undefined ? firstUsedId : event.id, prepared.streamId);
    return options.upcast === undefined ? stored.event : options.upcast(stored.event);
  });
  return {
    streamId: prepared.streamId,
    streamType: first.streamType,
    nextExpectedVersion: events.at(-1)?.version ?? first.version,
    events,
    idempotent: true,
  };
}

function startsWhereExpected(expected: ExpectedVersion, firstVersion: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return firstVersion === 1;
    case 'stream_exists':
      return firstVersion > 1;
    default:
      return firstVersion === expected + 1;
  }
}

/** PostgreSQL unique violation on the event id index: a concurrent append used the same id. */
export function isEventIdRace(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.code === '23505' &&
    (e.constraint === 'events_event_id_uq' || (typeof e.message === 'string' && e.message.includes('events_event_id_uq')))
  );
}
