// Tracking pushes (Kuaidi100, AfterShip, 17TRACK): raw bytes verified by the source's own rules, then stored, mapped
// and applied in one transaction, and answered as the source expects only after that commit. A refused push stores
// nothing.
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../../kernel/errors.ts';
import { storableValue } from '../../../kernel/text.ts';
import type { Hub } from '../../../app/hub.ts';
import { trackingAdapters, trackingSources, type HttpAnswer, type TrackingSourceAdapter } from '../sources/registry.ts';
import { httpStatus } from '../../../app/http/errors.ts';

const keptHeaders = ['content-type', 'aftership-hmac-sha256', 'sign', 'user-agent'];

function keep(headers: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keptHeaders) {
    const v = headers[k];
    if (typeof v === 'string') out[k] = v.slice(0, 300);
  }
  return out;
}

const answer = (reply: FastifyReply, a: HttpAnswer) => reply.code(a.status).header('content-type', a.contentType).send(a.body);

const descriptions: Record<string, string> = {
  kuaidi100: 'Kuaidi100 subscription push: form POST param + sign = uppercase MD5(param + salt). {"result":true,"returnCode":"200","message":"成功"} after commit.',
  aftership: 'AfterShip tracking webhook: aftership-hmac-sha256 = base64 HMAC-SHA256(webhook secret, raw body). 200 after commit.',
  track17: '17TRACK webhook (v2.2): sign header = hex SHA-256(raw body + "/" + security key). 200 after commit.',
};

async function receive(hub: Hub, adapter: TrackingSourceAdapter, accountId: string, req: FastifyRequest) {
  const now = Date.now();
  const account = await hub.trackingAccounts.forPush(accountId, now);
  if (!account || account.source !== adapter.name) throw new HubError('ACCOUNT_NOT_FOUND', `no ${adapter.name} tracking account ${accountId}`);
  if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `tracking account ${accountId} is switched off`);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const { content: _content, ...received } = adapter.receive({ headers: req.headers, rawBody: raw }, account.credentials);
  // What the source says is made storable (NUL removed, lone surrogates replaced), the same on both databases; the raw
  // bytes are kept as sent.
  const update = storableValue(received);
  return hub.writes.recordTracking({
    tenantId: account.tenantId,
    trackingAccountId: account.id,
    source: adapter.name,
    via: 'push',
    receivedAt: now,
    headers: keep(req.headers),
    body: raw,
    bodySha256: createHash('sha256').update(raw).digest('hex'),
    update,
  });
}

export const trackingHookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  for (const name of trackingSources) {
    const adapter = trackingAdapters[name];
    app.post(
      `/hooks/tracking/${name}/:trackingAccountId`,
      {
        schema: {
          tags: ['hooks'],
          security: [],
          summary: `${adapter.label} tracking push`,
          description: `${descriptions[name] ?? ''} Nothing of a push whose signature fails is stored (401).`,
          params: Type.Object({ trackingAccountId: Type.String({ maxLength: 64 }) }),
          response: { 200: Type.Unknown({ description: 'what the source expects on success' }), 400: Type.Unknown(), 401: Type.Unknown(), 404: Type.Unknown(), 500: Type.Unknown() },
        },
      },
      async (req, reply) => {
        try {
          const out = await receive(hub, adapter, req.params.trackingAccountId, req);
          if (!out.duplicate) req.log.debug({ source: name, trackingAccountId: req.params.trackingAccountId, outcome: out.outcome, shipmentId: out.shipmentId }, 'tracking push stored');
          return answer(reply, adapter.success());
        } catch (e) {
          const err = e instanceof HubError ? e : null;
          const status = err ? httpStatus[err.code] : 500;
          // Logged without body or headers (they can carry a receiver's name and phone); the source retries.
          if (err) req.log.warn({ source: name, trackingAccountId: req.params.trackingAccountId, code: err.code, ip: req.ip }, `tracking push refused: ${err.message}`);
          else req.log.error({ err: e, source: name }, 'tracking push failed');
          return answer(reply, adapter.failure(status >= 400 && status < 600 ? status : 500));
        }
      },
    );
  }
};
