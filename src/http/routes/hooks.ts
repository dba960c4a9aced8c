// Platform pushes: raw bytes in, signature checked by the platform's adapter, answered only after commit.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../runtime/hub.ts';
import { HubError } from '../../domain/errors.ts';
import { adapterFor } from '../../channels/registry.ts';
import { OwnshopOrder } from '../../channels/ownshop/schema.ts';
import { ErrorBody } from '../errors.ts';

const PushAnswer = Type.Object({
  ok: Type.Boolean(),
  duplicate: Type.Boolean({ description: 'This event id was delivered before; nothing was done again' }),
  orders: Type.Array(
    Type.Object({
      orderId: Type.String(),
      orderNo: Type.String(),
      outcome: Type.String({ description: 'created | updated | unchanged | duplicate | stale | refused_transition' }),
      status: Type.String(),
      reservation: Type.String(),
      hold: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});

export const hookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  // Signatures are over the exact bytes sent: keep the body raw, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/hooks/ownshop/:accountId',
    {
      schema: {
        tags: ['hooks'],
        security: [],
        summary: 'Own web shop order push',
        description:
          'Headers: X-Orderhub-Event-Id (unique per delivery; a redelivery repeats it), X-Orderhub-Timestamp (unix seconds, ±300 s), ' +
          'X-Orderhub-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>. Answered 200 only after the order is durably stored.',
        params: Type.Object({ accountId: Type.String({ maxLength: 64 }) }),
        body: OwnshopOrder,
        response: { 200: PushAnswer, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 413: ErrorBody, 503: ErrorBody },
      },
      // The body schema documents the push; the adapter validates it after the signature check.
      validatorCompiler: () => () => true,
    },
    async (req, reply) => {
      const now = Date.now();
      const { accountId } = req.params;
      try {
        const account = await hub.accounts.forIngest(accountId, now);
        if (!account || account.platform !== 'ownshop') {
          throw new HubError('ACCOUNT_NOT_FOUND', `no own-shop account ${accountId}`);
        }
        if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `account ${accountId} is switched off`);
        const adapter = adapterFor(account.platform);
        if (!adapter) throw new HubError('PLATFORM_NOT_SUPPORTED', `platform ${account.platform} has no adapter`);
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verified = adapter.verifyPush(
          { headers: req.headers, rawBody: raw, now },
          account.credentials as never,
          hub.config.signatureToleranceSeconds,
        );
        const orders = adapter.parsePush(raw);
        const result = await hub.writes.ingest({
          tenantId: account.tenantId,
          accountId,
          channel: account.platform,
          eventId: verified.eventId,
          receivedAt: now,
          headers: verified.keptHeaders,
          rawBody: raw,
          orders,
        });
        return reply.send({
          ok: true,
          duplicate: result.duplicateDelivery,
          orders: result.orders.map((o) => ({
            orderId: o.orderId,
            orderNo: o.orderNo,
            outcome: o.outcome,
            status: o.status,
            reservation: o.reservation,
            hold: o.hold,
          })),
        });
      } catch (e) {
        if (e instanceof HubError) {
          // A refused push leaves a log line and nothing else (no secret, no body).
          req.log.warn({ channel: 'ownshop', accountId, code: e.code, ip: req.ip }, `push refused: ${e.message}`);
        }
        throw e;
      }
    },
  );
};
