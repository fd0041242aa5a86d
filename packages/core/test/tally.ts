// A tiny aggregate for core's tests: a tally that is opened, added to, and closed.
import { defineAggregate } from '../src/aggregate';
import { DomainError } from '../src/errors';

export type TallyEvent =
  | { readonly type: 'Opened'; readonly data: { readonly owner: string } }
  | { readonly type: 'Added'; readonly data: { readonly amount: number } }
  | { readonly type: 'Closed'; readonly data: { readonly reason: string } };

export type TallyCommand =
  | { readonly type: 'Open'; readonly owner: string }
  | { readonly type: 'Add'; readonly amounts: readonly number[] }
  | { readonly type: 'Close'; readonly reason: string };

export interface TallyState {
  readonly status: 'none' | 'open' | 'closed';
  readonly owner: string;
  readonly total: number;
  /** Every amount in order, so a fold that skips or repeats an event shows. */
  readonly amounts: readonly number[];
}

export const initialTally: TallyState = { status: 'none', owner: '', total: 0, amounts: [] };

export const tally = defineAggregate<TallyState, TallyEvent, TallyCommand>({
  type: 'tally',
  initialState: initialTally,
  snapshot: { schemaVersion: 1 },
  evolve(state, event) {
    switch (event.type) {
      case 'Opened':
        return { ...state, status: 'open', owner: event.data.owner };
      case 'Added':
        return { ...state, total: state.total + event.data.amount, amounts: [...state.amounts, event.data.amount] };
      case 'Closed':
        return { ...state, status: 'closed' };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.status !== 'none') throw new DomainError('TALLY_EXISTS', 'This tally is already open.');
        return { type: 'Opened', data: { owner: command.owner } };
      case 'Add':
        if (state.status !== 'open') throw new DomainError('TALLY_NOT_OPEN', `Cannot add to a tally that is ${state.status}.`);
        return command.amounts.map((amount) => ({ type: 'Added', data: { amount } }) as const);
      case 'Close':
        if (state.status !== 'open') throw new DomainError('TALLY_NOT_OPEN', `Cannot close a tally that is ${state.status}.`);
        return [{ type: 'Closed', data: { reason: command.reason } }];
    }
  },
});
