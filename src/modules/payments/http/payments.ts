// Payment accounts, the payment exceptions queue and refunds: handlers validate, call one service, shape the answer.
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Hub } from '../../../app/hub.ts';
import type { PaymentAccount } from '../accounts.ts';
import { providers } from '../providers/registry.ts';
import { toIso } from '../../../kernel/time.ts';
import { publicBase } from '../../../app/http/app.ts';
import { who } from '../../../app/http/auth.ts';
import { ErrorBody } from '../../../app/http/errors.ts';
import { PaymentException, Refund } from '../../../app/http/schemas.ts';

const Str = Type.String();
const NStr = Type.Union([Type.String(), Type.Null()]);

const PaymentAccountView = Type.Object({
  id: Str,
  provider: Str,
  name: Str,
  active: Type.Boolean(),
  credentialKeys: Type.Array(Str, { description: 'Names of the stored credentials; values are never returned' }),
  channelAccounts: Type.Array(Str, { description: 'The channel accounts (shops) whose orders this account is paid through' }),
  orderRef: Type.Union([Type.Literal('order_no'), Type.Literal('platform_order_id')], {
    description: "Which order number the shop sends the provider as out_trade_no (Stripe: metadata.order_no): the hub's order number or the platform's",
  }),
  noticeUrl: Type.String({ description: 'The notify URL to give the provider (WeChat notify_url, Alipay notify_url, Stripe webhook endpoint)' }),
  createdAt: NStr,
  updatedAt: NStr,
});

const OrderRef = Type.Union([Type.Literal('order_no'), Type.Literal('platform_order_id')]);
const Credentials = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'wechatpay: mchid, appids?, apiV3Key, merchantSerialNo, merchantPrivateKey (PEM), platformCertificates {serial: PEM} and/or publicKeys {PUB_KEY_ID_…: PEM}, apiBase?. ' +
    'alipay: appId, appPrivateKey, alipayPublicKey, sellerId?, gateway?. stripe: webhookSecret, secretKey?, accountId?, apiBase?. Write-only.',
});

function view(hub: Hub, a: PaymentAccount) {
  return {
    id: a.id,
    provider: a.provider,
    name: a.name,
    active: a.active,
    credentialKeys: Object.keys(a.credentials),
    channelAccounts: a.channelAccounts,
    orderRef: a.orderRef,
    noticeUrl: `${publicBase(hub)}/hooks/pay/${a.provider}/${a.id}`,
    createdAt: toIso(a.createdAt),
    updatedAt: toIso(a.updatedAt),
  };
}

const ExceptionId = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const Note = Type.Object({ note: Type.String({ minLength: 1, maxLength: 500 }) });

export const paymentRoutes: FastifyPluginAsyncTypebox<{ hub: Hub }> = async (app, { hub }) => {
  app.get(
    '/payment-providers',
    {
      config: { access: 'payments.read' },
      schema: {
        description: 'For the “add a payment account” form: each provider (WeChat Pay, Alipay, Stripe) with the credential fields it needs.',
        tags: ['payments'],
        summary: 'The payment providers and the credential fields each takes',
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ provider: Str, label: Str, credentialFields: Type.Array(Str) })) }) },
      },
    },
    async () => ({ items: Object.values(providers).map((p) => ({ provider: p.name, label: p.label, credentialFields: [...p.credentialFields] })) }),
  );

  app.post(
    '/payment-accounts',
    {
      config: { access: 'payments.manage' },
      schema: {
        description: 'Credentials are stored encrypted and never returned; the answer gives the notify URL to configure at the provider. Needs payments.manage. Audited.',
        tags: ['payments'],
        summary: 'Add a payment account (a WeChat Pay merchant, an Alipay app, a Stripe account)',
        body: Type.Object({
          provider: Type.Union([Type.Literal('wechatpay'), Type.Literal('alipay'), Type.Literal('stripe')]),
          name: Type.String({ minLength: 1, maxLength: 128 }),
          credentials: Credentials,
          channelAccounts: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200, description: 'Channel account ids whose orders it pays for' }),
          orderRef: Type.Optional(OrderRef),
        }),
        response: { 201: PaymentAccountView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => reply.code(201).send(view(hub, await hub.writes.createPaymentAccount(who(req), req.body))),
  );

  app.get(
    '/payment-accounts',
    { config: { access: 'payments.read' }, schema: { summary: 'The payment accounts of this organisation', description: 'Each account’s provider, merchant id, name and notify URL, and the names of its credentials (never their values). Needs payments.read.', tags: ['payments'], response: { 200: Type.Object({ items: Type.Array(PaymentAccountView) }) } } },
    async (req) => ({ items: (await hub.paymentAccounts.list(who(req))).map((a) => view(hub, a)) }),
  );

  app.get(
    '/payment-accounts/:id',
    {
      config: { access: 'payments.read' },
      schema: { summary: 'One payment account', description: 'As in the list; 404 ACCOUNT_NOT_FOUND for another organisation’s. Credentials are never shown.', tags: ['payments'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { 200: PaymentAccountView, 404: ErrorBody } },
    },
    async (req) => view(hub, await hub.paymentAccounts.getFor(who(req), req.params.id)),
  );

  app.patch(
    '/payment-accounts/:id',
    {
      config: { access: 'payments.manage' },
      schema: {
        summary: 'Change a payment account: name, active, credentials',
        description: 'Credentials sent are merged into the stored ones and re-encrypted; a switched-off account refuses notices. Needs payments.manage. Audited.',
        tags: ['payments'],
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
          credentials: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Changes the fields given and keeps the others; null removes one' })),
          channelAccounts: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 })),
          orderRef: Type.Optional(OrderRef),
          active: Type.Optional(Type.Boolean()),
        }),
        response: { 200: PaymentAccountView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => view(hub, await hub.writes.updatePaymentAccount(who(req), req.params.id, req.body)),
  );

  app.get(
    '/payment-exceptions',
    {
      config: { access: 'payments.read' },
      schema: {
        description: 'Open first, then resolved; filter by state and code. Each row says what the hub saw, the order it concerns and what it proposes (a refund, a recheck).',
        tags: ['payments'],
        summary: 'The payment exceptions queue: amount or merchant mismatch, unknown order, paid-no-stock, late payment, refund stuck …',
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('resolved')])),
          code: Type.Optional(Type.String({ maxLength: 40 })),
          orderId: Type.Optional(Type.String({ maxLength: 64 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(PaymentException) }) },
      },
    },
    async (req) => hub.refunds.exceptions(who(req), req.query),
  );

  app.get(
    '/payment-exceptions/:id',
    { config: { access: 'payments.read' }, schema: { summary: 'One payment exception', description: 'With the notice or query that raised it, its proposed refund if any, and how it was resolved. 404 PAYMENT_EXCEPTION_NOT_FOUND for another organisation’s.', tags: ['payments'], params: ExceptionId, response: { 200: PaymentException, 404: ErrorBody } } },
    async (req) => hub.refunds.exception(who(req), req.params.id),
  );

  app.post(
    '/payment-exceptions/:id/resolve',
    {
      config: { access: 'payments.manage' },
      schema: { description: 'Closes the exception with what was done; one that proposes a refund must be approved or declined instead (409 CONFLICT). Audited.', tags: ['payments'], summary: 'Resolve an exception with a note', params: ExceptionId, body: Note, response: { 200: PaymentException, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } },
    },
    async (req) => hub.writes.resolvePaymentException(who(req), req.params.id, req.body.note),
  );

  app.post(
    '/payment-exceptions/:id/approve-refund',
    {
      config: { access: 'refunds.approve' },
      schema: {
        description: 'Needs refunds.approve; the refund is sent through the outbox (idempotent on out_refund_no) and its outcome follows on the exception. Audited.',
        tags: ['payments'],
        summary: 'Approve the refund an exception proposes: it is sent to the provider with its out_refund_no',
        params: ExceptionId,
        body: Note,
        response: { 200: PaymentException, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.decideRefundProposal(who(req), req.params.id, { approve: true, note: req.body.note }),
  );

  app.post(
    '/payment-exceptions/:id/decline-refund',
    {
      config: { access: 'refunds.approve' },
      schema: {
        description: 'Needs refunds.approve; 409 CONFLICT when no refund proposal waits for a decision. Audited.',
        tags: ['payments'],
        summary: 'Decline the refund an exception proposes (e.g. stock came back and the order ships); resolves the exception',
        params: ExceptionId,
        body: Note,
        response: { 200: PaymentException, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req) => hub.writes.decideRefundProposal(who(req), req.params.id, { approve: false, note: req.body.note }),
  );

  app.post(
    '/payment-exceptions/:id/recheck',
    {
      config: { access: 'payments.manage' },
      schema: {
        description: 'Queries the provider for the order’s payment now; a confirmed payment goes through the same path as a notice, so nothing is applied twice.',
        tags: ['payments'],
        summary: "Ask the provider about the exception's order again; a payment it confirms is applied like a notice",
        params: ExceptionId,
        response: {
          200: Type.Object({
            query: Type.Object({ state: Str, providerState: Str, transactionId: NStr, amount: Type.Union([Type.Object({ value: Type.Integer(), currency: Str }), Type.Null()]) }),
            effect: Str,
            exception: PaymentException,
          }),
          404: ErrorBody,
          409: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (req) => hub.writes.recheckPayment(who(req), req.params.id),
  );

  app.post(
    '/orders/:idOrOrderNo/refunds',
    {
      config: { access: 'refunds.approve' },
      schema: {
        tags: ['payments'],
        summary: 'Refund (part of) an order’s payment through its provider',
        description:
          'Written with its out_refund_no and an outbox event in one transaction; the refund worker sends it (retrying with the same ' +
          'out_refund_no) and only the provider’s refund notice or a refund query confirms it.',
        params: Type.Object({ idOrOrderNo: Type.String({ maxLength: 64 }) }),
        body: Type.Object({
          amount: Type.Optional(Type.Integer({ minimum: 1, description: 'Minor units; default: all that is still refundable' })),
          reason: Type.String({ minLength: 1, maxLength: 80 }),
        }),
        response: { 201: Refund, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (req, reply) => {
      const p = who(req);
      const id = await hub.orders.resolveId(req.params.idOrOrderNo, p);
      return reply.code(201).send(await hub.writes.requestRefund(p, id, req.body));
    },
  );
};
