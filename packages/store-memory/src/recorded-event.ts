import type { EventMetadata, RecordedEvent } from '@eventfold/core';
import type { StoredEvent } from './event-log';

/** Optional upcaster a catalog may carry: brings an old event to the current shape of its type. */
export type Upcast = (event: RecordedEvent) => RecordedEvent;

/** A fresh copy for the caller: mutating it never changes what the store holds. */
export function toRecordedEvent(stored: StoredEvent, upcast: Upcast | undefined): RecordedEvent {
  const event: RecordedEvent = {
    id: stored.id,
    streamId: stored.streamId,
    streamType: stored.streamType,
    version: stored.version,
    globalPosition: stored.globalPosition,
    type: stored.type,
    data: JSON.parse(stored.dataJson) as unknown,
    metadata: JSON.parse(stored.metadataJson) as EventMetadata,
    occurredAt: new Date(stored.occurredAt),
  };
  return upcast === undefined ? event : upcast(event);
}
