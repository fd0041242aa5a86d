import type { z } from 'zod';
import { CommandValidationError, HandlerNotFoundError } from './errors';
import { createHandlerRegistry, type Handler } from './handler-registry';

/** What a bus knows about one registered name: the input it accepts and what its handler returns. */
export interface BusEntry {
  readonly input: unknown;
  readonly result: unknown;
}

/** `[context]` when the bus has a required context type, `[context?]` otherwise. */
export type ContextArgs<TContext> = undefined extends TContext ? [context?: TContext] : [context: TContext];

export interface CommandBus<TCommands extends Record<string, BusEntry> = Record<never, never>, TContext = undefined> {
  /**
   * Registers the handler of a command name. The handler gets the input as parsed by `schema` and the
   * context passed to `execute`. Returns the same bus, typed with the new command.
   */
  register<const TName extends string, TSchema extends z.ZodType, TResult>(
    name: TName,
    schema: TSchema,
    handler: (input: z.output<TSchema>, context: TContext) => TResult | Promise<TResult>,
  ): CommandBus<TCommands & Record<TName, { input: z.input<TSchema>; result: TResult }>, TContext>;
  /**
   * Validates `input` with the command's schema (throws `CommandValidationError` naming every failing
   * field, before any handler runs), then runs the handler. Unknown names throw `HandlerNotFoundError`.
   */
  execute<TName extends keyof TCommands & string>(
    name: TName,
    input: TCommands[TName]['input'],
    ...context: ContextArgs<TContext>
  ): Promise<TCommands[TName]['result']>;
  has(name: string): boolean;
  /** Registered command names, in registration order. */
  names(): readonly string[];
}

/**
 * A typed command bus: `createCommandBus<{ userId: string }>().register('CancelReservation', schema, handler)`.
 * The type argument is the context every `execute` passes to handlers (omit it for none).
 */
export function createCommandBus<TContext = undefined>(): CommandBus<Record<never, never>, TContext> {
  const registry = createHandlerRegistry({
    kind: 'command',
    invalid: (name, issues) => new CommandValidationError(name, issues),
    notFound: (name, registered) => new HandlerNotFoundError('command', name, registered),
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
  // The runtime object is the same whatever has been registered; only its static type grows.
  return bus as unknown as CommandBus<Record<never, never>, TContext>;
}
