import type { FeedRow } from './recorded-event';

/** The feed's state, on the one info row of a feed statement (see feedStatement in statements.ts). */
export interface FeedInfoRow {
  readonly tail_transaction_id: string | null;
  readonly tail_position: string | number | null;
  readonly newest_transaction_id: string | null;
  readonly xmin: string;
}

/** A row of a feed statement: the info row (event columns null) or an event (info columns null). */
export type FeedStatementRow = (FeedRow & { readonly [K in keyof FeedInfoRow]: null }) | ({ readonly [K in keyof FeedRow]: null } & FeedInfoRow);

/**
 * The info row and the events of a feed statement's result, the events in feed order. The server
 * sends them in order (straight off the feed index, no sort); SQL does not promise a UNION ALL's
 * order, so a page that arrives otherwise is sorted here.
 */
export function splitFeedRows(rows: readonly FeedStatementRow[]): { info: FeedInfoRow | undefined; events: FeedRow[] } {
  let info: FeedInfoRow | undefined;
  const events: FeedRow[] = [];
  let ordered = true;
  for (const row of rows) {
    if (row.id === null) {
      info = row;
      continue;
    }
    const previous = events.at(-1);
    if (previous !== undefined && compareFeedRows(previous, row) >= 0) ordered = false;
    events.push(row);
  }
  if (!ordered) events.sort(compareFeedRows);
  return { info, events };
}

function compareFeedRows(a: FeedRow, b: FeedRow): number {
  return Number(a.transaction_id) - Number(b.transaction_id) || Number(a.global_position) - Number(b.global_position);
}
