import type { AppendResult, TransactionScope } from '@eventfold/core';
import { createProjectionContext } from './context';
import type { ProjectionDatabase } from './database';
import type { Projection } from './define-projection';
import { assertProjectionList } from './projection-list';
import { errorFields, silentLogger, type ProjectorLogger } from './logger';

/** A transaction scope that may carry the Drizzle transaction (the PostgreSQL store's does). */
export type InlineScope = TransactionScope & { readonly tx?: unknown };

/** The hook `createAggregateRepository({ onAppended })` calls inside the append's transaction. */
export type InlineProjectionHook = (result: AppendResult, scope: InlineScope) => Promise<void>;

/**
 * Runs `projections` inside the append's transaction: pass the result as the repository's
 * `onAppended`, or call it yourself inside `store.withTransaction`. The read model is then
 * consistent with the log when the command returns; a handler that throws rolls the append back
 * (the error is a `ProjectionHandlerError` whose `cause` is the handler's error). An idempotent
 * retry (nothing new written) applies nothing.
 *
 * ```ts
 * const repository = createAggregateRepository({ store, aggregate, onAppended: inlineProjections([reservations]) });
 * ```
 */
export function inlineProjections(
  projections: readonly Projection[],
  options: { readonly logger?: ProjectorLogger } = {},
): InlineProjectionHook {
  assertProjectionList(projections);
  const logger = options.logger ?? silentLogger;
  const wanted = projections.map((projection) => ({
    projection,
    types: projection.eventTypes === undefined ? undefined : new Set(projection.eventTypes),
  }));

  return async (result, scope) => {
    if (result.idempotent || result.events.length === 0) return;
    const tx = scope.tx as ProjectionDatabase | undefined;
    for (const { projection, types } of wanted) {
      const events = types === undefined ? result.events : result.events.filter((event) => types.has(event.type));
      if (events.length === 0) continue;
      try {
        await projection.apply(events, createProjectionContext(projection, { mode: 'inline', tx }));
      } catch (error) {
        logger.warn(
          { projection: projection.name, version: projection.version, streamId: result.streamId, ...errorFields(error) },
          'inline projection failed; the append rolls back',
        );
        throw error;
      }
    }
  };
}
