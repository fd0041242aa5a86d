import { describe, expect, it } from 'vitest';
import { feedRowCheckpoint, splitFeedRows, type FeedStatementRow } from './feed-rows';

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
