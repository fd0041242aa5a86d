import { createAggregateRepository, defineAggregate, type EventStore } from '@eventfold/core';
import { createMemoryEventStore } from '@eventfold/store-memory';
import { beforeEach, describe, expect, it } from 'vitest';
import { defineProjection } from './define-projection';
import { isInvalidProjectorOptionError, isProjectionHandlerError } from './errors';
import { inlineProjections } from './inline';

type CounterEvent = { type: 'Incremented'; data: { by: number } } | { type: 'Renamed'; data: { name: string } };
type CounterCommand = { type: 'increment'; by: number };

const counter = defineAggregate<{ value: number }, CounterEvent, CounterCommand>({
  type: 'counter',
  initialState: { value: 0 },
  evolve: (state, event) => (event.type === 'Incremented' ? { value: state.value + event.data.by } : state),
  decide: (command) => ({ type: 'Incremented', data: { by: command.by } }),
});

describe('inlineProjections', () => {
  let store: EventStore;
  let values: Map<string, number>;
  let failOn: number | undefined;

  const counters = defineProjection<CounterEvent>({
    name: 'counters',
    version: 1,
    handlers: {
      Incremented: (event) => {
        if (event.data.by === failOn) throw new Error(`refusing ${failOn}`);
        values.set(event.streamId, (values.get(event.streamId) ?? 0) + event.data.by);
      },
    },
  });

  beforeEach(() => {
    store = createMemoryEventStore();
    values = new Map();
    failOn = undefined;
  });

  it('updates the read model inside the append transaction, through the repository hook', async () => {
    const repository = createAggregateRepository({ store, aggregate: counter, onAppended: inlineProjections([counters]) });
    await repository.save('c1', [{ type: 'Incremented', data: { by: 2 } }], { expectedVersion: 0 });
    await repository.save('c1', [{ type: 'Incremented', data: { by: 3 } }, { type: 'Renamed', data: { name: 'x' } }], {
      expectedVersion: 1,
    });
    expect(values.get('counter-c1')).toBe(5);
  });

  it('rolls the append back when a projection fails, and names the projection and event', async () => {
    const repository = createAggregateRepository({ store, aggregate: counter, onAppended: inlineProjections([counters]) });
    await repository.save('c1', [{ type: 'Incremented', data: { by: 1 } }], { expectedVersion: 0 });
    failOn = 13;
    const error = await repository
      .save('c1', [{ type: 'Incremented', data: { by: 13 } }], { expectedVersion: 1 })
      .catch((e: unknown) => e);
    expect(isProjectionHandlerError(error)).toBe(true);
    expect((error as Error).message).toMatch(/Projection "counters" v1 failed on event Incremented .*: refusing 13/);
    expect(await store.streamVersion('counter-c1')).toBe(1); // the append did not commit
    const page = await store.readAll();
    expect(page.events.map((e) => e.data)).toEqual([{ by: 1 }]);
  });

  it('applies nothing for an idempotent retry', async () => {
    const hook = inlineProjections([counters]);
    const event = { id: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', type: 'Incremented', data: { by: 4 } };
    for (let i = 0; i < 2; i += 1) {
      await store.withTransaction(async (scope) => {
        const result = await scope.store.append('counter-c9', [event], { expectedVersion: 'any' });
        await hook(result, scope);
      });
    }
    expect(values.get('counter-c9')).toBe(4);
  });

  it('refuses a list that is empty or names a projection twice', () => {
    for (const bad of [[], [counters, counters], ['counters']]) {
      let caught: unknown;
      try {
        inlineProjections(bad as never);
      } catch (error) {
        caught = error;
      }
      expect(isInvalidProjectorOptionError(caught)).toBe(true);
    }
  });
});
