// Outbound webhook endpoints.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { EventType } from '../../../app/http/schemas.ts';

const Endpoint = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  active: Type.Boolean(),
  createdAt: Type.Union([Type.String(), Type.Null()]),
});

export const webhookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.post(
    '/webhooks',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags: ['webhooks'],
        summary: 'Register an endpoint for hub events',
        description:
          'Deliveries are POSTed with X-Orderhub-Event-Id, X-Orderhub-Event-Type, X-Orderhub-Timestamp and ' +
          'X-Orderhub-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>; retried with back-off until 2xx. ' +
          'The secret is returned once.',
        body: Type.Object({
          url: Type.String({ minLength: 8, maxLength: 2000 }),
          secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
          events: Type.Optional(Type.Array(EventType(), { maxItems: 50, description: 'event types from the catalogue (docs/events.md), or ["*"]; an unknown type is refused (400)' })),
        }),
        response: { 201: Type.Composite([Endpoint, Type.Object({ secret: Type.String() })]), 400: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(await hub.writes.createWebhook(who(req), req.body)),
  );

  app.get('/webhooks', { config: { access: 'webhooks.manage' }, schema: { summary: 'Outbound webhooks of this organisation', description: 'Each subscription’s URL, the events it takes and whether it is active; the signing secret is never shown again after creation.', tags: ['webhooks'], response: { 200: Type.Object({ items: Type.Array(Endpoint) }) } } }, async (req) => ({
    items: await hub.webhooks.list(who(req)),
  }));

  app.delete(
    '/webhooks/:id',
    { config: { access: 'webhooks.manage' }, schema: { summary: 'Remove an outbound webhook', description: 'Deliveries stop at once; the delivery log is kept. Audited.', tags: ['webhooks'], params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), 404: ErrorBody } } },
    async (req, reply) => {
      await hub.writes.removeWebhook(who(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        summary: 'The delivery log of one webhook',
        description: 'Each attempt with the event, the answer status, the duration and when it is tried again; newest first.',
        tags: ['webhooks'],
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) }),
        response: {
          404: ErrorBody,
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                eventId: Type.String(),
                eventType: Type.String(),
                state: Type.String(),
                attempts: Type.Integer(),
                nextAttemptAt: Type.Union([Type.String(), Type.Null()]),
                lastStatus: Type.Union([Type.Integer(), Type.Null()]),
                lastError: Type.Union([Type.String(), Type.Null()]),
                updatedAt: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await hub.webhooks.deliveries(who(req), req.params.id, req.query.limit) }),
  );
};
