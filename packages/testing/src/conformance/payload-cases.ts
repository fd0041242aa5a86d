import { describe, expect, it } from 'vitest';
import { ITEM_ADDED_SCHEMA_VERSION, newEvent, newStreamId, readFeedToEnd, readStream } from './fixtures';
import type { EventStoreHarness } from './harness';

const RICH_DATA = {
  text: 'Grüße, 日本語, emoji 😀, quotes "\' and a backslash \\',
  empty: '',
  nothing: null,
  yes: true,
  no: false,
  zero: 0,
  negative: -17,
  fraction: 0.1,
  large: 9_007_199_254_740_991,
  tiny: 1.5e-300,
  list: [1, 'two', null, { three: [3] }, []],
  nested: { deeper: { deepest: { value: 'ok', list: [{ a: 1 }, { b: 2 }] } }, emptyObject: {} },
};

export function payloadCases(h: EventStoreHarness): void {
  describe('payloads round-trip', () => {
    it('returns data exactly as appended: nested, unicode, null, numbers, arrays', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      const result = await h.store.append(streamId, [newEvent('Rich', RICH_DATA)]);
      expect(result.events[0]?.data).toEqual(RICH_DATA);
      expect((await readStream(h.store, streamId))[0]?.data).toEqual(RICH_DATA);
      const feed = await readFeedToEnd(h.store, head);
      expect(feed.events.find((event) => event.streamId === streamId)?.data).toEqual(RICH_DATA);
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['a number', 42],
      ['a string', 'just text'],
      ['an array', [1, { a: 2 }]],
      ['an empty object', {}],
    ])('keeps %s as top-level data', async (_label, data) => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('Plain', data)]);
      expect((await readStream(h.store, streamId))[0]?.data).toEqual(data);
    });

    it('keeps every event of a multi-event append apart, whatever the shape of its data', async () => {
      // Stores may send an append's events to the server as one list: no event may spill into
      // another, even when its data is itself a list, a lone null or text full of separators.
      const shapes: unknown[] = [[1, [2, 3]], null, 'a, "b"], [c\\', RICH_DATA, [], { list: [null] }, 0];
      const streamId = newStreamId();
      const result = await h.store.append(
        streamId,
        shapes.map((data) => newEvent('Plain', data)),
      );
      expect(result.events.map((event) => event.data)).toEqual(shapes);
      const stored = await readStream(h.store, streamId);
      expect(stored.map((event) => event.data)).toEqual(shapes);
      expect(stored.map((event) => event.version)).toEqual(shapes.map((_, index) => index + 1));
    });

    it('drops keys whose value is undefined, as JSON does', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('Sparse', { kept: 1, dropped: undefined })]);
      const [event] = await readStream(h.store, streamId);
      expect(event?.data).toStrictEqual({ kept: 1 });
    });

    it('round-trips metadata: correlationId, causationId, userId and free keys', async () => {
      const streamId = newStreamId();
      const metadata = {
        correlationId: 'corr-1',
        causationId: 'cause-2',
        userId: 'user-3',
        tenant: 'acme',
        request: { path: '/reservations', attempt: 2, tags: ['a', 'b'] },
      };
      const head = await h.head();
      const result = await h.store.append(streamId, [newEvent('WithMetadata', { n: 1 }, { metadata })]);
      expect(result.events[0]?.metadata).toEqual(metadata);
      expect((await readStream(h.store, streamId))[0]?.metadata).toEqual(metadata);
      const feed = await readFeedToEnd(h.store, head);
      expect(feed.events.find((event) => event.streamId === streamId)?.metadata).toEqual(metadata);
    });

    it('records empty metadata when none is given', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent()]);
      expect((await readStream(h.store, streamId))[0]?.metadata).toEqual({});
    });

    it('is not changed by mutating the appended objects or the events read back', async () => {
      const streamId = newStreamId();
      const data = { list: [1, 2], nested: { value: 'original' } };
      const metadata = { correlationId: 'original' };
      const result = await h.store.append(streamId, [newEvent('Mutable', data, { metadata })]);
      data.list.push(3);
      data.nested.value = 'changed';
      metadata.correlationId = 'changed';
      const [firstRead] = await readStream(h.store, streamId);
      (firstRead?.data as typeof data).nested.value = 'changed by reader';
      (firstRead?.metadata as typeof metadata).correlationId = 'changed by reader';
      (result.events[0]?.data as typeof data).list.push(4);
      const [secondRead] = await readStream(h.store, streamId);
      expect(secondRead?.data).toEqual({ list: [1, 2], nested: { value: 'original' } });
      expect(secondRead?.metadata).toEqual({ correlationId: 'original' });
    });

    it("stores the catalog's parsed data and records its schema version in metadata", async () => {
      const store = await h.catalogStore();
      const streamId = newStreamId();
      const result = await store.append(streamId, [
        newEvent('ItemAdded', { item: { sku: 'sku-1', quantity: 2 } }, { metadata: { correlationId: 'c' } }),
        newEvent('ItemRemoved', { sku: 'sku-1' }),
      ]);
      const events = await readStream(store, streamId);
      expect(events).toEqual(result.events);
      expect(events[0]?.data).toEqual({ item: { sku: 'sku-1', quantity: 2 }, currency: 'EUR' });
      expect(events[0]?.metadata).toEqual({ correlationId: 'c', schemaVersion: ITEM_ADDED_SCHEMA_VERSION });
      expect(events[1]?.metadata).toEqual({ schemaVersion: 1 });
    });
  });
}
