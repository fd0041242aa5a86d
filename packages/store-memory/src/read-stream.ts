import type { StoredEvent, StreamState } from './event-log';
import type { StreamRange } from './read-options';

/**
 * The events of one stream that `range` selects, in the order to yield them. Versions are array
 * index + 1 (no holes), so the version bounds are a slice.
 */
export function selectStreamEvents(stream: StreamState | undefined, range: StreamRange): StoredEvent[] {
  if (stream === undefined) return [];
  const inRange = stream.events.slice(range.fromVersion - 1, Math.min(range.toVersion, stream.version));
  const asOf = range.asOf;
  const visible = asOf === undefined ? inRange : inRange.filter((event) => event.occurredAt <= asOf);
  if (range.direction === 'backwards') visible.reverse();
  return visible.slice(0, range.limit);
}
