import { afterAll, describe, expect, it } from 'vitest';
import { storeStatements } from './statements';
import { serverFixture } from './test-support/databases';

// Prepared statements switch to a generic plan after five runs, planned without the parameter
// values. A generic plan that scans the whole events table makes every call O(log size): a reader
// waiting at the head of a 1M-event log spent ~300 ms per wake-up that way. These tests force the
// generic plan on a log large enough for the planner to care and check that it walks an index.
const fixture = await serverFixture('the query plan tests');

const EVENTS = 60_000;

describe.skipIf(fixture === undefined)('generic plans of the feed statements', () => {
  afterAll(() => fixture?.dispose());
  const statements = storeStatements('eventfold');

  /** The plan of `text` run with `params`, as PostgreSQL's JSON plan tree. */
  async function genericPlan(text: string, params: readonly unknown[]): Promise<string> {
    const client = await fixture!.pool.connect();
    try {
      await client.query('set plan_cache_mode = force_generic_plan');
      await client.query(`prepare plan_check as ${text}`);
      // EXPLAIN EXECUTE takes no bind parameters: the (test-owned) values go in as literals.
      const literal = (value: unknown): string =>
        typeof value === 'number'
          ? String(value)
          : Array.isArray(value)
            ? `array[${value.map(literal).join(', ')}]::text[]`
            : client.escapeLiteral(String(value));
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(`explain (format json) execute plan_check(${params.map(literal).join(', ')})`);
      return JSON.stringify(rows[0]?.['QUERY PLAN']);
    } finally {
      await client.query('deallocate all').catch(() => undefined);
      await client.query('reset plan_cache_mode').catch(() => undefined);
      client.release();
    }
  }

  /** True when some node of the plan reads the events table sequentially. */
  function scansEvents(plan: string): boolean {
    const visit = (node: unknown): boolean => {
      if (typeof node !== 'object' || node === null) return false;
      const record = node as Record<string, unknown>;
      if (record['Node Type'] === 'Seq Scan' && record['Relation Name'] === 'events') return true;
      return Object.values(record).some((value) => (Array.isArray(value) ? value.some(visit) : visit(value)));
    };
    return visit(JSON.parse(plan));
  }

  // 40 event types and 20 stream types: in a generic plan each filter value then stands for 1/40
  // (1/20) of the log, so the planner should take the filter's own index rather than walk the feed.
  it('seeds a log the planner takes seriously', async () => {
    await fixture!.pool.query(
      `insert into eventfold.events (stream_id, stream_type, version, event_id, type, data)
       select 'plan-' || (g / 4), 'plan' || (g / 4 % 20), g % 4 + 1, gen_random_uuid(), 'Type' || (g % 40), '{}'::jsonb
         from generate_series(0, $1::int - 1) g`,
      [EVENTS],
    );
    await fixture!.pool.query('analyze eventfold.events');
    const { rows } = await fixture!.pool.query<{ n: string }>('select count(*) as n from eventfold.events');
    expect(Number(rows[0]?.n)).toBe(EVENTS);
  });

  // A checkpoint past the head: the reader is caught up, the case a waiting reader runs all day.
  const head = ['999999999', 999_999_999] as const;

  it('hasReadableAfter walks the feed index from the checkpoint', async () => {
    const plan = await genericPlan(statements.hasReadableAfter.text, head);
    expect(plan).toContain('events_feed_idx');
    expect(scansEvents(plan)).toBe(false);
  });

  it.each([
    ['all', [], 'events_feed_idx'],
    ['types', [['Type1', 'Type2']], 'events_type_feed_idx'],
    ['streamTypes', [['plan1']], 'events_stream_type_feed_idx'],
    ['both', [['Type1'], ['plan1']], 'events_type_feed_idx'],
  ] as const)('the %s feed page never scans the whole table: it walks %s', async (filter, filters, index) => {
    const plan = await genericPlan(statements.feed[filter].text, [...head, 501, ...filters]);
    expect(scansEvents(plan)).toBe(false);
    expect(plan).toContain(`"Index Name":"${index}"`);
  });

  it('the check recognises a whole-table scan', async () => {
    // The unordered EXISTS the store used before: its generic plan scans the table.
    const plan = await genericPlan(
      `select exists (select 1 from eventfold.events e
          where (e.transaction_id, e.global_position) > ($1::text::xid8, $2::bigint)) as readable`,
      head,
    );
    expect(scansEvents(plan)).toBe(true);
  });
});
