import type { FastifyInstance, FastifyBaseLogger, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ReservationService } from '../../application/reservation-service';
import { ReservationNotFoundError } from '../../errors';
import type { RouteTable } from '../app';
import type { Problem } from '../problem';
import { etagOf, matchesIfNoneMatch, versionFromIfMatch } from '../conditional';
import {
  CancelReservationBodySchema,
  ChangeDatesBodySchema,
  ConfirmReservationBodySchema,
  CreateHeadersSchema,
  CreateReservationBodySchema,
  GetReservationQuerySchema,
  HistorySchema,
  ListReservationsQuerySchema,
  problemResponses,
  ReservationAtSchema,
  ReservationPageSchema,
  ReservationParamsSchema,
  ReservationSchema,
  WriteHeadersSchema,
  type ReservationView,
} from '../schemas';

export type TypedApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

const tags = ['reservations'];

/** The reservation endpoints: commands (POST/PATCH) and queries (GET). */
export function registerReservationRoutes(
  app: TypedApp,
  routes: RouteTable,
  { service }: { readonly service: ReservationService },
): void {
  const reply = (view: ReservationView) => ({ etag: etagOf(view.version) });

  routes.add('/reservations', 'POST');
  app.post(
    '/reservations',
    {
      schema: {
        tags,
        summary: 'Create a reservation (PENDING)',
        description:
          'Fails with 409 room-unavailable when the room is already booked on one of the nights. ' +
          'With an Idempotency-Key, a repeated request returns the first result and writes nothing.',
        headers: CreateHeadersSchema,
        body: CreateReservationBodySchema,
        response: { 201: ReservationSchema, ...problemResponses(400, 409, 413, 415, 422) },
      },
    },
    async (request, response) => {
      const outcome = await service.create(request.body, {
        correlationId: request.id,
        idempotencyKey: request.headers['idempotency-key'],
      });
      if (outcome.replayed) void response.header('idempotent-replayed', 'true');
      if (outcome.statusCode === 201) {
        const view = outcome.body as ReservationView;
        void response.headers({ ...reply(view), location: `/reservations/${view.id}` });
        return response.code(201).send(view);
      }
      // A stored refusal (room unavailable, business rule: always 409) is replayed as first sent.
      return response.code(409).type('application/problem+json').send(outcome.body as Problem);
    },
  );

  routes.add('/reservations/:id/confirm', 'POST');
  app.post(
    '/reservations/:id/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm a pending reservation',
        params: ReservationParamsSchema,
        headers: WriteHeadersSchema,
        body: ConfirmReservationBodySchema.optional(),
        response: { 200: ReservationSchema, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, response) => {
      const view = await service.confirm(request.params.id, {
        correlationId: request.id,
        expectedVersion: versionFromIfMatch(request.headers['if-match']),
      });
      return response.headers(reply(view)).send(view);
    },
  );

  routes.add('/reservations/:id/cancel', 'POST');
  app.post(
    '/reservations/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a reservation, with a reason',
        params: ReservationParamsSchema,
        headers: WriteHeadersSchema,
        body: CancelReservationBodySchema,
        response: { 200: ReservationSchema, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, response) => {
      const view = await service.cancel(request.params.id, request.body, {
        correlationId: request.id,
        expectedVersion: versionFromIfMatch(request.headers['if-match']),
      });
      return response.headers(reply(view)).send(view);
    },
  );

  routes.add('/reservations/:id/dates', 'PATCH');
  app.patch(
    '/reservations/:id/dates',
    {
      schema: {
        tags,
        summary: 'Change the check-in date and number of nights',
        description: 'Fails with 409 room-unavailable when the new nights collide with another reservation of the room.',
        params: ReservationParamsSchema,
        headers: WriteHeadersSchema,
        body: ChangeDatesBodySchema,
        response: { 200: ReservationSchema, ...problemResponses(400, 404, 409, 412) },
      },
    },
    async (request, response) => {
      const view = await service.changeDates(request.params.id, request.body, {
        correlationId: request.id,
        expectedVersion: versionFromIfMatch(request.headers['if-match']),
      });
      return response.headers(reply(view)).send(view);
    },
  );

  routes.add('/reservations/:id', 'GET');
  app.get(
    '/reservations/:id',
    {
      schema: {
        tags,
        summary: 'Read a reservation (read model), or its state at a time or version (folded from the log)',
        description:
          'Without query parameters: the read model row, with ETag = version. `?asOf=<ISO instant>` or ' +
          '`?atVersion=N`: the state folded from the event log at that point.',
        params: ReservationParamsSchema,
        querystring: GetReservationQuerySchema,
        response: {
          200: z.union([ReservationSchema, ReservationAtSchema]),
          304: z.null().describe('Not modified: If-None-Match names the current version'),
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, response) => {
      const { asOf, atVersion } = request.query;
      if (asOf !== undefined || atVersion !== undefined) {
        const at = await service.at(
          request.params.id,
          asOf !== undefined ? { asOf: new Date(asOf) } : { atVersion: atVersion ?? 1 },
        );
        return response.header('etag', etagOf(at.version)).send(at);
      }
      const view = await service.get(request.params.id);
      if (view === undefined) throw new ReservationNotFoundError(request.params.id);
      if (matchesIfNoneMatch(request.headers['if-none-match'], view.version)) {
        return response.code(304).headers(reply(view)).send(null);
      }
      return response.headers(reply(view)).send(view);
    },
  );

  routes.add('/reservations', 'GET');
  app.get(
    '/reservations',
    {
      schema: {
        tags,
        summary: 'List reservations (read model), filtered, with cursor pagination',
        description:
          'Ordered by check-in date, then id. `from`/`to` keep reservations with at least one night in [from, to).',
        querystring: ListReservationsQuerySchema,
        response: { 200: ReservationPageSchema, ...problemResponses(400) },
      },
    },
    async (request) => service.list(request.query),
  );

  routes.add('/reservations/:id/events', 'GET');
  app.get(
    '/reservations/:id/events',
    {
      schema: {
        tags,
        summary: "A reservation's history: every event of its stream, in order",
        params: ReservationParamsSchema,
        response: { 200: HistorySchema, ...problemResponses(400, 404) },
      },
    },
    async (request, response) => {
      const history = await service.history(request.params.id);
      return response.header('etag', etagOf(history.version)).send(history);
    },
  );
}
