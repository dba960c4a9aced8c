// Payment provider notices: raw bytes in, verified by the provider's own rules, stored and decided in one
// transaction, and answered as the provider expects only after that commit. A refused notice stores nothing.
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../../kernel/errors.ts';
import { storableValue } from '../../../kernel/text.ts';
import { providerFor, paymentProviders, type PaymentProvider } from '../providers/registry.ts';
import type { Hub } from '../../../app/hub.ts';
import { httpStatus } from '../../../app/http/errors.ts';

/** The headers a provider signs with: kept beside the notice (none of them is a secret). */
const keptHeaders = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-serial', 'wechatpay-signature-type', 'stripe-signature', 'content-type', 'request-id'];

function keep(headers: FastifyRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keptHeaders) {
    const v = headers[k];
    if (typeof v === 'string') out[k] = v.slice(0, 500);
  }
  return out;
}

function answer(reply: FastifyReply, a: { status: number; contentType: string; body: string }) {
  return reply.code(a.status).header('content-type', a.contentType).send(a.body);
}

const descriptions: Record<string, string> = {
  wechatpay:
    'WeChat Pay APIv3 callback (支付/退款结果通知): Wechatpay-Signature over `timestamp\\nnonce\\nbody\\n` with the key Wechatpay-Serial names ' +
    '(platform certificate or PUB_KEY_ID_…), ±300 s; resource decrypted with the APIv3 key (AES-256-GCM). 200 with no body after commit; ' +
    'a refusal is 4xx/5xx {"code":"FAIL","message":…} and WeChat retries.',
  alipay:
    'Alipay asynchronous notify (form body, RSA2 over the sorted fields but sign and sign_type). The literal body `success` after commit; ' +
    'anything else makes Alipay retry (8 times within 25 h, same notify_id).',
  stripe:
    'Stripe webhook: Stripe-Signature t=…,v1=… (HMAC-SHA256 over `t.rawBody` with whsec_…), ±300 s. 200 {"received":true} after commit.',
};

async function receive(hub: Hub, provider: PaymentProvider, accountId: string, req: FastifyRequest) {
  const now = Date.now();
  const account = await hub.paymentAccounts.forNotice(accountId, now);
  if (!account || account.provider !== provider.name) throw new HubError('ACCOUNT_NOT_FOUND', `no ${provider.name} payment account ${accountId}`);
  if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `payment account ${accountId} is switched off`);
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  // What the provider's notice says is made storable (NUL removed, lone surrogates replaced) so that it is stored, the
  // same on both databases, rather than refused: a payment is never lost for a character. The raw bytes stay as sent.
  const notice = storableValue(provider.verify({ headers: req.headers, rawBody: raw, now }, account.credentials, hub.config.signatureToleranceSeconds));
  const merchant = provider.expectedMerchant(account.credentials, notice.merchant);
  return hub.writes.recordPaymentNotice({
    tenantId: account.tenantId,
    paymentAccountId: account.id,
    provider: provider.name,
    receivedAt: now,
    headers: keep(req.headers),
    body: raw,
    bodySha256: createHash('sha256').update(raw).digest('hex'),
    notice,
    expectedMerchant: merchant.expected,
    merchantMismatch: merchant.mismatch,
    orderRef: account.orderRef,
    channelAccounts: account.channelAccounts,
    via: 'notice',
  });
}

export const paymentHookRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: hub.config.bodyLimitBytes }, (_req, body, done) => done(null, body));

  for (const name of paymentProviders) {
    const provider = providerFor(name) as PaymentProvider;
    app.post(
      `/hooks/pay/${name}/:paymentAccountId`,
      {
        schema: {
          tags: ['hooks'],
          security: [],
          summary: `${provider.label} notice`,
          description: `${descriptions[name] ?? ''} Nothing of a notice whose signature fails is stored (401).`,
          params: Type.Object({ paymentAccountId: Type.String({ maxLength: 64 }) }),
          response: {
            200: Type.Unknown({ description: 'what the provider expects on success' }),
            400: Type.Unknown(),
            401: Type.Unknown({ description: 'signature, timestamp or decryption refused; in the provider’s error shape' }),
            404: Type.Unknown(),
            500: Type.Unknown(),
          },
        },
      },
      async (req, reply) => {
        try {
          const out = await receive(hub, provider, req.params.paymentAccountId, req);
          if (!out.duplicate) req.log.info({ provider: name, paymentAccountId: req.params.paymentAccountId, effect: out.effect, noticeRow: out.noticeRowId }, 'payment notice stored');
          return answer(reply, provider.success());
        } catch (e) {
          const err = e instanceof HubError ? e : null;
          const status = err ? httpStatus[err.code] : 500;
          // Logged without body, headers or secrets; the provider hears only a generic failure and retries.
          if (err) req.log.warn({ provider: name, paymentAccountId: req.params.paymentAccountId, code: err.code, ip: req.ip }, `payment notice refused: ${err.message}`);
          else req.log.error({ err: e, provider: name }, 'payment notice failed');
          return answer(reply, provider.failure(status >= 400 && status < 600 ? status : 500));
        }
      },
    );
  }
};
