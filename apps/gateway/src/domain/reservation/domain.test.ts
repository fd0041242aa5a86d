import { createAggregateRepository, createCommandHandler } from '@eventfold/core';
import { createMemoryEventStore } from '@eventfold/store-memory';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ReservationDomain } from '../../application/reservation-domain';
import { createReservationDomain, reservationDomain } from './domain';
import type { ReservationCommand, ReservationState } from './reservation';

const reservationId = '7d3f8e2a-1c4b-4f6a-9e2d-3b5c7a9f1e20';
const body = {
  guestId: '0b8c1e3d-5f7a-4b9c-8d2e-6f1a3c5e7b90',
  guestName: 'Ada',
  roomId: 'c2d4e6f8-0a1b-4c3d-9e5f-7a8b9c0d1e2f',
  checkInDate: '2026-12-01',
  nights: 2,
};

describe('reservation domain', () => {
  it('fits the application layer port', () => {
    expectTypeOf(reservationDomain).toExtend<ReservationDomain<ReservationState, ReservationCommand>>();
  });

  it('builds commands from an id and a request body, stamping confirmations with its clock', () => {
    const domain = createReservationDomain({ clock: () => new Date('2026-11-20T10:00:00Z') });
    expect(domain.create(reservationId, { ...body, reservationId: 'ignored-the-route-wins' })).toEqual({
      type: 'CreateReservation',
      reservationId,
      ...body,
    });
    expect(domain.confirm(reservationId)).toEqual({ type: 'ConfirmReservation', reservationId, confirmedAt: '2026-11-20T10:00:00.000Z' });
    expect(domain.cancel(reservationId, { reason: 'ill' })).toEqual({ type: 'CancelReservation', reservationId, reason: 'ill' });
    expect(domain.changeDates(reservationId, { checkInDate: '2027-01-01', nights: 1 })).toEqual({
      type: 'ChangeReservationDates',
      reservationId,
      checkInDate: '2027-01-01',
      nights: 1,
    });
  });

  it('describes a folded state, and nothing before creation', () => {
    expect(reservationDomain.describe({ status: 'NONE' })).toBeUndefined();
    expect(
      reservationDomain.describe({
        status: 'CANCELLED',
        reservationId,
        ...body,
        cancellationReason: 'ill',
        confirmedAt: null,
      }),
    ).toEqual({ ...body, status: 'CANCELLED', cancellationReason: 'ill' });
  });

  it('runs end to end on an event store with the reservation catalog', async () => {
    const { reservationEvents } = await import('@eventfold/shared-schema/reservation');
    const store = createMemoryEventStore({ catalog: reservationEvents });
    const repository = createAggregateRepository({ store, aggregate: reservationDomain.aggregate });
    const handle = createCommandHandler(repository);
    await handle(reservationId, reservationDomain.create(reservationId, body));
    const result = await handle(reservationId, reservationDomain.confirm(reservationId));
    expect(result.version).toBe(2);
    expect(result.state).toMatchObject({ status: 'CONFIRMED' });
    expect(repository.streamIdOf(reservationId)).toBe(`reservation-${reservationId}`);
  });
});
