import { randomInt, randomUUID } from 'node:crypto';
import { findCause, isRoomUnavailableError } from '../errors';
import { createProgressBar } from '../progress-bar';
import { addDays } from '../read-models/dates';
import { openRuntime } from '../runtime';
import type { CommandContext } from './context';

const GUEST_NAMES = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Frances Allen', 'Ken Thompson'];
const WORKERS = 8;
const ATTEMPTS_PER_RESERVATION = 20;

/**
 * `gateway seed --reservations N [--rooms R]`: demo data through the real write path (aggregate,
 * double-booking guard, read models). About half get confirmed and one in ten cancelled.
 */
export async function seedCommand(
  { config, logger, stderr }: CommandContext,
  reservations: number,
  roomCount: number,
): Promise<number> {
  const runtime = await openRuntime(config, { logger, migrate: true });
  const rooms = Array.from({ length: roomCount }, () => randomUUID());
  const guests = GUEST_NAMES.map((name) => ({ id: randomUUID(), name }));
  const today = new Date().toISOString().slice(0, 10);
  const correlationId = `seed-${randomUUID()}`;
  const bar = createProgressBar({ label: 'seed', output: stderr });
  let created = 0;
  let gaveUp = 0;
  let next = 0;

  const seedOne = async () => {
    const guest = guests[randomInt(guests.length)] ?? guests[0]!;
    for (let attempt = 0; attempt < ATTEMPTS_PER_RESERVATION; attempt++) {
      try {
        const outcome = await runtime.service.create(
          {
            guestId: guest.id,
            guestName: guest.name,
            roomId: rooms[randomInt(rooms.length)] ?? rooms[0]!,
            checkInDate: addDays(today, randomInt(1, 366)),
            nights: randomInt(1, 8),
          },
          { correlationId },
        );
        const id = (outcome.body as { id: string }).id;
        const roll = randomInt(100);
        if (roll < 50) await runtime.service.confirm(id, { correlationId });
        if (roll >= 90) await runtime.service.cancel(id, { reason: 'Demo data: plans changed' }, { correlationId });
        created += 1;
        return;
      } catch (error) {
        if (findCause(error, isRoomUnavailableError) === undefined) throw error;
      }
    }
    gaveUp += 1;
  };

  try {
    await Promise.all(
      Array.from({ length: Math.min(WORKERS, reservations) }, async () => {
        while (next < reservations) {
          next += 1;
          await seedOne();
          bar.update(created + gaveUp, reservations);
        }
      }),
    );
    bar.finish();
    stderr.write(
      `seeded ${created} reservations over ${roomCount} rooms` +
        (gaveUp > 0 ? ` (${gaveUp} skipped: no free room found after ${ATTEMPTS_PER_RESERVATION} tries; add --rooms)` : '') +
        '\n',
    );
    return 0;
  } finally {
    await runtime.close();
  }
}
