import { date, index, integer, pgSchema, primaryKey, text, timestamp, uuid, jsonb } from 'drizzle-orm/pg-core';

/**
 * The gateway's own tables, in one Postgres schema (default `gateway`; the name is validated before
 * it gets here). The event log itself lives in the event store's schema (default `eventfold`).
 */
export function gatewayTables(schemaName: string) {
  const schema = pgSchema(schemaName);

  /** Read model `reservations`, written inline in the append's transaction. */
  const reservations = schema.table(
    'reservations',
    {
      id: uuid('id').primaryKey(),
      guestId: uuid('guest_id').notNull(),
      guestName: text('guest_name').notNull(),
      roomId: uuid('room_id').notNull(),
      checkInDate: date('check_in_date', { mode: 'string' }).notNull(),
      checkOutDate: date('check_out_date', { mode: 'string' }).notNull(),
      nights: integer('nights').notNull(),
      status: text('status').$type<'PENDING' | 'CONFIRMED' | 'CANCELLED'>().notNull(),
      cancellationReason: text('cancellation_reason'),
      confirmedAt: timestamp('confirmed_at', { withTimezone: true, mode: 'date' }),
      version: integer('version').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
      updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
    },
    (t) => [
      index('reservations_check_in_idx').on(t.checkInDate, t.id),
      index('reservations_guest_idx').on(t.guestId, t.checkInDate, t.id),
      index('reservations_room_idx').on(t.roomId, t.checkInDate, t.id),
      index('reservations_status_idx').on(t.status, t.checkInDate, t.id),
    ],
  );

  /**
   * One row per night an active reservation holds a room. The primary key (room_id, night) is the
   * double-booking guard: a second reservation of the same room and night fails its insert, and the
   * whole append (events included) rolls back.
   */
  const roomNights = schema.table(
    'room_nights',
    {
      roomId: uuid('room_id').notNull(),
      night: date('night', { mode: 'string' }).notNull(),
      reservationId: uuid('reservation_id').notNull(),
    },
    (t) => [primaryKey({ name: 'room_nights_pkey', columns: [t.roomId, t.night] }), index('room_nights_reservation_idx').on(t.reservationId)],
  );

  /** Read model `room_occupancy`: per night, which rooms are held by which reservation (async projection). */
  const roomOccupancy = schema.table(
    'room_occupancy',
    {
      night: date('night', { mode: 'string' }).notNull(),
      reservationId: uuid('reservation_id').notNull(),
      roomId: uuid('room_id').notNull(),
      status: text('status').$type<'PENDING' | 'CONFIRMED'>().notNull(),
    },
    (t) => [primaryKey({ name: 'room_occupancy_pkey', columns: [t.night, t.reservationId] }), index('room_occupancy_room_idx').on(t.roomId, t.night)],
  );

  /** Outcomes of POST /reservations by Idempotency-Key. */
  const idempotencyKeys = schema.table('idempotency_keys', {
    key: text('key').primaryKey(),
    fingerprint: text('fingerprint').notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  });

  /** Applied gateway migrations. */
  const migrations = schema.table('migrations', {
    version: integer('version').primaryKey(),
    name: text('name').notNull(),
    appliedAt: timestamp('applied_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  });

  return { schemaName, reservations, roomNights, roomOccupancy, idempotencyKeys, migrations };
}

export type GatewayTables = ReturnType<typeof gatewayTables>;
