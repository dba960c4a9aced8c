// The dashboard's numbers, and the live feed of order events (server-sent events) that keeps it moving.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { who } from '../../../app/http/auth.ts';

const Count = Type.Integer();

export const dashboardRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  // Open streams end when the server closes (a graceful stop would otherwise wait for them forever).
  const open = new Set<{ end(): void }>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/dashboard',
    {
      config: { access: 'orders.read' },
      schema: {
        description: 'Orders and sales today, per channel and per minute, holds, open exceptions and parcels to ship: what the console’s overview draws. Counts only what the caller may see.',
        tags: ['dashboard'],
        summary: "Today in the shop's time zone, inside the caller's scope",
        response: {
          200: Type.Object({
            day: Type.String(),
            timezone: Type.String(),
            ordersToday: Count,
            paidAmountToday: Type.Array(Type.Object({ currency: Type.String(), amount: Count })),
            byChannel: Type.Array(Type.Object({ channel: Type.String(), orders: Count })),
            byStatus: Type.Array(Type.Object({ status: Type.String(), orders: Count })),
            waitingToShip: Count,
            exceptions: Count,
            perMinute: Type.Array(Type.Object({ minute: Type.String(), orders: Count })),
          }),
        },
      },
    },
    async (req) => hub.dashboard.today(who(req)),
  );

  app.get(
    '/stream',
    {
      config: { access: 'orders.read' },
      schema: {
        tags: ['dashboard'],
        summary: 'Server-sent events: `event: order` with {type, at, channel, orderNo, status} as orders arrive and move',
        description: 'For the console. Inside the caller’s tenant and scope; a comment line every 15 s keeps proxies from closing it.',
      },
    },
    async (req, reply) => {
      const p = who(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 3000\n\n');
      const stop = hub.live.listen(p, (e) => res.write(`event: order\ndata: ${JSON.stringify(e)}\n\n`));
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      open.add(res);
      req.raw.on('close', () => {
        clearInterval(ping);
        stop();
        open.delete(res);
      });
    },
  );
};
