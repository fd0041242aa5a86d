import type { MetricsRegistry } from '../../metrics';
import type { RouteTable } from '../app';
import { HealthSchema, ReadySchema } from '../schemas';
import type { TypedApp } from './reservations';

export interface ReadinessResult {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly detail?: string }>>;
}

/** Is the service able to serve traffic: database reachable, migrations applied. */
export type ReadinessCheck = () => Promise<ReadinessResult>;

const tags = ['operations'];

/** /health (the process is up), /ready (its dependencies are), /metrics (Prometheus text). */
export function registerOperationRoutes(
  app: TypedApp,
  routes: RouteTable,
  { readiness, metrics }: { readonly readiness: ReadinessCheck; readonly metrics: MetricsRegistry },
): void {
  const startedAt = Date.now();

  routes.add('/health', 'GET');
  app.get(
    '/health',
    { schema: { tags, summary: 'Liveness: the process answers', response: { 200: HealthSchema } } },
    async () => ({ status: 'ok' as const, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }),
  );

  routes.add('/ready', 'GET');
  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary: 'Readiness: database reachable and migrations applied (503 otherwise)',
        response: { 200: ReadySchema, 503: ReadySchema },
      },
    },
    async (_request, reply) => {
      const result = await readiness();
      return reply
        .code(result.ready ? 200 : 503)
        .send({ status: result.ready ? ('ready' as const) : ('not_ready' as const), checks: result.checks });
    },
  );

  routes.add('/metrics', 'GET');
  app.get(
    '/metrics',
    { schema: { tags, summary: 'Prometheus metrics: appends, conflicts, projection lag, relay lag' } },
    async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.render()),
  );
}
