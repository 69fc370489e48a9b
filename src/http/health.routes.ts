import type { FastifyInstance } from 'fastify';
import type { Storage } from '../db/database.ts';

/**
 * `/healthz`: the process is up and serving (liveness). `/readyz`: it can also reach its store
 * (readiness); a load balancer should stop sending traffic while this answers 503.
 */
export function registerHealthRoutes(app: FastifyInstance, storage: Pick<Storage, 'ping'>): void {
  app.get('/healthz', async (_request, reply) => {
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });

  app.get('/readyz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      await storage.ping();
      return reply.send({ status: 'ready' });
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed: storage unreachable');
      return reply.code(503).send({ status: 'unavailable', reason: 'storage unreachable' });
    }
  });
}
