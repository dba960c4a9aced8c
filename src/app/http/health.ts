// Liveness and readiness.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../hub.ts';

export const healthRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/health',
    { schema: { summary: 'Liveness: the process answers', description: 'Always 200 {status: "ok"} while the process runs; it does not touch the database (use /ready for that). No authentication.', tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: the database answers and every migration is applied',
        tags: ['health'],
        security: [],
        description: 'Ready when the database answers and every migration is applied.',
        response: {
          200: Type.Object({ status: Type.String(), database: Type.Boolean(), migrations: Type.Object({ applied: Type.Integer(), expected: Type.Integer() }) }),
          503: Type.Object({ status: Type.String(), database: Type.Boolean(), migrations: Type.Object({ applied: Type.Integer(), expected: Type.Integer() }) }),
        },
      },
    },
    async (_req, reply) => {
      const r = await hub.isReady();
      const ok = r.database && r.migrations.applied === r.migrations.expected;
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', ...r });
    },
  );
};
