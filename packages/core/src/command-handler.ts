import type { EventMetadata, RecordedEvent } from '@eventfold/shared-schema';
import { decideEvents, foldEvents, type DomainEvent } from './aggregate';
import type { AggregateRepository } from './aggregate-repository';
import { InvalidArgumentError, isConcurrencyError } from './errors';
import { silentLogger, type Logger } from './logger';

export interface CommandHandlerOptions {
  /** How many times a `ConcurrencyError` is retried (reload, decide again, save) before it is rethrown. Default 3. */
  readonly maxRetries?: number | undefined;
  /** Logs each retry (debug). Default: silent. */
  readonly logger?: Logger | undefined;
}

export interface HandleCommandOptions {
  /** Merged into every event's metadata (correlation id, user id, ...). */
  readonly metadata?: EventMetadata | undefined;
}

/** A recorded event narrowed to each `{ type, data }` of an aggregate's event union. */
export type RecordedEventFor<TEvent> = TEvent extends { readonly type: infer TType extends string; readonly data: infer TData }
  ? RecordedEvent<TType, TData>
  : never;

export interface CommandResult<TState, TEvent extends DomainEvent> {
  /** The stream version after the command (unchanged when it decided no events). */
  readonly version: number;
  /** The events recorded, in order; empty when `decide` returned `[]`. */
  readonly events: readonly RecordedEventFor<TEvent>[];
  /** The state after the events. */
  readonly state: TState;
}

export type CommandHandler<TState, TEvent extends DomainEvent, TCommand> = (
  id: string,
  command: TCommand,
  options?: HandleCommandOptions,
) => Promise<CommandResult<TState, TEvent>>;

/**
 * Handles commands for one aggregate: load, decide, save with the loaded version as the expected
 * version. On a `ConcurrencyError` it reloads and decides again, up to `maxRetries` times, then
 * rethrows. A `DomainError` from `decide` is never retried.
 */
export function createCommandHandler<TState, TEvent extends DomainEvent, TCommand>(
  repository: AggregateRepository<TState, TEvent, TCommand>,
  options: CommandHandlerOptions = {},
): CommandHandler<TState, TEvent, TCommand> {
  const maxRetries = options.maxRetries ?? 3;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidArgumentError(`maxRetries ${String(maxRetries)} is not a non-negative integer.`);
  }
  const logger = options.logger ?? silentLogger;
  const { aggregate } = repository;

  return async (id, command, handleOptions = {}) => {
    for (let attempt = 0; ; attempt++) {
      const loaded = await repository.load(id);
      const events = decideEvents(aggregate, command, loaded.state);
      if (events.length === 0) return { version: loaded.version, events: [], state: loaded.state };
      try {
        const result = await repository.save(id, events, {
          expectedVersion: loaded.version,
          ...(handleOptions.metadata !== undefined && { metadata: handleOptions.metadata }),
        });
        return {
          version: result.nextExpectedVersion,
          events: result.events as readonly RecordedEventFor<TEvent>[],
          state: foldEvents(aggregate, events, loaded.state),
        };
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= maxRetries) throw error;
        logger.debug(
          { streamId: error.streamId, expected: error.expected, actual: error.actual, attempt: attempt + 1, maxRetries },
          'concurrency conflict; reloading and deciding again',
        );
      }
    }
  };
}
