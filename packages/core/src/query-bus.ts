import type { z } from 'zod';
import type { BusEntry, ContextArgs } from './command-bus';
import { HandlerNotFoundError, QueryValidationError } from './errors';
import { createHandlerRegistry, type Handler } from './handler-registry';

export interface QueryBus<TQueries extends Record<string, BusEntry> = Record<never, never>, TContext = undefined> {
  /** Registers the handler of a query name; returns the same bus, typed with the new query. */
  register<const TName extends string, TSchema extends z.ZodType, TResult>(
    name: TName,
    schema: TSchema,
    handler: (input: z.output<TSchema>, context: TContext) => TResult | Promise<TResult>,
  ): QueryBus<TQueries & Record<TName, { input: z.input<TSchema>; result: TResult }>, TContext>;
  /**
   * Validates `input` with the query's schema (throws `QueryValidationError` before any handler runs),
   * then runs the handler. Unknown names throw `HandlerNotFoundError`.
   */
  execute<TName extends keyof TQueries & string>(
    name: TName,
    input: TQueries[TName]['input'],
    ...context: ContextArgs<TContext>
  ): Promise<TQueries[TName]['result']>;
  has(name: string): boolean;
  names(): readonly string[];
}

/** A typed query bus; the same shape as the command bus, for reads. */
export function createQueryBus<TContext = undefined>(): QueryBus<Record<never, never>, TContext> {
  const registry = createHandlerRegistry({
    kind: 'query',
    invalid: (name, issues) => new QueryValidationError(name, issues),
    notFound: (name, registered) => new HandlerNotFoundError('query', name, registered),
  });
  const bus = {
    register(name: string, schema: z.ZodType, handler: Handler) {
      registry.add(name, schema, handler);
      return bus;
    },
    execute: (name: string, input: unknown, context?: TContext) => registry.run(name, input, context),
    has: (name: string) => registry.has(name),
    names: () => registry.names(),
  };
  return bus as unknown as QueryBus<Record<never, never>, TContext>;
}
