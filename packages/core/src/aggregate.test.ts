import { describe, expect, expectTypeOf, it } from 'vitest';
import { initialTally, tally, type TallyCommand, type TallyEvent, type TallyState } from '../test/tally';
import {
  decideEvents,
  defineAggregate,
  foldEvents,
  type CommandOf,
  type EventOfAggregate,
  type StateOf,
} from './aggregate';
import { isDomainError, isInvalidArgumentError } from './errors';

const opened: TallyEvent = { type: 'Opened', data: { owner: 'ada' } };
const added = (amount: number): TallyEvent => ({ type: 'Added', data: { amount } });

describe('defineAggregate', () => {
  it('returns a frozen copy and exposes its types', () => {
    expect(Object.isFrozen(tally)).toBe(true);
    expect(tally.type).toBe('tally');
    expectTypeOf<StateOf<typeof tally>>().toEqualTypeOf<TallyState>();
    expectTypeOf<EventOfAggregate<typeof tally>>().toEqualTypeOf<TallyEvent>();
    expectTypeOf<CommandOf<typeof tally>>().toEqualTypeOf<TallyCommand>();
  });

  it.each([
    ['an empty type', { type: '' }],
    ['a type with a dash', { type: 'tally-x' }],
    ['a type starting with a digit', { type: '1tally' }],
    ['a missing evolve', { evolve: undefined }],
    ['a missing decide', { decide: 'no' }],
    ['snapshot.schemaVersion 0', { snapshot: { schemaVersion: 0 } }],
    ['a fractional snapshot.schemaVersion', { snapshot: { schemaVersion: 1.5 } }],
  ])('refuses %s', (_label, change) => {
    let caught: unknown;
    try {
      defineAggregate({ ...tally, ...change } as never);
    } catch (error) {
      caught = error;
    }
    expect(isInvalidArgumentError(caught)).toBe(true);
  });
});

describe('foldEvents', () => {
  it('folds from the initial state, or from a given state', () => {
    const state = foldEvents(tally, [opened, added(2), added(3)]);
    expect(state).toEqual({ status: 'open', owner: 'ada', total: 5, amounts: [2, 3] });
    expect(foldEvents(tally, [added(4)], state).amounts).toEqual([2, 3, 4]);
    expect(foldEvents(tally, [])).toBe(initialTally);
  });
});

describe('decideEvents', () => {
  const open = foldEvents(tally, [opened]);

  it('wraps a single event and passes arrays through', () => {
    expect(decideEvents(tally, { type: 'Open', owner: 'ada' }, initialTally)).toEqual([opened]);
    expect(decideEvents(tally, { type: 'Add', amounts: [1, 2] }, open)).toEqual([added(1), added(2)]);
    expect(decideEvents(tally, { type: 'Add', amounts: [] }, open)).toEqual([]);
  });

  it('lets a DomainError through', () => {
    let caught: unknown;
    try {
      decideEvents(tally, { type: 'Close', reason: 'x' }, initialTally);
    } catch (error) {
      caught = error;
    }
    expect(isDomainError(caught) && caught.reason).toBe('TALLY_NOT_OPEN');
  });

  it.each([
    ['undefined (a missing return)', undefined, /returned undefined/],
    ['an object without a type', { data: {} }, /without a string "type"/],
    ['an array holding a non-event', [{ type: 'Added', data: {} }, 3], /array with a value that is not an event/],
    ['a string', 'Added', /returned a string/],
  ])('refuses a decide that returns %s', (_label, decision, message) => {
    const broken = { type: 'broken', decide: () => decision as never };
    expect(() => decideEvents(broken, {}, {})).toThrow(message);
  });
});
