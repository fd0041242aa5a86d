import type { RecordedEvent } from '@eventfold/core';
import type { EventMetadata } from '@eventfold/shared-schema';

/** Brings a recorded event to the current shape of its type (an event catalog's `upcast`). */
export type Upcast = (event: RecordedEvent) => RecordedEvent;

/**
 * An event from an array row of the read statements: the columns of EVENT_COLUMNS (statements.ts),
 * in that order.
 */
export function toRecordedEvent(row: readonly unknown[], upcast: Upcast | undefined): RecordedEvent {
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
