import { describe, expect, it } from 'vitest';
import { feedRowCheckpoint, isHeldBack, splitFeedRows, type FeedStatementRow } from './feed-rows';

// Array rows as the feed statements return them: event columns 0-8, transaction id 9, info 10-13.
function event(transactionId: number, position: number): FeedStatementRow {
  const id = `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`;
  return [id, 's', 't', position, String(position), 'T', {}, {}, 0, String(transactionId), null, null, null, null];
}

const infoRow: FeedStatementRow = [null, null, null, null, null, null, null, null, null, null, '9', '30', '9', '10'];

describe('splitFeedRows', () => {
  it('takes the info row apart from the events and keeps an ordered page as it is', () => {
    const rows = [infoRow, event(5, 3), event(5, 7), event(8, 1)];
    const { info, events } = splitFeedRows(rows);
    expect(info).toEqual({ tail_transaction_id: '9', tail_position: '30', newest_transaction_id: '9', xmin: '10' });
    expect(events).toEqual(rows.slice(1));
  });

  it('sorts a page the server sent out of order by (transaction id, position), numerically', () => {
    const { info, events } = splitFeedRows([event(10, 2), event(9, 30), infoRow, event(10, 1), event(9, 4)]);
    expect(info?.xmin).toBe('10');
    expect(events.map(feedRowCheckpoint)).toEqual([
      { transactionId: 9, position: 4 },
      { transactionId: 9, position: 30 },
      { transactionId: 10, position: 1 },
      { transactionId: 10, position: 2 },
    ]);
  });

  it('gives no info for a result without one', () => {
    expect(splitFeedRows([]).info).toBeUndefined();
  });
});

describe('isHeldBack', () => {
  const info = (newest: string | null, xmin: string) => ({ tail_transaction_id: null, tail_position: null, newest_transaction_id: newest, xmin });

  it('is true when the newest event belongs to a transaction at or above the horizon, numerically', () => {
    expect(isHeldBack(info('10', '10'))).toBe(true);
    expect(isHeldBack(info('100', '99'))).toBe(true);
  });

  it('is false when every event is below the horizon, or there is none', () => {
    expect(isHeldBack(info('9', '10'))).toBe(false);
    expect(isHeldBack(info('99', '100'))).toBe(false);
    expect(isHeldBack(info(null, '10'))).toBe(false);
  });

  it('is undefined without an info row', () => {
    expect(isHeldBack(undefined)).toBeUndefined();
  });
});
