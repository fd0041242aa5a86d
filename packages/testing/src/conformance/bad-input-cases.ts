import {
  isEventTooLargeError,
  isEventValidationError,
  isInvalidArgumentError,
  isInvalidStreamIdError,
  type NewEvent,
} from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { CONFORMANCE_MAX_EVENT_BYTES, newEvent, newStreamId, readStream, rejectionOf } from './fixtures';
import type { EventStoreHarness } from './harness';

function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
}

/** Issue paths of an EventValidationError. */
function issuePaths(error: Record<string, unknown>): string[] {
  const issues = error.issues as readonly { readonly path: string }[] | undefined;
  return (issues ?? []).map((issue) => issue.path);
}

export function badInputCases(h: EventStoreHarness): void {
  describe('bad input is refused before anything is written', () => {
    it('refuses an empty stream id with InvalidStreamIdError', async () => {
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append('', [newEvent()]));
      expect(isInvalidStreamIdError(error)).toBe(true);
      expect(error.code).toBe('EVENTFOLD_INVALID_STREAM_ID');
      await h.expectFeedUnchanged(h.store, head);
    });

    it('refuses a stream id with a NUL character with InvalidStreamIdError', async () => {
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(`${newStreamId()}\u0000`, [newEvent()]));
      expect(isInvalidStreamIdError(error)).toBe(true);
      await h.expectFeedUnchanged(h.store, head);
    });

    it('refuses a 201-character stream id and accepts one of 200', async () => {
      const tooLong = newStreamId().padEnd(201, 'x');
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(tooLong, [newEvent()]));
      expect(isInvalidStreamIdError(error)).toBe(true);
      expect(String(error.message)).toContain('201');
      await h.expectFeedUnchanged(h.store, head);
      const longest = newStreamId().padEnd(200, 'x');
      expect((await h.store.append(longest, [newEvent()])).streamId).toBe(longest);
      expect(await h.store.streamVersion(longest)).toBe(1);
    });

    it.each<[string, unknown]>([
      ['a number', 42],
      ['undefined', undefined],
      ['null', null],
      ['an object', { id: 'x' }],
    ])('refuses %s as stream id with InvalidStreamIdError', async (_label, streamId) => {
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId as string, [newEvent()]));
      expect(isInvalidStreamIdError(error)).toBe(true);
      await h.expectFeedUnchanged(h.store, head);
    });

    it('refuses invalid stream ids in streamVersion, streamExists and streamInfo', async () => {
      for (const read of [
        () => h.store.streamVersion(''),
        () => h.store.streamExists('x'.repeat(201)),
        () => h.store.streamInfo(''),
      ]) {
        expect(isInvalidStreamIdError(await rejectionOf(read))).toBe(true);
      }
    });

    it.each<[string, unknown]>([
      ['a BigInt', { amount: 10n }],
      ['a cyclic object', cyclic()],
      ['undefined', undefined],
      ['NaN', { amount: Number.NaN }],
      ['Infinity', { amount: Number.POSITIVE_INFINITY }],
      ['-Infinity', { nested: { amount: Number.NEGATIVE_INFINITY } }],
      ['a NUL character', { text: 'a\u0000b' }],
      ['a function', () => 1],
    ])('refuses data holding %s with EventValidationError', async (_label, data) => {
      const streamId = newStreamId();
      const head = await h.head();
      // Built by hand: newEvent would replace undefined data with its default.
      const error = await rejectionOf(() => h.store.append(streamId, [{ type: 'Bad', data }]));
      expect(isEventValidationError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'EVENTFOLD_EVENT_VALIDATION', eventType: 'Bad' });
      expect(issuePaths(error)).toContain('data');
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it('refuses metadata that is not an object, or not serialisable', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      for (const metadata of ['text', [1, 2], { big: 1n }]) {
        const event = { type: 'Bad', data: {}, metadata } as unknown as NewEvent;
        const error = await rejectionOf(() => h.store.append(streamId, [event]));
        expect(isEventValidationError(error)).toBe(true);
        expect(issuePaths(error)).toContain('metadata');
      }
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it('refuses an event over maxEventBytes with EventTooLargeError and accepts one under it', async () => {
      const store = await h.limitedStore();
      const streamId = newStreamId();
      const head = await h.head(store);
      const error = await rejectionOf(() =>
        store.append(streamId, [newEvent('Big', { text: 'x'.repeat(CONFORMANCE_MAX_EVENT_BYTES) })]),
      );
      expect(isEventTooLargeError(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'EVENTFOLD_EVENT_TOO_LARGE',
        eventType: 'Big',
        limitBytes: CONFORMANCE_MAX_EVENT_BYTES,
      });
      expect(error.sizeBytes).toBeGreaterThan(CONFORMANCE_MAX_EVENT_BYTES);
      await h.expectNothingWritten(store, streamId, head);
      const fits = await store.append(streamId, [newEvent('Small', { text: 'x'.repeat(CONFORMANCE_MAX_EVENT_BYTES / 2) })]);
      expect(fits.nextExpectedVersion).toBe(1);
    });

    it('counts multi-byte characters in bytes, not characters, against maxEventBytes', async () => {
      const store = await h.limitedStore();
      const streamId = newStreamId();
      const head = await h.head(store);
      // 400 characters, 1,600 bytes in UTF-8.
      const error = await rejectionOf(() => store.append(streamId, [newEvent('Emoji', { text: '😀'.repeat(400) })]));
      expect(isEventTooLargeError(error)).toBe(true);
      await h.expectNothingWritten(store, streamId, head);
    });

    it('refuses an event type the catalog does not know, naming it', async () => {
      const store = await h.catalogStore();
      const streamId = newStreamId();
      const head = await h.head(store);
      const error = await rejectionOf(() => store.append(streamId, [newEvent('ItemStolen', { sku: 'a' })]));
      expect(isEventValidationError(error)).toBe(true);
      expect(error.eventType).toBe('ItemStolen');
      expect(String(error.message)).toContain('ItemStolen');
      await h.expectNothingWritten(store, streamId, head);
    });

    it("refuses data that fails the catalog's schema, naming the field path", async () => {
      const store = await h.catalogStore();
      const streamId = newStreamId();
      const head = await h.head(store);
      const error = await rejectionOf(() =>
        store.append(streamId, [newEvent('ItemAdded', { item: { sku: 'a', quantity: 0 } })]),
      );
      expect(isEventValidationError(error)).toBe(true);
      expect(error.eventType).toBe('ItemAdded');
      expect(issuePaths(error)).toEqual(['item.quantity']);
      expect(String(error.message)).toContain('item.quantity');
      await h.expectNothingWritten(store, streamId, head);
    });

    it.each<[string, unknown]>([
      ['an object', { type: 'A', data: {} }],
      ['a string', 'A'],
      ['null', null],
      ['undefined', undefined],
    ])('refuses %s instead of an event array with InvalidArgumentError', async (_label, events) => {
      const streamId = newStreamId();
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, events as NewEvent[]));
      expect(isInvalidArgumentError(error)).toBe(true);
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it('refuses an event that is not an object with InvalidArgumentError', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      const error = await rejectionOf(() => h.store.append(streamId, [newEvent(), null as unknown as NewEvent]));
      expect(isInvalidArgumentError(error)).toBe(true);
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it.each<[string, unknown]>([
      ['an empty type', ''],
      ['a 201-character type', 'T'.repeat(201)],
      ['a numeric type', 7],
      ['a missing type', undefined],
    ])('refuses %s with EventValidationError', async (_label, type) => {
      const streamId = newStreamId();
      const head = await h.head();
      const event = { type, data: {} } as unknown as NewEvent;
      const error = await rejectionOf(() => h.store.append(streamId, [event]));
      expect(isEventValidationError(error)).toBe(true);
      expect(issuePaths(error)).toContain('type');
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it('refuses an empty or over-long streamType with InvalidArgumentError', async () => {
      const streamId = newStreamId();
      const head = await h.head();
      for (const streamType of ['', 'S'.repeat(201)]) {
        const error = await rejectionOf(() => h.store.append(streamId, [newEvent()], { streamType }));
        expect(isInvalidArgumentError(error)).toBe(true);
      }
      await h.expectNothingWritten(h.store, streamId, head);
    });

    it('leaves an existing stream untouched when an append to it is refused', async () => {
      const streamId = newStreamId();
      await h.store.append(streamId, [newEvent('Kept', { n: 1 })]);
      const head = await h.head();
      await rejectionOf(() => h.store.append(streamId, [newEvent('Good'), newEvent('Bad', { n: Number.NaN })]));
      await h.expectNothingWritten(h.store, streamId, head, 1);
      expect((await readStream(h.store, streamId)).map((event) => event.type)).toEqual(['Kept']);
    });
  });
}
