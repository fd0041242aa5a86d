import type { GlobalCheckpoint, RecordedEvent } from '@eventfold/core';
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

export interface FeedRow extends EventRow {
  readonly transaction_id: string;
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

export function checkpointOf(row: FeedRow): GlobalCheckpoint {
  return { transactionId: Number(row.transaction_id), position: Number(row.global_position) };
}
