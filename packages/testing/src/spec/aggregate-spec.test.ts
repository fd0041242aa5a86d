import { defineAggregate, DomainError } from '@eventfold/core';
import { describe, expect, it } from 'vitest';
import { given } from './aggregate-spec';

type DoorEvent = { type: 'Opened'; data: { by: string } } | { type: 'Closed'; data: { by: string } } | { type: 'Locked'; data: { codes: string[] } };
type DoorCommand = { type: 'Open'; by: string } | { type: 'Close'; by: string } | { type: 'Lock'; codes: string[] } | { type: 'Knock' };
interface DoorState {
  readonly open: boolean;
  readonly locked: boolean;
  readonly visitors: readonly string[];
}

const door = defineAggregate<DoorState, DoorEvent, DoorCommand>({
  type: 'door',
  initialState: { open: false, locked: false, visitors: [] },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true, visitors: [...state.visitors, event.data.by] };
      case 'Closed':
        return { ...state, open: false };
      case 'Locked':
        return { ...state, locked: true };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.locked) throw new DomainError('DOOR_LOCKED', 'The door is locked.');
        if (state.open) return [];
        return { type: 'Opened', data: { by: command.by } };
      case 'Close':
        if (!state.open) throw new DomainError('DOOR_ALREADY_CLOSED', 'The door is closed.');
        return [{ type: 'Closed', data: { by: command.by } }];
      case 'Lock':
        if (state.open) throw new DomainError('DOOR_OPEN', 'Close the door first.');
        return { type: 'Locked', data: { codes: command.codes } };
      case 'Knock':
        throw new TypeError('knock handler not written yet');
    }
  },
});

const givenDoor = given(door);
const opened: DoorEvent = { type: 'Opened', data: { by: 'ada' } };
const closed: DoorEvent = { type: 'Closed', data: { by: 'ada' } };

describe('given/when/then', () => {
  it('passes when decide returns the expected events', () => {
    givenDoor().when({ type: 'Open', by: 'ada' }).then(opened);
    givenDoor(opened).when({ type: 'Close', by: 'ada' }).then(closed);
    givenDoor(opened).when({ type: 'Open', by: 'bob' }).then();
  });

  it('passes when decide refuses with the expected reason or predicate', () => {
    givenDoor(opened).when({ type: 'Lock', codes: [] }).thenThrows('DOOR_OPEN');
    givenDoor().when({ type: 'Close', by: 'x' }).thenThrows((error) => error instanceof DomainError && error.details !== undefined);
  });

  it('asserts states after the history and after the command', () => {
    givenDoor(opened, closed).thenState({ open: false, locked: false, visitors: ['ada'] });
    givenDoor(opened, closed)
      .when({ type: 'Open', by: 'bob' })
      .thenState((state) => expect(state.visitors).toEqual(['ada', 'bob']));
  });

  describe('fails', () => {
    it('on other events, naming the command', () => {
      expect(() => givenDoor().when({ type: 'Open', by: 'ada' }).then({ type: 'Opened', data: { by: 'bob' } })).toThrow(
        /events decided for command Open/,
      );
      expect(() => givenDoor().when({ type: 'Open', by: 'ada' }).then()).toThrow(/events decided for command Open/);
    });

    it('when events were expected but decide threw', () => {
      expect(() => givenDoor().when({ type: 'Close', by: 'ada' }).then(closed)).toThrow(
        /Expected \[Closed\] for command Close, but decide threw DomainError DOOR_ALREADY_CLOSED/,
      );
    });

    it('when a refusal was expected but decide returned events', () => {
      expect(() => givenDoor().when({ type: 'Open', by: 'ada' }).thenThrows('DOOR_LOCKED')).toThrow(
        /Expected command Open to be refused with DOOR_LOCKED, but decide returned \[Opened\]/,
      );
    });

    it('on another reason, a non-domain error, or a rejecting predicate', () => {
      expect(() => givenDoor(opened).when({ type: 'Lock', codes: [] }).thenThrows('DOOR_LOCKED')).toThrow(/reason of the DomainError/);
      expect(() => givenDoor().when({ type: 'Knock' }).thenThrows('DOOR_LOCKED')).toThrow(
        /Expected a DomainError with reason DOOR_LOCKED, but decide threw TypeError \("knock handler not written yet"\)/,
      );
      expect(() => givenDoor(opened).when({ type: 'Lock', codes: [] }).thenThrows(() => false)).toThrow(/the error predicate rejected/);
    });

    it('on another state', () => {
      expect(() => givenDoor(opened).thenState({ open: false, locked: false, visitors: [] })).toThrow(/state after \[Opened\]/);
    });

    it('when awaited like a promise', async () => {
      const spec = givenDoor().when({ type: 'Open', by: 'ada' });
      await expect((async () => await (spec as unknown as Promise<unknown>))()).rejects.toThrow(/A spec is not a promise/);
    });
  });

  describe('catches impure aggregates', () => {
    it('decide mutating the state', () => {
      const mutating = defineAggregate<{ n: number }, { type: 'Bumped'; data: null }, { type: 'Bump' }>({
        type: 'mutating',
        initialState: { n: 0 },
        evolve: (state) => ({ n: state.n + 1 }),
        decide: (_command, state) => {
          state.n += 1;
          return { type: 'Bumped', data: null };
        },
      });
      expect(() => given(mutating)().when({ type: 'Bump' }).then({ type: 'Bumped', data: null })).toThrow(/decide threw TypeError/);
    });

    it('evolve mutating an event', () => {
      const lock: DoorEvent = { type: 'Locked', data: { codes: ['2', '1'] } };
      const sorting = defineAggregate({
        ...door,
        evolve: (state: DoorState, event: DoorEvent) => {
          if (event.type === 'Locked') event.data.codes.sort();
          return state;
        },
      });
      expect(() => given(sorting)(lock)).toThrow(TypeError);
    });
  });
});
