import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, defineUpcaster, isEventDefinition, type DataOf } from './define-event';
import { isEventDefinitionError } from './errors';

describe('defineEvent', () => {
  it('defaults the version to 1 and keeps the schema', () => {
    const schema = z.object({ roomId: z.string() });
    const RoomAdded = defineEvent('RoomAdded', schema);
    expect(RoomAdded).toEqual({ type: 'RoomAdded', schema, version: 1 });
    expect(Object.isFrozen(RoomAdded)).toBe(true);
    expect(isEventDefinition(RoomAdded)).toBe(true);
    expectTypeOf(RoomAdded.type).toEqualTypeOf<'RoomAdded'>();
    expectTypeOf<DataOf<typeof RoomAdded>>().toEqualTypeOf<{ roomId: string }>();
  });

  it('takes an explicit version', () => {
    expect(defineEvent('RoomRenamed', z.object({}), { version: 3 }).version).toBe(3);
  });

  it.each([
    ['an empty type', '', 1],
    ['a type with spaces', 'Room Added', 1],
    ['a type starting with a digit', '1RoomAdded', 1],
    ['a too long type', `R${'x'.repeat(200)}`, 1],
    ['version 0', 'RoomAdded', 0],
    ['a fractional version', 'RoomAdded', 1.5],
    ['a negative version', 'RoomAdded', -1],
  ])('rejects %s', (_label, type, version) => {
    let caught: unknown;
    try {
      defineEvent(type, z.object({}), { version });
    } catch (error) {
      caught = error;
    }
    expect(isEventDefinitionError(caught)).toBe(true);
  });

  it('rejects a data schema that is not a Zod schema', () => {
    expect(() => defineEvent('RoomAdded', { roomId: 'string' } as unknown as z.ZodType)).toThrow(/needs a Zod schema/);
  });
});

describe('defineUpcaster', () => {
  it('keeps the step and rejects bad declarations', () => {
    const step = defineUpcaster('RoomAdded', 1, (data: { id: string }) => ({ roomId: data.id }));
    expect(step.fromVersion).toBe(1);
    expect(step.upcast({ id: 'a' })).toEqual({ roomId: 'a' });
    expect(() => defineUpcaster('RoomAdded', 0, (d) => d)).toThrow(/Invalid fromVersion 0/);
    expect(() => defineUpcaster('', 1, (d) => d)).toThrow(/Invalid event type/);
    expect(() => defineUpcaster('RoomAdded', 1, 'nope' as unknown as (d: unknown) => unknown)).toThrow(/needs a function/);
  });
});
