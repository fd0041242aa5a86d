import { randomUUID } from 'node:crypto';
import {
  createAggregateRepository,
  createCommandHandler,
  decideEvents,
  DomainError,
  isConcurrencyError,
  isDomainError,
  type AppendOptions,
  type AppendResult,
  type NewEvent,
  type EventStore,
  type SnapshotStore,
  type TransactionScope,
} from '@eventfold/core';
import type { ReservationCreatedData, ReservationEvent } from '@eventfold/shared-schema/reservation';
import type { RecordedEvent } from '@eventfold/shared-schema';
import type { SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { GatewayDatabase } from '../db/database';
import {
  IdempotencyKeyReusedError,
  NotYetCreatedError,
  ReservationNotFoundError,
  RetriesExhaustedError,
  isRetriesExhaustedError,
  VersionMismatchError,
  VersionNotFoundError,
  findCause,
  isRoomUnavailableError,
  RoomUnavailableError,
} from '../errors';
import { toProblem } from '../http/problem';
import type { ReservationView } from '../http/schemas';
import type { GatewayCounters } from '../metrics';
import type { ReservationQueries } from '../read-models/reservation-queries';
import { viewOfCreated, type InlineCreate } from '../read-models/reservations';
import { requestFingerprint, type IdempotencyStore, type StoredResponse } from './idempotency';
import type { ReservationDomain } from './reservation-domain';
import type { CommandContext, ReservationService, StoredOutcome } from './reservation-service';

/** Runs inside the append's transaction: the inline projections (reservations, room nights). */
export type InlineProjections = (result: AppendResult, scope: TransactionScope) => Promise<void>;

/**
 * A store whose transaction scope also carries the Drizzle transaction, and whose appends take
 * writes that commit with them (`alongside`): store-postgres.
 */
export interface TransactionalStore extends EventStore {
  append(streamId: string, events: readonly NewEvent[], options?: AppendOptions & { readonly alongside?: readonly SQL[] }): Promise<AppendResult>;
  withTransaction<T>(fn: (scope: TransactionScope & { readonly tx: unknown }) => Promise<T>): Promise<T>;
}

export interface ReservationServiceOptions<TState, TCommand> {
  readonly store: TransactionalStore;
  readonly db: GatewayDatabase;
  readonly domain: ReservationDomain<TState, TCommand>;
  readonly inline: InlineProjections;
  /**
   * The inline projections of a new reservation as writes in the create's own statement: a create
   * without an Idempotency-Key is then one round trip. Without it, creates run `inline` in a transaction.
   */
  readonly inlineCreate?: InlineCreate | undefined;
  readonly queries: ReservationQueries;
  readonly idempotency: IdempotencyStore;
  readonly counters: GatewayCounters;
  readonly logger: Logger;
  readonly snapshots?: SnapshotStore | undefined;
  /** Snapshot every N events (0 or undefined: never). */
  readonly snapshotEvery?: number | undefined;
  /** Concurrency retries of a command without If-Match. Default 3. */
  readonly maxRetries?: number;
}

/** The idempotency key is held by a request that committed first: replay its outcome. */
class KeyAlreadyUsed extends Error {}

/**
 * The reservation use cases on eventfold: the aggregate decides, the repository appends with the
 * expected version, and the inline projections (read model + double-booking guard) commit in the
 * same transaction. Queries read the read model; history and time travel read the log.
 */
export function createReservationService<TState, TCommand>(
  options: ReservationServiceOptions<TState, TCommand>,
): ReservationService {
  const { store, db, domain, inline, queries, idempotency, counters } = options;
  const { aggregate } = domain;
  const snapshotOptions =
    options.snapshots !== undefined && aggregate.snapshot !== undefined && (options.snapshotEvery ?? 0) > 0
      ? { snapshots: options.snapshots, snapshotEvery: options.snapshotEvery }
      : {};
  /** The repository every command uses: its saves run the inline projections in their transaction. */
  const repository = createAggregateRepository<TState, ReservationEvent, TCommand>({
    store,
    aggregate,
    onAppended: inline,
    logger: options.logger,
    ...snapshotOptions,
  });
  const maxRetries = options.maxRetries ?? 3;
  const handle = createCommandHandler(repository, { maxRetries, logger: options.logger });

  const metadataOf = (context: CommandContext) => ({ correlationId: context.correlationId });

  const recordAppend = (eventCount: number) => {
    if (eventCount === 0) return;
    counters.appends.inc();
    counters.eventsAppended.inc(undefined, eventCount);
  };

  const recordRefusal = (error: unknown) => {
    if (findCause(error, isRoomUnavailableError) !== undefined) counters.conflicts.inc({ kind: 'room' });
    else if (isConcurrencyError(error) || isRetriesExhaustedError(error)) counters.conflicts.inc({ kind: 'concurrency' });
  };

  const viewAfterWrite = async (reservationId: string): Promise<ReservationView> => {
    const view = await queries.get(reservationId);
    // The read model is written in the same transaction as the events, so this cannot miss.
    if (view === undefined) throw new Error(`read model row of reservation ${reservationId} missing after a write`);
    return view;
  };

  const replay = (stored: StoredResponse, fingerprint: string, key: string): StoredOutcome => {
    if (stored.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
    counters.idempotentReplays.inc();
    return { statusCode: stored.statusCode, body: stored.response, replayed: true };
  };

  /** Runs a command on an existing reservation, honouring If-Match when given. */
  const update = async (reservationId: string, command: TCommand, context: CommandContext): Promise<ReservationView> => {
    try {
      if (context.expectedVersion === undefined) {
        const result = await handle(reservationId, command, { metadata: metadataOf(context) }).catch((error: unknown) => {
          // The handler already reloaded and retried; the stream kept moving.
          throw isConcurrencyError(error) ? new RetriesExhaustedError(reservationId, maxRetries + 1, { cause: error }) : error;
        });
        if (result.version === 0) throw new ReservationNotFoundError(reservationId);
        recordAppend(result.events.length);
      } else {
        await updateAtVersion(reservationId, command, context.expectedVersion, context);
      }
    } catch (error) {
      recordRefusal(error);
      throw error;
    }
    return viewAfterWrite(reservationId);
  };

  /** If-Match: the command applies to exactly that version, or fails with 412 and writes nothing. */
  const updateAtVersion = async (
    reservationId: string,
    command: TCommand,
    expectedVersion: number,
    context: CommandContext,
  ) => {
    const loaded = await repository.load(reservationId);
    if (loaded.version === 0) throw new ReservationNotFoundError(reservationId);
    if (loaded.version !== expectedVersion) {
      counters.conflicts.inc({ kind: 'precondition' });
      throw new VersionMismatchError(reservationId, expectedVersion, loaded.version);
    }
    const events = decideEvents(aggregate, command, loaded.state);
    if (events.length === 0) return;
    try {
      const result = await repository.save(reservationId, events, { expectedVersion, metadata: metadataOf(context) });
      recordAppend(result.events.length);
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      counters.conflicts.inc({ kind: 'precondition' });
      throw new VersionMismatchError(reservationId, expectedVersion, error.actual);
    }
  };

  /** Saves a new reservation's events with expectedVersion 'no_stream' (and its inline projections). */
  type SaveNew = (events: readonly ReservationEvent[]) => Promise<AppendResult>;

  /**
   * A new reservation has no stream yet, so nothing is loaded: decide on the initial state and save
   * with 'no_stream'. A stream that exists after all (a client-chosen id used twice) is refused.
   */
  const createStream = async (reservationId: string, command: TCommand, save: SaveNew): Promise<ReservationView> => {
    let result: AppendResult;
    try {
      result = await save(decideEvents(aggregate, command, aggregate.initialState));
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      throw new DomainError(
        'RESERVATION_ALREADY_EXISTS',
        `Reservation ${reservationId} already exists; create it once, or leave reservationId out to get a new one.`,
        { reservationId },
      );
    }
    recordAppend(result.events.length);
    return viewOfCreated(result.events[0] as RecordedEvent<'ReservationCreated', ReservationCreatedData>);
  };

  /** Through the repository, whose save runs the inline projections in a transaction. */
  const saveThroughRepository =
    (reservationId: string, context: CommandContext): SaveNew =>
    (events) =>
      repository.save(reservationId, events, { expectedVersion: 'no_stream', metadata: metadataOf(context) });

  /**
   * In one statement: the append and the inline projections' writes (read-model row, nights) commit
   * together or not at all, in one round trip. A night held by another reservation fails the
   * statement, and nothing is written.
   */
  const saveInOneStatement =
    (inlineCreate: InlineCreate, reservationId: string, context: CommandContext): SaveNew =>
    async (events) => {
      const [created, ...more] = events;
      if (created?.type !== 'ReservationCreated' || more.length > 0) return saveThroughRepository(reservationId, context)(events);
      const { data } = created;
      try {
        return await store.append(repository.streamIdOf(reservationId), [{ type: created.type, data, metadata: metadataOf(context) }], {
          expectedVersion: 'no_stream',
          streamType: aggregate.type,
          alongside: inlineCreate.writes(data),
        });
      } catch (error) {
        if (inlineCreate.isRoomTaken(error)) throw new RoomUnavailableError(data.roomId, data.checkInDate, data.nights, { cause: error });
        throw error;
      }
    };

  const requireExisting = async (reservationId: string): Promise<void> => {
    if ((await store.streamVersion(repository.streamIdOf(reservationId))) === 0) {
      throw new ReservationNotFoundError(reservationId);
    }
  };

  return {
    async create(command, context) {
      const reservationId = command.reservationId ?? randomUUID();
      const key = context.idempotencyKey;
      if (key === undefined) {
        try {
          const save =
            options.inlineCreate === undefined
              ? saveThroughRepository(reservationId, context)
              : saveInOneStatement(options.inlineCreate, reservationId, context);
          const view = await createStream(reservationId, domain.create(reservationId, command), save);
          return { statusCode: 201, body: view, replayed: false };
        } catch (error) {
          recordRefusal(error);
          throw error;
        }
      }

      const fingerprint = requestFingerprint(command);
      // No lookup first: claiming the key is the transaction's first statement and finds a used key
      // as well, so a first request (the common case) saves a round trip; a repeat pays two more.
      try {
        const view = await store.withTransaction(async (scope) => {
          const tx = scope.tx as GatewayDatabase;
          if (!(await idempotency.claim(tx, key, fingerprint))) throw new KeyAlreadyUsed();
          // A repository on the transaction's store, without snapshots (the snapshot store reads
          // outside the transaction, and a new reservation has none) and without onAppended, which
          // would nest a savepoint (two more round trips): the inline projections run right after
          // the append instead, in this transaction, so a refusal still rolls everything back.
          const repo = createAggregateRepository<TState, ReservationEvent, TCommand>({ store: scope.store, aggregate, logger: options.logger });
          const created = await createStream(reservationId, domain.create(reservationId, command), async (events) => {
            const result = await repo.save(reservationId, events, { expectedVersion: 'no_stream', metadata: metadataOf(context) });
            await inline(result, scope);
            return result;
          });
          await idempotency.complete(tx, key, 201, created);
          return created;
        });
        return { statusCode: 201, body: view, replayed: false };
      } catch (error) {
        if (error instanceof KeyAlreadyUsed) {
          const stored = await idempotency.find(db, key);
          if (stored !== undefined) return replay(stored, fingerprint, key);
        }
        recordRefusal(error);
        // A refusal is part of the first outcome too: the same request gets the same 409 again.
        if (findCause(error, isDomainError) !== undefined || findCause(error, isRoomUnavailableError) !== undefined) {
          const { problem } = toProblem(error);
          if (!(await idempotency.save(db, key, { fingerprint, statusCode: problem.status, response: problem }))) {
            const stored = await idempotency.find(db, key);
            if (stored !== undefined) return replay(stored, fingerprint, key);
          }
        }
        throw error;
      }
    },

    async confirm(reservationId, context) {
      await requireExisting(reservationId);
      return update(reservationId, domain.confirm(reservationId), context);
    },

    async cancel(reservationId, command, context) {
      await requireExisting(reservationId);
      return update(reservationId, domain.cancel(reservationId, command), context);
    },

    async changeDates(reservationId, command, context) {
      await requireExisting(reservationId);
      return update(reservationId, domain.changeDates(reservationId, command), context);
    },

    get: (reservationId) => queries.get(reservationId),

    list: (query) => queries.list(query),

    async history(reservationId) {
      const events = [];
      for await (const event of store.readStream(repository.streamIdOf(reservationId))) {
        events.push({
          id: event.id,
          type: event.type,
          version: event.version,
          globalPosition: event.globalPosition,
          occurredAt: event.occurredAt.toISOString(),
          data: event.data as Record<string, unknown>,
          metadata: event.metadata as Record<string, unknown>,
        });
      }
      if (events.length === 0) throw new ReservationNotFoundError(reservationId);
      return { reservationId, version: events.at(-1)?.version ?? 0, events };
    },

    async at(reservationId, point) {
      const current = await store.streamVersion(repository.streamIdOf(reservationId));
      if (current === 0) throw new ReservationNotFoundError(reservationId);
      if ('atVersion' in point && point.atVersion > current) {
        throw new VersionNotFoundError(reservationId, point.atVersion, current);
      }
      const loaded = await repository.load(reservationId, 'asOf' in point ? { asOf: point.asOf } : { atVersion: point.atVersion });
      const state = loaded.version === 0 ? undefined : domain.describe(loaded.state);
      if (state === undefined) {
        throw new NotYetCreatedError(reservationId, 'asOf' in point ? point.asOf : new Date(0));
      }
      return {
        id: reservationId,
        version: loaded.version,
        asOf: 'asOf' in point ? point.asOf.toISOString() : null,
        atVersion: 'atVersion' in point ? point.atVersion : null,
        state,
      };
    },
  };
}
