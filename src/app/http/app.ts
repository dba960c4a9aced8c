// The Fastify application: one process, one port — platform hooks, the /api for people and integrations, health.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Hub } from '../hub.ts';
import { HubError } from '../../kernel/errors.ts';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { installAuth, type RouteAccess } from './auth.ts';
import { authRoutes, type SignInDemo } from '../../modules/access/http/auth.ts';
import { peopleRoutes } from '../../modules/access/http/people.ts';
import { auditRoutes } from '../../modules/access/http/audit.ts';
import { approvalRoutes } from '../../modules/access/http/approvals.ts';
import { ErrorBody, errorHandler, sendError } from './errors.ts';
import { hookRoutes } from '../../modules/channels/http/hooks.ts';
import { accountRoutes } from '../../modules/channels/http/accounts.ts';
import { stockRoutes } from '../../modules/inventory/http.ts';
import { orderRoutes } from '../../modules/orders/http/orders.ts';
import { webhookRoutes } from '../../modules/webhooks/http/webhooks.ts';
import { eventRoutes } from '../../modules/webhooks/http/events.ts';
import { healthRoutes } from './health.ts';
import { registerConsole } from './console.ts';
import { dashboardRoutes } from '../../modules/orders/http/dashboard.ts';
import { integrationRoutes } from '../../modules/channels/http/integration.ts';
import { listingRoutes } from '../../modules/channels/http/listings.ts';
import { paymentHookRoutes } from '../../modules/payments/http/hooks.ts';
import { paymentRoutes } from '../../modules/payments/http/payments.ts';
import { routingRoutes } from '../../modules/fulfilment/http/routing.ts';
import { shipmentRoutes } from '../../modules/fulfilment/http/shipments.ts';
import { waybillRoutes } from '../../modules/fulfilment/http/waybills.ts';
import { trackingRoutes } from '../../modules/tracking/http/tracking.ts';
import { trackingHookRoutes } from '../../modules/tracking/http/hooks.ts';
import { wmsHookRoutes, wmsRoutes } from '../../modules/fulfilment/http/wms.ts';
import { edgeServerOptions, installEdge } from './edge.ts';
import { MAX_JSON_DEPTH } from '../../kernel/json.ts';

export type App = FastifyInstance;

export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess | undefined;
  /** The route's request schemas (TypeBox, i.e. JSON Schema): the generated edge tests walk them. */
  schema: { body?: unknown; querystring?: unknown; params?: unknown };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the access rule it declared: the permission tests walk this. */
    routeTable: RouteEntry[];
  }
}

export interface AppOptions {
  /** The demo, while it runs: the sign-in page offers its organisation and names its users. */
  demo?: SignInDemo | null;
}

export async function buildApp(hub: Hub, opts: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: hub.log as FastifyBaseLogger,
    // One log line per request would cost more than the order itself at promotion load; errors are logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: hub.config.bodyLimitBytes,
    // Only a reverse proxy on this machine may tell us the client's address; anyone else could spoof it in logs.
    trustProxy: 'loopback',
    // No coercion: a body's null, true or [9] where a number is meant is a 400, never 0, 1 or 9. Query strings and
    // path parameters are text by nature: the edge converts them, from their canonical form only.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    ...edgeServerOptions(hub.config),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Before anything else is registered, so that every route inherits the JSON parser and the checks.
  installEdge(app, hub.config);

  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') {
        const { body, querystring, params } = r.schema ?? {};
        routeTable.push({ method, url: r.url, access: (r.config as { access?: RouteAccess } | undefined)?.access, schema: { body, querystring, params } });
      }
    }
  });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new HubError('RATE_LIMITED', `too many attempts; try again in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
  app.addSchema(ErrorBody);
  app.setErrorHandler(errorHandler);
  const consolePages = await registerConsole(app);
  app.setNotFoundHandler((req, reply) => {
    if (consolePages.fallback(req, reply)) return;
    sendError(reply, new HubError('ROUTE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Order hub API',
        version: '0.1.0',
        description:
          'Every order from every channel in one record. Money is integer minor units; times are ISO 8601 with offset, ' +
          'real calendar times in 1970–9999. Errors are {error: {code, message, details?}}. Refused with 400 before anything runs: ' +
          `JSON nested more than ${MAX_JSON_DEPTH} deep (BODY_TOO_DEEP); NUL or a lone surrogate in any string, key, query or path value; ` +
          'numbers not finite or beyond ±(2^53−1); a value of another JSON type than the schema names (nothing is coerced; query and path ' +
          'numbers and booleans only in their canonical form); codes outside their pattern; ids of another organisation (404).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token (oht_…) or ORDERHUB_ADMIN_TOKEN' },
          session: { type: 'apiKey', in: 'cookie', name: 'orderhub_session', description: 'Console session; writes also need X-CSRF-Token' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes, { hub });
  await app.register(hookRoutes, { hub });
  await app.register(paymentHookRoutes, { hub });
  await app.register(trackingHookRoutes, { hub });
  await app.register(wmsHookRoutes, { hub });
  await app.register(
    async (api) => {
      installAuth(api, hub);
      await api.register(authRoutes, { hub, demo: opts.demo ?? null });
      await api.register(peopleRoutes, { hub });
      await api.register(auditRoutes, { hub });
      await api.register(approvalRoutes, { hub });
      await api.register(accountRoutes, { hub });
      await api.register(stockRoutes, { hub });
      await api.register(orderRoutes, { hub });
      await api.register(webhookRoutes, { hub });
      await api.register(eventRoutes, { hub });
      await api.register(dashboardRoutes, { hub });
      await api.register(integrationRoutes, { hub });
      await api.register(paymentRoutes, { hub });
      await api.register(routingRoutes, { hub });
      await api.register(shipmentRoutes, { hub });
      await api.register(trackingRoutes, { hub });
      await api.register(wmsRoutes, { hub });
      await api.register(waybillRoutes, { hub });
      await api.register(listingRoutes, { hub });
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
