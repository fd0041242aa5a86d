import type { RecordedEvent } from '@eventfold/core';
import type { EventMetadata } from '@eventfold/shared-schema';

/** An events row as the read statements select it (see EVENT_COLUMNS in statements.ts). */
export interface EventRow {
  readonly id: string;
  readonly stream_id: string;
  readonly stream_type: string;
  readonly version: number;
  /** int8: a string on node-postgres, a number on PGlite. */
  readonly global_position: string | number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
  readonly occurred_ms: number;
}


/** Brings a recorded event to the current shape of its type (an event catalog's `upcast`). */
export type Upcast = (event: RecordedEvent) => RecordedEvent;

export function toRecordedEvent(row: EventRow, upcast: Upcast | undefined): RecordedEvent {
  const event: RecordedEvent = {
    id: row.id,
    streamId: row.stream_id,
    streamType: row.stream_type,
    version: row.version,
    globalPosition: Number(row.global_position),
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    occurredAt: new Date(row.occurred_ms),
  };
  return upcast === undefined ? event : upcast(event);
}

/**
 * An event from an array row of the read statements: the columns of EVENT_COLUMNS (statements.ts),
 * in that order.
 */
export function toRecordedEventFromColumns(row: readonly unknown[], upcast: Upcast | undefined): RecordedEvent {
  const event: RecordedEvent = {
    id: row[0] as string,
    streamId: row[1] as string,
    streamType: row[2] as string,
    version: row[3] as number,
    globalPosition: Number(row[4]),
    type: row[5] as string,
    data: row[6],
    metadata: row[7] as EventMetadata,
    occurredAt: new Date(row[8] as number),
  };
  return upcast === undefined ? event : upcast(event);
}
