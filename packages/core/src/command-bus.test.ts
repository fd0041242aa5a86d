import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { createCommandBus } from './command-bus';
import { isCommandValidationError, isHandlerNotFoundError, isInvalidArgumentError, type CommandValidationError } from './errors';

const Book = z.object({ guest: z.object({ name: z.string().trim().min(1) }), nights: z.number().int().min(1).max(30) });

describe('createCommandBus', () => {
  it('runs the handler with the parsed input and returns its result', async () => {
    const handler = vi.fn((input: z.output<typeof Book>) => ({ booked: input.guest.name, nights: input.nights }));
    const bus = createCommandBus().register('Book', Book, handler);
    const result = await bus.execute('Book', { guest: { name: '  Ada ' }, nights: 2 });
    expect(result).toEqual({ booked: 'Ada', nights: 2 });
    expect(handler).toHaveBeenCalledWith({ guest: { name: 'Ada' }, nights: 2 }, undefined);
    expectTypeOf(result).toEqualTypeOf<{ booked: string; nights: number }>();
    expect(bus.has('Book')).toBe(true);
    expect(bus.names()).toEqual(['Book']);
  });

  it('validates before any handler runs, naming every failing field', async () => {
    const handler = vi.fn();
    const bus = createCommandBus().register('Book', Book, handler);
    const error = (await bus.execute('Book', { guest: { name: ' ' }, nights: 31 }).catch((e: unknown) => e)) as CommandValidationError;
    expect(isCommandValidationError(error)).toBe(true);
    expect(error.commandName).toBe('Book');
    expect(error.issues.map((issue) => issue.path)).toEqual(['guest.name', 'nights']);
    expect(error.message).toMatch(/^Invalid command "Book": guest\.name: .*; nights: .*Fix the input/);
    expect(handler).not.toHaveBeenCalled();
  });

  it('runs async refinements before the handler', async () => {
    const handler = vi.fn();
    const taken = new Set(['101']);
    const schema = z.object({ room: z.string().refine(async (room) => !taken.has(room), { error: 'is taken' }) });
    const bus = createCommandBus().register('Hold', schema, handler);
    await expect(bus.execute('Hold', { room: '101' })).rejects.toMatchObject({ issues: [{ path: 'room', message: 'is taken' }] });
    expect(handler).not.toHaveBeenCalled();
  });

  it('passes the context to handlers', async () => {
    const bus = createCommandBus<{ readonly userId: string }>().register('WhoAmI', z.object({}), (_input, context) => context.userId);
    expect(await bus.execute('WhoAmI', {}, { userId: 'u-1' })).toBe('u-1');
  });

  it('lets handler errors through', async () => {
    const bus = createCommandBus().register('Fail', z.object({}), () => {
      throw new Error('handler failed');
    });
    await expect(bus.execute('Fail', {})).rejects.toThrow('handler failed');
  });

  it('refuses an unknown name, listing the registered ones', async () => {
    const bus = createCommandBus().register('Book', Book, () => 1);
    const error = await (bus as unknown as { execute(name: string, input: unknown): Promise<unknown> })
      .execute('Cancel', {})
      .catch((e: unknown) => e);
    expect(isHandlerNotFoundError(error)).toBe(true);
    expect((error as Error).message).toContain('No command handler is registered for "Cancel" (registered: Book)');
  });

  it.each([
    ['a second handler for a name', (bus: ReturnType<typeof createCommandBus>) => bus.register('Book', Book, () => 1).register('Book', Book, () => 2)],
    ['an empty name', (bus: ReturnType<typeof createCommandBus>) => bus.register('', Book, () => 1)],
    ['a schema that is not Zod', (bus: ReturnType<typeof createCommandBus>) => bus.register('Book', {} as z.ZodType, () => 1)],
    ['a handler that is not a function', (bus: ReturnType<typeof createCommandBus>) => bus.register('Book', Book, 'no' as never)],
  ])('refuses %s', (_label, register) => {
    let caught: unknown;
    try {
      register(createCommandBus());
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });

  it('types execute from the registrations', () => {
    const bus = createCommandBus()
      .register('Book', Book, () => 'booked' as const)
      .register('Cancel', z.object({ reason: z.string() }), async () => 42);
    type ExecuteBook = typeof bus.execute<'Book'>;
    type ExecuteCancel = typeof bus.execute<'Cancel'>;
    expectTypeOf<Parameters<ExecuteCancel>[1]>().toEqualTypeOf<{ reason: string }>();
    expectTypeOf<ReturnType<ExecuteBook>>().toEqualTypeOf<Promise<'booked'>>();
    expectTypeOf<ReturnType<ExecuteCancel>>().toEqualTypeOf<Promise<number>>();
    // @ts-expect-error: not a registered command
    void bus.execute('Refund', {}).catch(() => undefined);
  });
});
