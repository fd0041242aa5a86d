// Appends new reservations at RATE events/s for SECONDS from its own process (like a service's
// writers), then exits. Env: BENCH_DATABASE_URL, RATE (default 1000), SECONDS (default 20).
// Prints, per event, when its append was acknowledged (committed): {"id":..,"committedAt":ms}.
import { randomUUID } from 'node:crypto';
import { createPostgresEventStore } from '@eventfold/store-postgres';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';

const rate = Number(process.env['RATE'] ?? 1000);
const seconds = Number(process.env['SECONDS'] ?? 20);
const pool = new pg.Pool({ connectionString: process.env['BENCH_DATABASE_URL'], max: 12, application_name: 'bench-writers' });
const store = createPostgresEventStore({ db: drizzle(pool) });

// 100 ticks per second, each appending rate/100 single-event streams concurrently.
const perTick = Math.max(1, Math.round(rate / 100));
const started = performance.now();
const pending: Array<Promise<unknown>> = [];
const acknowledged: string[] = [];
for (let tick = 0; tick < seconds * 100; tick += 1) {
  for (let i = 0; i < perTick; i += 1) {
    const id = randomUUID();
    pending.push(
      store
        .append(`reservation-${id}`, [
          {
            type: 'ReservationCreated',
            data: { reservationId: id, guestId: randomUUID(), guestName: 'Live Guest', roomId: randomUUID(), checkInDate: '2027-05-01', nights: 2 },
          },
        ])
        .then((result) => {
          const committedAt = Date.now();
          for (const event of result.events) acknowledged.push(`{"id":"${event.id}","committedAt":${committedAt}}`);
        }),
    );
  }
  const wait = started + (tick + 1) * 10 - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
await Promise.all(pending);
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(`${acknowledged.join('\n')}\n`);
console.log(JSON.stringify({ appended: pending.length, seconds: Math.round(elapsed * 100) / 100 }));
await store.close();
await pool.end();
