import type { RecordedEvent } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { createProjectionContext } from './context';
import { defineProjection } from './define-projection';
import { isNoTransactionError, isProjectionDefinitionError, isProjectionHandlerError } from './errors';

const noop = (): void => undefined;

type TallyEvent = { type: 'Added'; data: { amount: number } } | { type: 'Reset'; data: null };

function recorded(type: string, data: unknown, position: number): RecordedEvent {
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    streamId: 'tally-1',
    streamType: 'tally',
    version: position,
    globalPosition: position,
    type,
    data,
    metadata: {},
    occurredAt: new Date(0),
  };
}

describe('defineProjection', () => {
  it('types handlers by the event union and applies only the handled types, in order', async () => {
    const seen: string[] = [];
    const projection = defineProjection<TallyEvent>({
      name: 'tally',
      version: 1,
      handlers: {
        Added: (event) => {
          const amount: number = event.data.amount; // typed by the union
          seen.push(`+${amount}`);
        },
      },
    });
    expect(projection.eventTypes).toEqual(['Added']);
    const ctx = createProjectionContext(projection, { mode: 'async', tx: undefined });
    await projection.apply([recorded('Added', { amount: 2 }, 1), recorded('Other', {}, 2), recorded('Added', { amount: 3 }, 3)], ctx);
    expect(seen).toEqual(['+2', '+3']);
  });

  it('names versioned tables, quoted and schema-qualified, and refuses undeclared ones', () => {
    const projection = defineProjection<TallyEvent>({
      name: 'tally',
      version: 7,
      schema: 'read_models',
      tables: ['totals'],
      handlers: { Added: noop },
    });
    const ctx = createProjectionContext(projection, { mode: 'inline', tx: undefined });
    expect(ctx.tableName('totals')).toBe('totals_v7');
    expect(() => ctx.table('other')).toThrow(/Table "other" is not declared by projection "tally"/);
    expect(() => ctx.tx).toThrow(/used ctx.tx/);
    try {
      void ctx.tx;
    } catch (error) {
      expect(isNoTransactionError(error)).toBe(true);
    }
  });

  it('wraps a handler error with the projection and the event, keeping the cause', async () => {
    const boom = new Error('no room');
    const projection = defineProjection<TallyEvent>({
      name: 'tally',
      version: 1,
      handlers: {
        Added: () => {
          throw boom;
        },
      },
    });
    const ctx = createProjectionContext(projection, { mode: 'async', tx: undefined });
    const error = await projection.apply([recorded('Added', { amount: 1 }, 4)], ctx).catch((e: unknown) => e);
    expect(isProjectionHandlerError(error)).toBe(true);
    expect(error).toMatchObject({ projection: 'tally', version: 1, event: { type: 'Added', globalPosition: 4 }, cause: boom });
    expect((error as Error).message).toMatch(/Projection "tally" v1 failed on event Added .* position 4\): no room/);
  });

  it('gives a batch handler only the wanted types, and names the event of a one-event batch', async () => {
    const batches: number[][] = [];
    const projection = defineProjection<TallyEvent>({
      name: 'tally-batch',
      version: 1,
      eventTypes: ['Added'],
      batch: (events) => {
        batches.push(events.map((e) => e.globalPosition));
        if (events.some((e) => e.type === 'Added' && e.data.amount < 0)) throw new Error('negative');
      },
    });
    const ctx = createProjectionContext(projection, { mode: 'async', tx: undefined });
    await projection.apply([recorded('Added', { amount: 1 }, 1), recorded('Reset', null, 2), recorded('Added', { amount: 1 }, 3)], ctx);
    expect(batches).toEqual([[1, 3]]);
    const single = await projection.apply([recorded('Added', { amount: -1 }, 9)], ctx).catch((e: unknown) => e);
    expect(single).toMatchObject({ event: { globalPosition: 9 } });
    const many = await projection.apply([recorded('Added', { amount: -1 }, 9), recorded('Added', { amount: 1 }, 10)], ctx).catch((e: unknown) => e);
    expect(isProjectionHandlerError(many)).toBe(true);
    expect((many as { event: unknown }).event).toBeUndefined();
  });

  it.each<[unknown, RegExp]>([
    [{ name: 'Bad Name', version: 1, handlers: { Added: noop } }, /Invalid projection name "Bad Name"/],
    [{ name: 'ok', version: 0, handlers: { Added: noop } }, /Invalid version 0 of projection "ok"/],
    [{ name: 'ok', version: 1.5, handlers: { Added: noop } }, /Invalid version 1.5/],
    [{ name: 'ok', version: 1 }, /needs exactly one of handlers/],
    [{ name: 'ok', version: 1, handlers: {}, batch: noop }, /needs exactly one of handlers/],
    [{ name: 'ok', version: 1, handlers: {} }, /has no handlers/],
    [{ name: 'ok', version: 1, handlers: { Added: 'nope' } }, /handler for "Added" in projection "ok" must be a function/],
    [{ name: 'ok', version: 1, tables: ['Drop Table'], handlers: { Added: noop } }, /Invalid table name "Drop Table"/],
    [{ name: 'ok', version: 1, tables: ['t', 't'], handlers: { Added: noop } }, /listed twice/],
    [{ name: 'ok', version: 1, schema: 'x;y', handlers: { Added: noop } }, /Invalid schema "x;y"/],
    [{ name: 'ok', version: 1, batch: noop, eventTypes: [] }, /eventTypes of projection "ok" must be a non-empty array/],
    [{ name: 'ok', version: 1, handlers: { Added: noop }, setup: 'create table' }, /setup of projection "ok" must be a function/],
  ])('rejects a bad definition %#', (options, message) => {
    let caught: unknown;
    try {
      defineProjection(options as never);
    } catch (error) {
      caught = error;
    }
    expect(isProjectionDefinitionError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
