// The Fastify application: one process, one port — platform hooks, the /api for people and integrations, health.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Hub } from '../runtime/hub.ts';
import { HubError } from '../domain/errors.ts';
import { tokenMatches } from '../services/admin-token.ts';
import { ErrorBody, errorHandler, sendError } from './errors.ts';
import { hookRoutes } from './routes/hooks.ts';
import { accountRoutes } from './routes/accounts.ts';
import { stockRoutes } from './routes/stock.ts';
import { orderRoutes } from './routes/orders.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';

export type App = FastifyInstance;

export async function buildApp(hub: Hub): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: hub.log as FastifyBaseLogger,
    // One log line per request would cost more than the order itself at promotion load; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: hub.config.bodyLimitBytes,
    // Only a reverse proxy on this machine may tell us the client's address; anyone else could spoof it in logs.
    trustProxy: 'loopback',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorBody);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => sendError(reply, new HubError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`)));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Order hub API',
        version: '0.1.0',
        description:
          'Every order from every channel in one record. Money is integer minor units; times are ISO 8601 with offset. ' +
          'Errors are {error: {code, message, details?}}.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'ORDERHUB_ADMIN_TOKEN' } },
      },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { hub });
  await app.register(hookRoutes, { hub });
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req) => {
        const header = req.headers.authorization ?? '';
        const m = /^Bearer\s+(.+)$/i.exec(header);
        if (!m || !tokenMatches((m[1] as string).trim(), hub.adminToken.token)) {
          throw new HubError('UNAUTHENTICATED', 'a valid bearer token is required (Authorization: Bearer <ORDERHUB_ADMIN_TOKEN>)');
        }
      });
      await api.register(accountRoutes, { hub });
      await api.register(stockRoutes, { hub });
      await api.register(orderRoutes, { hub });
      await api.register(webhookRoutes, { hub });
      await api.register(eventRoutes, { hub });
    },
    { prefix: '/api' },
  );
  return app;
}

/** Base URL that platforms should call, for showing webhook URLs. */
export function publicBase(hub: Hub): string {
  if (hub.config.publicUrl) return hub.config.publicUrl.replace(/\/$/, '');
  const host = hub.config.host === '0.0.0.0' || hub.config.host === '::' ? 'localhost' : hub.config.host;
  return `http://${host}:${hub.config.port}`;
}
