import type { GlobalCheckpoint } from '@eventfold/core';
import { checkpointOf, type EventLog, type StoredEvent } from './event-log';
import type { FeedQuery } from './read-options';

export interface FeedPage {
  readonly events: readonly StoredEvent[];
  readonly checkpoint: GlobalCheckpoint;
  readonly hasMore: boolean;
}

/**
 * One page of the committed feed. The memory store commits one transaction at a time and only
 * committed events are in `log.feed`, so a reader can never pass an event that commits later.
 * The checkpoint moves past events the filters skip; `hasMore` is true only when another
 * matching event is readable now.
 */
export function readFeedPage(log: EventLog, query: FeedQuery): FeedPage {
  const events: StoredEvent[] = [];
  const start = log.indexAfter(query.after);
  for (let index = start; index < log.feed.length; index += 1) {
    const event = log.feed[index];
    if (event === undefined || !matches(event, query)) continue;
    if (events.length === query.limit) return { events, checkpoint: checkpointOf(events.at(-1) ?? event), hasMore: true };
    events.push(event);
  }
  // The whole rest of the feed was scanned: move past the skipped tail too.
  const last = log.feed.at(-1);
  const checkpoint = start < log.feed.length && last !== undefined ? checkpointOf(last) : query.after;
  return { events, checkpoint, hasMore: false };
}

function matches(event: StoredEvent, query: FeedQuery): boolean {
  return (
    (query.types === undefined || query.types.has(event.type)) &&
    (query.streamTypes === undefined || query.streamTypes.has(event.streamType))
  );
}
