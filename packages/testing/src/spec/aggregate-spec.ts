import {
  decideEvents,
  foldEvents,
  isDomainError,
  type Aggregate,
  type DomainEvent,
} from '@eventfold/core';
import { expect } from 'vitest';

/** After `given(...)`: the history is set, send a command. */
export interface GivenSpec<TState, TEvent extends DomainEvent, TCommand> {
  /** Runs `decide(command, state)` on the state folded from the given events. */
  when(command: TCommand): WhenSpec<TState, TEvent>;
  /** Asserts the state folded from the given events alone. */
  thenState(expected: TState | ((state: TState) => void)): void;
}

/** After `when(...)`: assert what the command did. */
export interface WhenSpec<TState, TEvent extends DomainEvent> {
  /** Asserts `decide` returned exactly these events, in order (none: the command changes nothing). */
  then(...expected: readonly TEvent[]): void;
  /**
   * Asserts `decide` refused the command: with a `DomainError` of this `reason`, or with an error
   * the predicate accepts.
   */
  thenThrows(expected: string | ((error: unknown) => boolean)): void;
  /** Asserts the state after the given events and the decided ones (checks `evolve` handles them). */
  thenState(expected: TState | ((state: TState) => void)): void;
}

/**
 * Given/when/then specs for an aggregate's pure `decide`/`evolve`; no store involved.
 *
 * ```ts
 * const givenReservation = given(reservationAggregate);
 * givenReservation(created).when(confirm).then(confirmed);
 * givenReservation(created, cancelled).when(confirm).thenThrows('RESERVATION_CANCELLED');
 * givenReservation().when(confirm).thenThrows('RESERVATION_NOT_FOUND');
 * ```
 *
 * Events, states and commands are deep-frozen before `decide` and `evolve` see them, so an aggregate
 * that mutates its input fails its specs instead of corrupting state in production.
 */
export function given<TState, TEvent extends DomainEvent, TCommand>(
  aggregate: Aggregate<TState, TEvent, TCommand>,
): (...history: readonly TEvent[]) => GivenSpec<TState, TEvent, TCommand> {
  return (...history) => {
    const state = deepFreeze(foldEvents(aggregate, history.map(deepFreeze)));
    return {
      when: (command) => whenSpec(aggregate, state, deepFreeze(command)),
      thenState: (expected) => assertState(state, expected, `state after ${describeEvents(history)}`),
    };
  };
}

type Outcome<TEvent> = { readonly ok: true; readonly events: readonly TEvent[] } | { readonly ok: false; readonly error: unknown };

function whenSpec<TState, TEvent extends DomainEvent, TCommand>(
  aggregate: Aggregate<TState, TEvent, TCommand>,
  state: TState,
  command: TCommand,
): WhenSpec<TState, TEvent> {
  let outcome: Outcome<TEvent> | undefined;
  // decide runs once, on the first assertion, so a spec without an assertion does nothing.
  const decided = (): Outcome<TEvent> => {
    if (outcome === undefined) {
      try {
        outcome = { ok: true, events: decideEvents(aggregate, command, state).map(deepFreeze) };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    return outcome;
  };
  const eventsOrFail = (expectation: string): readonly TEvent[] => {
    const result = decided();
    if (!result.ok) {
      expect.fail(
        `Expected ${expectation} for ${describeCommand(command)}, but decide threw ${describeError(result.error)}. ` +
          '(Given events, states and commands are frozen: decide and evolve must not mutate them.)',
      );
    }
    return result.events;
  };

  return {
    then(...expected) {
      if (typeof expected[0] === 'function') {
        // Someone awaited the spec: `await given(...).when(...)` calls then(resolve, reject).
        throw new TypeError('A spec is not a promise: call .then(...events) or .thenThrows(...) on it, without await.');
      }
      const events = eventsOrFail(expected.length === 0 ? 'no events' : describeEvents(expected));
      expect(events, `events decided for ${describeCommand(command)}`).toEqual(expected);
      foldEvents(aggregate, events, state); // evolve must accept what decide emits
    },
    thenThrows(expected) {
      const result = decided();
      if (result.ok) {
        expect.fail(
          `Expected ${describeCommand(command)} to be refused${typeof expected === 'string' ? ` with ${expected}` : ''}, ` +
            `but decide returned ${describeEvents(result.events)}.`,
        );
      }
      if (typeof expected === 'function') {
        expect(expected(result.error), `the error predicate rejected ${describeError(result.error)}`).toBe(true);
        return;
      }
      if (!isDomainError(result.error)) {
        expect.fail(`Expected a DomainError with reason ${expected}, but decide threw ${describeError(result.error)}.`);
      }
      expect(result.error.reason, `reason of the DomainError for ${describeCommand(command)}`).toBe(expected);
    },
    thenState(expected) {
      const events = eventsOrFail('events');
      assertState(foldEvents(aggregate, events, state), expected, `state after ${describeCommand(command)}`);
    },
  };
}

function assertState<TState>(state: TState, expected: TState | ((state: TState) => void), label: string): void {
  if (typeof expected === 'function') (expected as (state: TState) => void)(state);
  else expect(state, label).toEqual(expected);
}

function deepFreeze<T>(value: T): T {
  // Typed arrays cannot be frozen; they are rare in events and states, so they are left as they are.
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

function describeEvents(events: readonly DomainEvent[]): string {
  return events.length === 0 ? 'no events' : `[${events.map((event) => event.type).join(', ')}]`;
}

function describeCommand(command: unknown): string {
  const type = (command as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? `command ${type}` : 'the command';
}

function describeError(error: unknown): string {
  if (isDomainError(error)) return `DomainError ${error.reason} ("${error.message}")`;
  if (error instanceof Error) return `${error.name} ("${error.message}")`;
  return String(error);
}
