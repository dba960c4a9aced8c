// The event log (outbox) and the raw-event store, for integrations and engineers.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';

export const eventRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/events',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        description: 'The outbox as a feed: read from a cursor to follow everything that happened (order created, paid, shipped, stock changed …); the same events webhooks deliver. Payloads carry no personal data.',
        tags: ['events'],
        summary: 'Domain events in the order they were written',
        querystring: Type.Object({
          after: Type.Integer({ minimum: 0, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          aggregateId: Type.Optional(Type.String()),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({ id: Type.Integer(), type: Type.String(), aggregateType: Type.String(), aggregateId: Type.String(), createdAt: Type.Union([Type.String(), Type.Null()]), data: Type.Unknown() }),
            ),
          }),
        },
      },
    },
    async (req) => ({ items: await hub.events.events(who(req), req.query) }),
  );

  app.get(
    '/raw-events/:id',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags: ['events'],
        summary: 'One received payload, exactly as it arrived',
        description: 'The body (phones, addresses) is null unless `reveal=true`, which needs pii.view and is written to the audit log.',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({ reveal: Type.Boolean({ default: false }) }),
        response: {
          200: Type.Object({
            id: Type.Integer(),
            channel: Type.String(),
            accountId: Type.String(),
            eventId: Type.String(),
            receivedAt: Type.Union([Type.String(), Type.Null()]),
            deliveries: Type.Integer(),
            lastDeliveryAt: Type.Union([Type.String(), Type.Null()]),
            outcome: Type.String(),
            orderId: Type.Union([Type.String(), Type.Null()]),
            bodySha256: Type.String(),
            headers: Type.Unknown(),
            body: Type.Union([Type.String(), Type.Null()]),
          }),
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const p = who(req);
      const r = await hub.events.rawEvent(p, req.params.id, req.query.reveal);
      if (req.query.reveal) await hub.writes.recordAudit(p, { action: 'pii.view', targetType: 'raw_event', targetId: String(r.id), detail: { orderId: r.orderId } });
      return r;
    },
  );
};
