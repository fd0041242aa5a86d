import { describe, expect, it } from 'vitest';
import { splitFeedRows, type FeedStatementRow } from './feed-rows';

const info = { tail_transaction_id: '9', tail_position: '30', newest_transaction_id: '9', xmin: '10' };
const noInfo = { tail_transaction_id: null, tail_position: null, newest_transaction_id: null, xmin: null };

function event(transactionId: number, position: number): FeedStatementRow {
  return {
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    stream_id: 's',
    stream_type: 't',
    version: position,
    global_position: String(position),
    type: 'T',
    data: {},
    metadata: {},
    occurred_ms: 0,
    transaction_id: String(transactionId),
    ...noInfo,
  };
}

const infoRow = {
  id: null, stream_id: null, stream_type: null, version: null, global_position: null, type: null,
  data: null, metadata: null, occurred_ms: null, transaction_id: null, ...info,
} as FeedStatementRow;

describe('splitFeedRows', () => {
  it('takes the info row apart from the events and keeps an ordered page as it is', () => {
    const rows = [infoRow, event(5, 3), event(5, 7), event(8, 1)];
    const { info: found, events } = splitFeedRows(rows);
    expect(found).toBe(infoRow);
    expect(events).toEqual(rows.slice(1));
  });

  it('sorts a page the server sent out of order by (transaction id, position), numerically', () => {
    const { info: found, events } = splitFeedRows([event(10, 2), event(9, 30), infoRow, event(10, 1), event(9, 4)]);
    expect(found).toBe(infoRow);
    expect(events.map((row) => [row.transaction_id, row.global_position])).toEqual([
      ['9', '4'],
      ['9', '30'],
      ['10', '1'],
      ['10', '2'],
    ]);
  });

  it('gives no info for a result without one', () => {
    expect(splitFeedRows([]).info).toBeUndefined();
  });
});
