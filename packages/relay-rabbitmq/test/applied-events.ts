// An inbox consumer that records every applied event in a table, to check "exactly once" and order.
import { uniqueName } from '@eventfold/testing';
import { sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { expect } from 'vitest';
import { createRabbitConsumer, type RabbitConsumer } from '../src/consumer';
import { migrateInbox } from '../src/inbox';

export interface AppliedEvents {
  readonly consumer: RabbitConsumer;
  readonly consumerName: string;
  readonly queue: string;
  readonly deadLetterExchange: string;
  count(): Promise<number>;
  /** Asserts every id was applied exactly once, and each stream's events were applied in version order. */
  expectExactlyOnce(ids: readonly string[]): Promise<void>;
}

export async function startAppliedEventsConsumer(db: NodePgDatabase, amqpUrl: string, exchange: string): Promise<AppliedEvents> {
  await migrateInbox(db, { schema: 'app' });
  await db.execute(sql`create table if not exists app.applied (
    seq bigserial primary key, event_id uuid not null, stream_id text not null, version int not null)`);
  const consumerName = uniqueName('applier');
  const queue = uniqueName('q_applied');
  const deadLetterExchange = uniqueName('dlx');
  const consumer = createRabbitConsumer({
    amqpUrl,
    queue,
    exchange,
    bindings: ['event.#'],
    inbox: { db, schema: 'app', consumerName },
    prefetch: 200,
    concurrency: 8,
    deadLetterExchange,
    reconnectBackoff: { initialMs: 20, maxMs: 200 },
    handler: async (event, { tx }) => {
      await tx.execute(
        sql`insert into app.applied (event_id, stream_id, version) values (${event.id}, ${event.streamId}, ${event.version})`,
      );
    },
  });
  await consumer.start();
  const count = async (): Promise<number> => {
    const { rows } = await db.execute(sql`select count(*)::int as n from app.applied`);
    return (rows[0] as { n: number }).n;
  };
  return {
    consumer,
    consumerName,
    queue,
    deadLetterExchange,
    count,
    async expectExactlyOnce(ids) {
      const { rows } = await db.execute(sql`select event_id, stream_id, version from app.applied order by seq`);
      const applied = rows as Array<{ event_id: string; stream_id: string; version: number }>;
      const appliedIds = applied.map((row) => row.event_id);
      expect(appliedIds.length).toBe(ids.length);
      expect(new Set(appliedIds).size).toBe(ids.length);
      expect(new Set(appliedIds)).toEqual(new Set(ids));
      const next = new Map<string, number>();
      const outOfOrder: string[] = [];
      for (const row of applied) {
        const expected = next.get(row.stream_id) ?? 1;
        if (row.version !== expected) outOfOrder.push(`${row.stream_id}: applied v${row.version}, expected v${expected}`);
        next.set(row.stream_id, row.version + 1);
      }
      expect(outOfOrder.slice(0, 5)).toEqual([]);
    },
  };
}
