import type { GlobalCheckpoint } from '@eventfold/core';

/** The feed's state, on the one info row of a feed statement (see feedStatement in statements.ts). */
export interface FeedInfoRow {
  readonly tail_transaction_id: string | null;
  readonly tail_position: string | number | null;
  readonly newest_transaction_id: string | null;
  readonly xmin: string;
}

/**
 * A feed statement's row as an array, columns in select order: the event columns (EVENT_COLUMNS,
 * 0-8), the transaction id (9), then the info columns (10-13). The info row has nulls in 0-9, an
 * event row nulls in 10-13.
 */
export type FeedStatementRow = readonly unknown[];

/** Column positions of a feed statement row. */
export const FEED_COLUMN = {
  id: 0,
  globalPosition: 4,
  transactionId: 9,
  tailTransactionId: 10,
  tailPosition: 11,
  newestTransactionId: 12,
  xmin: 13,
} as const;

/**
 * The info row and the event rows of a feed statement's result, the events in feed order. The
 * server sends them in order (straight off the feed index, no sort); SQL does not promise a UNION
 * ALL's order, so a page that arrives otherwise is sorted here.
 */
export function splitFeedRows(rows: readonly FeedStatementRow[]): { info: FeedInfoRow | undefined; events: FeedStatementRow[] } {
  let info: FeedInfoRow | undefined;
  const events: FeedStatementRow[] = [];
  let ordered = true;
  for (const row of rows) {
    if (row[FEED_COLUMN.id] === null) {
      info = {
        tail_transaction_id: row[FEED_COLUMN.tailTransactionId] as string | null,
        tail_position: row[FEED_COLUMN.tailPosition] as string | number | null,
        newest_transaction_id: row[FEED_COLUMN.newestTransactionId] as string | null,
        xmin: row[FEED_COLUMN.xmin] as string,
      };
      continue;
    }
    const previous = events.at(-1);
    if (previous !== undefined && compareFeedRows(previous, row) >= 0) ordered = false;
    events.push(row);
  }
  if (!ordered) events.sort(compareFeedRows);
  return { info, events };
}

/** The (transaction id, position) checkpoint of an event row. */
export function feedRowCheckpoint(row: FeedStatementRow): GlobalCheckpoint {
  return { transactionId: Number(row[FEED_COLUMN.transactionId]), position: Number(row[FEED_COLUMN.globalPosition]) };
}

function compareFeedRows(a: FeedStatementRow, b: FeedStatementRow): number {
  return (
    Number(a[FEED_COLUMN.transactionId]) - Number(b[FEED_COLUMN.transactionId]) ||
    Number(a[FEED_COLUMN.globalPosition]) - Number(b[FEED_COLUMN.globalPosition])
  );
}

/**
 * Whether committed events wait behind an older open transaction: the newest event's transaction
 * is at or above the readers' horizon, so no reader has been able to read it yet (a reader's own
 * uncommitted events, inside its transaction, count too). Undefined without an info row.
 */
export function isHeldBack(info: FeedInfoRow | undefined): boolean | undefined {
  if (info === undefined) return undefined;
  if (info.newest_transaction_id === null) return false;
  return Number(info.newest_transaction_id) >= Number(info.xmin);
}
