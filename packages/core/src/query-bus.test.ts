import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import { isHandlerNotFoundError, isInvalidArgumentError, isQueryValidationError, type QueryValidationError } from './errors';
import { createQueryBus } from './query-bus';

const ByGuest = z.object({ guestId: z.uuid(), limit: z.coerce.number().int().min(1).max(100).default(20) });

describe('createQueryBus', () => {
  it('runs the handler with the parsed input (defaults and coercion applied)', async () => {
    const bus = createQueryBus().register('ReservationsByGuest', ByGuest, (input) => input);
    const guestId = '0b8c1e3d-5f7a-4b9c-8d2e-6f1a3c5e7b90';
    expect(await bus.execute('ReservationsByGuest', { guestId })).toEqual({ guestId, limit: 20 });
    expect(await bus.execute('ReservationsByGuest', { guestId, limit: '5' })).toEqual({ guestId, limit: 5 });
  });

  it('validates before the handler runs', async () => {
    const handler = vi.fn();
    const bus = createQueryBus().register('ReservationsByGuest', ByGuest, handler);
    const error = (await bus.execute('ReservationsByGuest', { guestId: 'g', limit: 0 }).catch((e: unknown) => e)) as QueryValidationError;
    expect(isQueryValidationError(error)).toBe(true);
    expect(error.queryName).toBe('ReservationsByGuest');
    expect(error.issues.map((issue) => issue.path)).toEqual(['guestId', 'limit']);
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses unknown names and double registration', async () => {
    const bus = createQueryBus().register('A', z.object({}), () => 1);
    const error = await (bus as unknown as { execute(name: string, input: unknown): Promise<unknown> }).execute('B', {}).catch((e: unknown) => e);
    expect(isHandlerNotFoundError(error) && error.kind).toBe('query');
    expect(() => bus.register('A', z.object({}), () => 2)).toThrow(/already registered/);
    let caught: unknown;
    try {
      bus.register('A', z.object({}), () => 2);
    } catch (e) {
      caught = e;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });

  it('types results and context', async () => {
    const bus = createQueryBus<{ tenant: string }>().register('Tenant', z.object({}), (_input, context) => context.tenant);
    const result = await bus.execute('Tenant', {}, { tenant: 't-1' });
    expect(result).toBe('t-1');
    expectTypeOf(result).toEqualTypeOf<string>();
  });
});
