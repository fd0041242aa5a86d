import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ReservationService } from '../application/reservation-service';
import type { GatewayCounters, MetricsRegistry } from '../metrics';
import type { OccupancyQueries } from '../read-models/occupancy-queries';
import { registerOccupancyRoutes } from './routes/occupancy';
import { registerOperationRoutes, type ReadinessCheck } from './routes/operations';
import { registerReservationRoutes } from './routes/reservations';
import { problem, toProblem, type Problem } from './problem';

/** Request bodies above this are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** Incoming `X-Correlation-Id` / `X-Request-Id` values we accept; anything else gets a fresh id. */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CORRELATION_HEADERS = ['x-correlation-id', 'x-request-id'] as const;

export interface HttpAppOptions {
  readonly service: ReservationService;
  readonly occupancy: OccupancyQueries;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  readonly counters: GatewayCounters;
  readonly readiness: ReadinessCheck;
  /** Shown in the OpenAPI document. */
  readonly version?: string;
}

function correlationIdOf(headers: Record<string, string | string[] | undefined>): string {
  for (const name of CORRELATION_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && CORRELATION_ID.test(value)) return value;
  }
  return randomUUID();
}

function sendProblem(request: FastifyRequest, reply: FastifyReply, body: Problem, headers: Readonly<Record<string, string>> = {}) {
  const path = request.url.split('?')[0] ?? '/';
  return reply
    .code(body.status)
    .headers(headers)
    .type('application/problem+json')
    .send({ ...body, instance: path.length <= 2048 ? path : `${path.slice(0, 2048)}...`, correlationId: request.id });
}

/**
 * The gateway's HTTP API: Fastify 5 with Zod validation, problem+json errors, an OpenAPI document
 * generated from the Zod schemas at /docs, one log line per request, 404/405/413 as problems.
 */
export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const { counters } = options;
  // Typed as Fastify's base logger so route types do not depend on pino's generics.
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'correlationId' }),
    genReqId: (raw) => correlationIdOf(raw.headers),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    exposeHeadRoutes: true,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: (error, request, reply) => {
      const mapped = toProblem(error);
      void sendProblem(request, reply, mapped.problem, mapped.headers);
    },
  });

  // JSON only: other media types (text/plain, which Fastify parses by default) get 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-correlation-id', request.id);
  });

  // One structured line per request, whatever its outcome. Bodies and headers are not logged.
  app.addHook('onResponse', async (request, reply) => {
    counters.httpResponses.inc({ method: request.method, status: String(reply.statusCode) });
    const entry = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      url: request.url.length <= 512 ? request.url : `${request.url.slice(0, 512)}...`,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (reply.statusCode >= 500) request.log.error(entry, 'request failed');
    else request.log.info(entry, 'request completed');
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = toProblem(error);
    if (mapped.serverFault === true) request.log.error({ err: error }, 'request error');
    if (reply.sent) return;
    return sendProblem(request, reply, mapped.problem, mapped.headers);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      problem('not-found', 404, 'Not found', `No route ${request.method} ${request.url.split('?')[0] ?? ''}. See /docs for the API.`),
    ),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'eventfold gateway',
        description:
          'Reservation service built on eventfold. Errors are application/problem+json (RFC 9457) with a stable `type`.',
        version: options.version ?? '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (input) => problemMediaType(jsonSchemaTransformObject(input)),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  const routes = new RouteTable();
  registerReservationRoutes(typed, routes, options);
  registerOccupancyRoutes(typed, routes, options);
  registerOperationRoutes(typed, routes, options);
  routes.registerMethodNotAllowed(app, sendProblem);
  return app;
}

/** Error responses are documented as `application/problem+json`, which is what they are sent as. */
function problemMediaType<TDocument>(document: TDocument): TDocument {
  const paths = (document as { paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> }>> })
    .paths;
  for (const operations of Object.values(paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json !== undefined && response.content !== undefined) {
          response.content = { 'application/problem+json': json };
        }
      }
    }
  }
  return document;
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof ALL_METHODS)[number];

/** Remembers which methods each path answers, so the others get 405 with an Allow header. */
export class RouteTable {
  private readonly methods = new Map<string, Set<Method>>();

  add(url: string, method: Method): void {
    const set = this.methods.get(url) ?? new Set<Method>();
    set.add(method);
    if (method === 'GET') set.add('HEAD');
    this.methods.set(url, set);
  }

  registerMethodNotAllowed(app: FastifyInstance, send: typeof sendProblem): void {
    for (const [url, allowed] of this.methods) {
      const others = ALL_METHODS.filter((method) => !allowed.has(method));
      if (others.length === 0) continue;
      const allow = [...allowed].join(', ');
      app.route({
        method: others,
        url,
        schema: { hide: true },
        handler: (request, reply) =>
          send(
            request,
            reply,
            problem('method-not-allowed', 405, 'Method not allowed', `${request.method} is not allowed on ${url}; use ${allow}.`, {
              allowed: [...allowed],
            }),
            { allow },
          ),
      });
    }
  }
}
