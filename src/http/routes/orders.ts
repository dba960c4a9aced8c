// Orders: search, the 360° detail, operator transitions.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../runtime/hub.ts';
import { HubError } from '../../domain/errors.ts';
import { parseIsoInstant } from '../../domain/time.ts';
import { orderStatuses } from '../../domain/status-machine.ts';
import { ErrorBody } from '../errors.ts';
import { OrderDetail, OrderSummary } from '../schemas.ts';

function instant(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseIsoInstant(v);
  if (ms === null) throw new HubError('VALIDATION_FAILED', `${name} must be ISO 8601 with an offset`);
  return ms;
}

export const orderRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/orders',
    {
      schema: {
        tags: ['orders'],
        querystring: Type.Object({
          channel: Type.Optional(Type.String()),
          account: Type.Optional(Type.String()),
          platformOrderId: Type.Optional(Type.String()),
          status: Type.Optional(Type.Union(orderStatuses.map((s) => Type.Literal(s)))),
          hold: Type.Optional(Type.String({ description: 'a hold code (STOCK_SHORT, SKU_UNMATCHED, PAID_NO_STOCK) or "any"' })),
          q: Type.Optional(Type.String({ maxLength: 100, description: 'order number, platform order id, full phone, or receiver name prefix' })),
          createdFrom: Type.Optional(Type.String()),
          createdTo: Type.Optional(Type.String()),
          page: Type.Integer({ minimum: 1, default: 1 }),
          pageSize: Type.Integer({ minimum: 1, maximum: 200, default: 20 }),
        }),
        response: {
          200: Type.Object({ items: Type.Array(OrderSummary), total: Type.Integer(), page: Type.Integer(), pageSize: Type.Integer() }),
          400: ErrorBody,
        },
      },
    },
    async (req) => {
      const q = req.query;
      return hub.orders.list({ ...q, createdFrom: instant('createdFrom', q.createdFrom), createdTo: instant('createdTo', q.createdTo) });
    },
  );

  app.get(
    '/orders/:idOrOrderNo',
    { schema: { tags: ['orders'], params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }), response: { 200: OrderDetail, 404: ErrorBody } } },
    async (req) => hub.orders.get(req.params.idOrOrderNo),
  );

  app.post(
    '/orders/:idOrOrderNo/transitions',
    {
      schema: {
        tags: ['orders'],
        summary: 'Move an order one declared step along the status anchor',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          to: Type.Union(orderStatuses.map((s) => Type.Literal(s))),
          reason: Type.String({ minLength: 1, maxLength: 500 }),
        }),
        response: { 200: OrderDetail, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.transitionOrder(req.params.idOrOrderNo, req.body.to, req.body.reason, 'admin'),
  );

  app.post(
    '/orders/:idOrOrderNo/retry-reservation',
    {
      schema: {
        tags: ['orders'],
        summary: 'Try again to reserve stock for a held order',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        response: { 200: OrderDetail, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.retryReservation(req.params.idOrOrderNo, 'admin'),
  );
};
