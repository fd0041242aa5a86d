import { randomUUID } from 'node:crypto';
import { START } from '@eventfold/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresEventStore } from './event-store';
import { pgliteFixture } from './test-support/databases';

// PGlite specifics: one connection (transactions never overlap), LISTEN through pglite.listen.
const fixture = await pgliteFixture();
afterAll(() => fixture.dispose());

describe('on PGlite', () => {
  it("wakes another store's waiter through pglite.listen", async () => {
    const writer = createPostgresEventStore({ db: fixture.db });
    const reader = createPostgresEventStore({ db: fixture.db });
    const head = (await reader.readAll({ after: START, limit: 100_000 })).checkpoint;
    const waiting = reader.waitForEvents(head, { timeoutMs: 600_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    await waiting; // only the notification can resolve it within the test timeout
    expect((await reader.readAll({ after: head })).events).toHaveLength(1);
    await writer.close();
    await reader.close();
  });

  it('reports an empty horizon: nothing ever waits behind another transaction', async () => {
    const store = createPostgresEventStore({ db: fixture.db });
    await store.append(`room-${randomUUID()}`, [{ type: 'Booked', data: {} }]);
    expect(await store.horizon()).toMatchObject({ eventsWaiting: 0, oldestWaitingSince: null, blocker: null });
    await store.close();
  });
});
