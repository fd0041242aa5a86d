import { InvalidArgumentError } from './errors';

/** The `{ type, data }` shape of every domain event an aggregate emits and folds. */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** What `decide` returns: one event, or several (an empty array means "nothing to record"). */
export type Decision<TEvent extends DomainEvent> = TEvent | readonly TEvent[];

/** Snapshot settings of an aggregate. */
export interface AggregateSnapshotOptions<TState> {
  /**
   * Version of the state's shape. Raise it whenever the state type changes: snapshots of another
   * version are ignored on load (and the state is rebuilt from events).
   */
  readonly schemaVersion: number;
  /** State -> JSON-serialisable value. Default: the state itself (it must then be plain JSON). */
  readonly toSnapshot?: (state: TState) => unknown;
  /** The stored value -> state (revive Dates, Maps, ...). Default: the stored value itself. */
  readonly fromSnapshot?: (stored: unknown) => TState;
}

export interface AggregateDefinition<TState, TEvent extends DomainEvent, TCommand> {
  /**
   * The aggregate kind, used as the stream type and, by default, as the stream id prefix
   * (`reservation` -> `reservation-<id>`). Letters, digits, `_` and `.`, starting with a letter.
   */
  readonly type: string;
  /** The state before the first event. Never mutated. */
  readonly initialState: TState;
  /** Pure: the state after `event`. Must not mutate `state`. */
  readonly evolve: (state: TState, event: TEvent) => TState;
  /** Pure: the events `command` causes in `state`, or throws a `DomainError` to refuse it. */
  readonly decide: (command: TCommand, state: TState) => Decision<TEvent>;
  readonly snapshot?: AggregateSnapshotOptions<TState> | undefined;
}

/** A checked, frozen aggregate definition. */
export type Aggregate<TState, TEvent extends DomainEvent, TCommand> = Readonly<AggregateDefinition<TState, TEvent, TCommand>>;

/** The state type of an aggregate. */
export type StateOf<TAggregate> = TAggregate extends Aggregate<infer TState, infer _E, infer _C> ? TState : never;
/** The event union of an aggregate. */
export type EventOfAggregate<TAggregate> = TAggregate extends Aggregate<infer _S, infer TEvent, infer _C> ? TEvent : never;
/** The command type of an aggregate. */
export type CommandOf<TAggregate> = TAggregate extends Aggregate<infer _S, infer _E, infer TCommand> ? TCommand : never;

const AGGREGATE_TYPE = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/;

/**
 * Declares an aggregate as two pure functions over a state: `decide` (command -> events) and
 * `evolve` (state + event -> state). State is a fold over events.
 */
export function defineAggregate<TState, TEvent extends DomainEvent, TCommand>(
  definition: AggregateDefinition<TState, TEvent, TCommand>,
): Aggregate<TState, TEvent, TCommand> {
  const { type, evolve, decide, snapshot } = definition;
  if (typeof type !== 'string' || !AGGREGATE_TYPE.test(type)) {
    throw new InvalidArgumentError(
      `Invalid aggregate type ${JSON.stringify(type) ?? String(type)}: use 1 to 100 letters, digits, "_" or ".", starting with a letter (no "-", which separates the stream id).`,
    );
  }
  if (typeof evolve !== 'function' || typeof decide !== 'function') {
    throw new InvalidArgumentError(`Aggregate "${type}" needs evolve(state, event) and decide(command, state) functions.`);
  }
  if (snapshot !== undefined) {
    if (!Number.isSafeInteger(snapshot.schemaVersion) || snapshot.schemaVersion < 1) {
      throw new InvalidArgumentError(
        `Aggregate "${type}" has snapshot.schemaVersion ${String(snapshot.schemaVersion)}: use a positive integer.`,
      );
    }
  }
  return Object.freeze({ ...definition });
}

/** Folds `events` into `state` (default: the aggregate's initial state). */
export function foldEvents<TState, TEvent extends DomainEvent>(
  aggregate: Pick<Aggregate<TState, TEvent, never>, 'evolve' | 'initialState'>,
  events: Iterable<TEvent>,
  state: TState = aggregate.initialState,
): TState {
  let current = state;
  for (const event of events) current = aggregate.evolve(current, event);
  return current;
}

/**
 * Runs `decide` and returns its events as an array, checking that it returned events at all (a
 * missing `return` is the usual bug) and that each has a string `type`.
 */
export function decideEvents<TState, TEvent extends DomainEvent, TCommand>(
  aggregate: Pick<Aggregate<TState, TEvent, TCommand>, 'decide' | 'type'>,
  command: TCommand,
  state: TState,
): readonly TEvent[] {
  const decision: unknown = aggregate.decide(command, state);
  const events = (Array.isArray(decision) ? decision : [decision]) as unknown[];
  for (const event of events) {
    if (typeof event !== 'object' || event === null || typeof (event as { type?: unknown }).type !== 'string') {
      throw new InvalidArgumentError(
        `decide() of aggregate "${aggregate.type}" returned ${describe(decision)}: return an event { type, data }, ` +
          'an array of events ([] for none), or throw a DomainError.',
      );
    }
  }
  return events as TEvent[];
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array with a value that is not an event';
  return typeof value === 'object' ? 'an object without a string "type"' : `a ${typeof value}`;
}
