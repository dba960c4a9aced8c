// The event log (outbox) and the raw-event store, for integrations and engineers.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../runtime/hub.ts';
import { HubError } from '../../domain/errors.ts';
import { toIso } from '../../domain/time.ts';
import { ErrorBody } from '../errors.ts';

export const eventRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/events',
    {
      config: { access: 'webhooks.manage' },
      schema: {
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
    async (req) => {
      let q = hub.db.kysely.selectFrom('outbox').selectAll().where('id', '>', req.query.after);
      if (req.query.aggregateId) q = q.where('aggregate_id', '=', req.query.aggregateId);
      const rows = await q.orderBy('id').limit(req.query.limit).execute();
      return {
        items: rows.map((r) => ({
          id: Number(r.id),
          type: r.type,
          aggregateType: r.aggregate_type,
          aggregateId: r.aggregate_id,
          createdAt: toIso(r.created_at),
          data: JSON.parse(r.payload) as unknown,
        })),
      };
    },
  );

  app.get(
    '/raw-events/:id',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags: ['events'],
        summary: 'One received payload, exactly as it arrived',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
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
            body: Type.String(),
          }),
          404: ErrorBody,
        },
      },
    },
    async (req) => {
      const r = await hub.db.kysely.selectFrom('raw_events').selectAll().where('id', '=', req.params.id).executeTakeFirst();
      if (!r) throw new HubError('RAW_EVENT_NOT_FOUND', `raw event ${req.params.id} does not exist`);
      return {
        id: Number(r.id),
        channel: r.channel,
        accountId: r.account_id,
        eventId: r.event_id,
        receivedAt: toIso(r.received_at),
        deliveries: r.deliveries,
        lastDeliveryAt: toIso(r.last_delivery_at),
        outcome: r.outcome,
        orderId: r.order_id,
        bodySha256: r.body_sha256,
        headers: JSON.parse(r.headers) as unknown,
        body: r.body,
      };
    },
  );
};
