// Platform pushes: raw bytes in, signature checked by the platform's adapter, answered only after commit.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../runtime/hub.ts';
import { HubError } from '../../domain/errors.ts';
import { adapterFor, channelAdapters } from '../../channels/registry.ts';
import type { FastifyRequest } from 'fastify';
import { publicBase } from '../app.ts';
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

/** One push, for any platform: account, adapter, signature over the raw bytes, parse, store; 2xx only after commit. */
async function receive(hub: Hub, platform: string, accountId: string, req: FastifyRequest) {
  const now = Date.now();
  const account = await hub.accounts.forIngest(accountId, now);
  if (!account || account.platform !== platform) throw new HubError('ACCOUNT_NOT_FOUND', `no ${platform} account ${accountId}`);
  if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `account ${accountId} is switched off`);
  const adapter = adapterFor(platform);
  if (!adapter) throw new HubError('PLATFORM_NOT_SUPPORTED', `platform ${platform} has no adapter`);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const verified = adapter.verifyPush(
    { headers: req.headers, rawBody: raw, now, url: `${publicBase(hub)}${req.url.split('?')[0]}` },
    account.credentials as never,
    hub.config.signatureToleranceSeconds,
  );
  if (verified.ping) return { adapter, result: null };
  const orders = adapter.parsePush(raw, verified);
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
  return { adapter, result };
}

export const hookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  // Signatures are over the exact bytes sent: keep the body raw, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  const refused = (req: FastifyRequest, platform: string, accountId: string, e: unknown) => {
    // A refused push leaves a log line and nothing else (no secret, no body).
    if (e instanceof HubError) req.log.warn({ channel: platform, accountId, code: e.code, ip: req.ip }, `push refused: ${e.message}`);
  };

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
      try {
        const { result } = await receive(hub, 'ownshop', req.params.accountId, req);
        return reply.send({
          ok: true,
          duplicate: result?.duplicateDelivery ?? false,
          orders: (result?.orders ?? []).map((o) => ({
            orderId: o.orderId,
            orderNo: o.orderNo,
            outcome: o.outcome,
            status: o.status,
            reservation: o.reservation,
            hold: o.hold,
          })),
        });
      } catch (e) {
        refused(req, 'ownshop', req.params.accountId, e);
        throw e;
      }
    },
  );

  // Every other platform: the same path, answered in the body that platform expects.
  for (const [platform, adapter] of Object.entries(channelAdapters)) {
    if (platform === 'ownshop') continue;
    app.post(
      `/hooks/${platform}/:accountId`,
      {
        schema: {
          tags: ['hooks'],
          security: [],
          summary: `${adapter.label} push`,
          description: `${adapter.pushDescription} Answered 2xx only after what it carries is durably stored.`,
          params: Type.Object({ accountId: Type.String({ maxLength: 64 }) }),
          response: {
            200: Type.Unknown({ description: 'what the platform expects on success' }),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            409: ErrorBody,
            413: ErrorBody,
            503: ErrorBody,
          },
        },
      },
      async (req, reply) => {
        const { accountId } = req.params;
        try {
          await receive(hub, platform, accountId, req);
          const body = adapter.successBody();
          return body === null ? reply.code(200).send('') : reply.code(200).send(body);
        } catch (e) {
          refused(req, platform, accountId, e);
          throw e;
        }
      },
    );
  }
};
