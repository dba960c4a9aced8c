// Platform pushes: raw bytes in, signature checked by the platform's adapter, answered only after commit.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import { HubError } from '../../../kernel/errors.ts';
import { refuseDeepJson } from '../../../kernel/json.ts';
import { storableValue } from '../../../kernel/text.ts';
import { adapterFor, channelAdapters } from '../connectors/registry.ts';
import type { FastifyRequest } from 'fastify';
import { publicBase } from '../../../app/http/app.ts';
import { OwnshopOrder } from '../connectors/ownshop/schema.ts';
import { ErrorBody } from '../../../app/http/errors.ts';

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
  if (!adapter?.verifyPush || !adapter.parsePush) throw new HubError('PLATFORM_NOT_SUPPORTED', `platform ${platform} has no push adapter`);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const verified = adapter.verifyPush(
    { headers: req.headers, rawBody: raw, now, url: `${publicBase(hub)}${req.url.split('?')[0]}` },
    account.credentials as never,
    hub.config.signatureToleranceSeconds,
  );
  if (verified.ping) return { adapter, result: null };
  // Signed by the platform, yet nested beyond anything a platform sends: refused before it is read.
  refuseDeepJson(raw);
  // What the platform's order says is made storable (NUL removed, lone surrogates replaced), the same on SQLite and
  // PostgreSQL, so that a placed order is stored rather than refused for a character; the raw bytes are kept as sent.
  const orders = storableValue(adapter.parsePush(raw, verified));
  const { eventId, keptHeaders } = storableValue({ eventId: verified.eventId, keptHeaders: verified.keptHeaders });
  req.pushAccount = account;
  const result = await hub.writes.ingest({
    tenantId: account.tenantId,
    accountId,
    channel: account.platform,
    eventId,
    receivedAt: now,
    headers: keptHeaders,
    rawBody: raw,
    orders,
  });
  // Stored: learn what the platform sent, and fetch what it only named — both after the answer has gone.
  if (!result.duplicateDelivery) {
    hub.drift.observe(account, `push:${verified.shape ?? ''}`, raw, now);
    // A push that names orders without carrying them: fetch them now rather than at the next scheduled pull.
    const announced = orders.length === 0 ? adapter.announcedOrders?.(raw, verified) : null;
    if (announced?.ids.length) hub.poller.fetchAnnounced(account, announced);
  }
  return { adapter, result };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The account a push was stored for (its answer time is counted). */
    pushAccount?: { id: string };
  }
}

export const hookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  // Signatures are over the exact bytes sent: keep the body raw, whatever its content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  // A refused push leaves a log line and a count on the integration page, nothing else (no secret, no body).
  // Refusals Fastify makes before a handler runs (a body over the limit: 413) pass here too.
  app.addHook('onError', async (req, _reply, e) => {
    const [, , platform = '', accountId = ''] = req.url.split('?')[0]?.split('/') ?? [];
    const err = e instanceof HubError ? e : e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? new HubError('BODY_TOO_LARGE', e.message) : null;
    if (!err) return;
    req.log.warn({ channel: platform, accountId, code: err.code, ip: req.ip }, `push refused: ${err.message}`);
    const account = await hub.accounts.forIngest(accountId).catch(() => null);
    const known = account && account.platform === platform ? account : null;
    hub.drift.refused(known, accountId, err.code, err.message);
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode < 300 && req.pushAccount) hub.drift.answered(req.pushAccount.id, reply.elapsedTime);
  });

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
    },
  );

  // Every other platform: the same path, answered in the body that platform expects.
  for (const [platform, adapter] of Object.entries(channelAdapters)) {
    if (platform === 'ownshop' || !adapter.verifyPush) continue;
    app.post(
      `/hooks/${platform}/:accountId`,
      {
        schema: {
          tags: ['hooks'],
          security: [],
          summary: `${adapter.label} push`,
          description: `${adapter.pushDescription ?? ''} Answered 2xx only after what it carries is durably stored.`,
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
        await receive(hub, platform, req.params.accountId, req);
        const body = adapter.successBody?.() ?? null;
        return body === null ? reply.code(200).send('') : reply.code(200).send(body);
      },
    );
  }
};
