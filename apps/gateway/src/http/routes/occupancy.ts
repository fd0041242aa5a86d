import type { OccupancyQueries } from '../../read-models/occupancy-queries';
import type { RouteTable } from '../app';
import { OccupancyQuerySchema, OccupancySchema, problemResponses } from '../schemas';
import type { TypedApp } from './reservations';

/** GET /occupancy: rooms held per night, from the asynchronous room_occupancy read model. */
export function registerOccupancyRoutes(
  app: TypedApp,
  routes: RouteTable,
  { occupancy }: { readonly occupancy: OccupancyQueries },
): void {
  routes.add('/occupancy', 'GET');
  app.get(
    '/occupancy',
    {
      schema: {
        tags: ['read models'],
        summary: 'Rooms held per night in [from, to) (async read model room_occupancy)',
        querystring: OccupancyQuerySchema,
        response: { 200: OccupancySchema, ...problemResponses(400) },
      },
    },
    async (request) => {
      const { from, to, roomId } = request.query;
      return { from, to, roomId: roomId ?? null, nights: await occupancy.nights({ from, to, roomId }) };
    },
  );
}
