// Stripe: the fake's webhooks and the hub's verifier agree with Stripe's own library (stripe-node 23:
// generateTestHeaderString signs, constructEvent checks) on valid, tampered and stale notices; Stripe's own client,
// pointed at the fake, gets PaymentIntents and refunds in the shapes it expects (idempotency included); the hub's
// client gets the same from the fake, exactly once per refund number, with Stripe's errors mapped to retry or not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { HubError } from '../../src/kernel/errors.ts';
import type { NoticeRequest } from '../../src/modules/payments/providers/types.ts';
import { configProblems, stripeFailureAnswer, stripeSuccessAnswer, verifyStripeNotice, type StripeConfig } from '../../src/modules/payments/providers/stripe/notice.ts';
import { StripeApiError, StripeClient, stripeApiVersion } from '../../src/modules/payments/providers/stripe/client.ts';
import { minorToStripe, stripeToMinor } from '../../src/modules/payments/providers/stripe/currency.ts';
import { FakeStripe, stripeSignatureHeader, type FakeDelivery } from '../../src/sandbox/fakes/stripe.ts';

const NOW = Date.parse('2026-11-22T09:00:00Z');
const T = Math.floor(NOW / 1000);
const SECRET = 'whsec_Yk3vJm9QpR2sT7uW1xZ4aB6cD8eF0gH5';
const OLD_SECRET = 'whsec_Nn2bV4cX6zL8kJ0hG3fD5sA7pO9iU1yT';
const KEY = 'sk_test_51Fake0rderHubKey0000000000abcd';
const ACCT = 'acct_1FakeConnected01';
const config: StripeConfig = { webhookSecret: SECRET };

const oracle = Stripe.webhooks;
const req = (headers: Record<string, string | string[]>, rawBody: Buffer | string, now = NOW): NoticeRequest => ({
  headers,
  rawBody: Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody),
  now,
});
const fromDelivery = (d: FakeDelivery, now = NOW) => req(d.headers, d.rawBody, now);

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HubError) return e.code;
    throw e;
  }
  return 'ACCEPTED';
}

async function apiError(p: Promise<unknown>): Promise<StripeApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StripeApiError) return e;
    throw e;
  }
  throw new Error('expected a StripeApiError');
}

/** Whether Stripe's library accepts the notice; `receivedAt` in ms as the library takes it. */
function oracleAccepts(body: Buffer | string, header: string, secret = SECRET, receivedAt = NOW): boolean {
  try {
    oracle.constructEvent(body, header, secret, undefined, undefined, receivedAt);
    return true;
  } catch {
    return false;
  }
}

const flipByte = (b: Buffer, i: number) => {
  const c = Buffer.from(b);
  c[i] = c[i]! ^ 1;
  return c;
};
const flipHexAt = (s: string, i: number) => s.slice(0, i) + (s[i] === '0' ? '1' : '0') + s.slice(i + 1);

function event(type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    { id: 'evt_1TestEvent000001', object: 'event', api_version: stripeApiVersion, created: T - 2, data: { object }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, ...extra },
    null,
    2,
  );
}
const pi = (o: Record<string, unknown> = {}) => ({
  id: 'pi_3TestIntent0001',
  object: 'payment_intent',
  amount: 12345,
  amount_received: 12345,
  currency: 'usd',
  status: 'succeeded',
  latest_charge: 'ch_3TestCharge0001',
  metadata: { order_no: 'SO-1001' },
  created: T - 60,
  livemode: false,
  ...o,
});
const refund = (o: Record<string, unknown> = {}) => ({
  id: 're_3TestRefund0001',
  object: 'refund',
  amount: 2000,
  currency: 'usd',
  status: 'succeeded',
  charge: 'ch_3TestCharge0001',
  payment_intent: 'pi_3TestIntent0001',
  metadata: { out_refund_no: 'RF-1', order_no: 'SO-1001' },
  created: T - 5,
  ...o,
});
/** A body signed by Stripe's own library, verified by the hub. */
const signed = (body: string, now = NOW) => verifyStripeNotice(req({ 'stripe-signature': oracle.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T }) }, body, now), config);

describe('Stripe notice signature, against stripe-node', () => {
  const fake = new FakeStripe({ apiKeys: [KEY], webhookSecrets: [SECRET], now: () => NOW });
  fake.addPaymentIntent({ amount: 4200, currency: 'usd', orderNo: 'SO-1' });
  const ev = fake.takeEvents('payment_intent.succeeded')[0]!;
  const d = fake.delivery(ev, T);
  const header = d.headers['stripe-signature']!;

  it('the fake signs exactly as stripe-node does, and both verifiers accept', () => {
    expect(header).toBe(oracle.generateTestHeaderString({ payload: d.rawBody.toString('utf8'), secret: SECRET, timestamp: T }));
    expect(oracleAccepts(d.rawBody, header)).toBe(true);
    const n = verifyStripeNotice(fromDelivery(d), config);
    expect(n).toMatchObject({ provider: 'stripe', noticeId: ev.id, kind: 'payment', success: true, amount: { value: 4200, currency: 'USD' }, outTradeNo: 'SO-1', occurredAt: T * 1000 });
  });

  it('any byte of the body, the signature or the timestamp changed: both refuse, with the right code here', () => {
    const cases: { name: string; body: Buffer; header: string; code: string }[] = [];
    for (const i of [0, 1, Math.floor(d.rawBody.length / 2), d.rawBody.length - 1]) cases.push({ name: `body byte ${i}`, body: flipByte(d.rawBody, i), header, code: 'SIGNATURE_INVALID' });
    const sigAt = header.indexOf('v1=') + 3;
    for (const i of [0, 31, 63]) cases.push({ name: `signature char ${i}`, body: d.rawBody, header: flipHexAt(header, sigAt + i), code: 'SIGNATURE_INVALID' });
    cases.push({ name: 'timestamp +1', body: d.rawBody, header: header.replace(`t=${T}`, `t=${T + 1}`), code: 'SIGNATURE_INVALID' });
    cases.push({ name: 'timestamp -1', body: d.rawBody, header: header.replace(`t=${T}`, `t=${T - 1}`), code: 'SIGNATURE_INVALID' });
    cases.push({ name: 'timestamp not a number', body: d.rawBody, header: header.replace(`t=${T}`, `t=x${T}`), code: 'TIMESTAMP_INVALID' });
    cases.push({ name: 'no timestamp', body: d.rawBody, header: header.replace(`t=${T},`, ''), code: 'TIMESTAMP_INVALID' });
    cases.push({ name: 'scheme renamed', body: d.rawBody, header: header.replace('v1=', 'v2='), code: 'SIGNATURE_MISSING' });
    cases.push({ name: 'upper-case hex', body: d.rawBody, header: header.replace(/v1=([0-9a-f]+)/, (_, h: string) => `v1=${h.toUpperCase()}`), code: 'SIGNATURE_INVALID' });
    cases.push({ name: 'signed with another secret', body: d.rawBody, header: stripeSignatureHeader(d.rawBody, [OLD_SECRET], T), code: 'SIGNATURE_INVALID' });
    cases.push({ name: 'body re-serialized', body: Buffer.from(JSON.stringify(JSON.parse(d.rawBody.toString()))), header, code: 'SIGNATURE_INVALID' });
    for (const c of cases) {
      expect(oracleAccepts(c.body, c.header), c.name).toBe(false);
      expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': c.header }, c.body), config)), c.name).toBe(c.code);
    }
    // Stricter than stripe-node, whose parseInt reads "<t>x" as <t>: Stripe never sends such a t.
    const trailing = header.replace(`t=${T}`, `t=${T}x`);
    expect(oracleAccepts(d.rawBody, trailing)).toBe(true);
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': trailing }, d.rawBody), config))).toBe('TIMESTAMP_INVALID');
  });

  it('a replay outside 5 minutes is refused; exactly 300 s is still accepted, as by stripe-node', () => {
    const at = (now: number) => codeOf(() => verifyStripeNotice(fromDelivery(d, now), config));
    expect(at(NOW + 300_000)).toBe('ACCEPTED');
    expect(oracleAccepts(d.rawBody, header, SECRET, NOW + 300_000)).toBe(true);
    expect(at(NOW + 301_000)).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(oracleAccepts(d.rawBody, header, SECRET, NOW + 301_000)).toBe(false);
    expect(at(NOW + 86_400_000)).toBe('TIMESTAMP_OUT_OF_WINDOW');
    // Stricter than stripe-node on purpose: a t from the future is refused too (the SDK checks age only).
    expect(at(NOW - 301_000)).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect(oracleAccepts(d.rawBody, header, SECRET, NOW - 301_000)).toBe(true);
    expect(codeOf(() => verifyStripeNotice(fromDelivery(d, NOW + 3_600_000), config, { toleranceSec: 7200 }))).toBe('ACCEPTED');
  });

  it('secret rotation: two v1 signatures, either secret configured; v0 ignored', () => {
    const rolling = new FakeStripe({ apiKeys: [KEY], webhookSecrets: [SECRET, OLD_SECRET], includeV0: true, now: () => NOW });
    const e = rolling.emit('customer.created', { id: 'cus_1', object: 'customer' }, null);
    const r = rolling.delivery(e);
    const h = r.headers['stripe-signature']!;
    expect(h.match(/v1=/g)).toHaveLength(2);
    expect(h).toMatch(/,v0=[0-9a-f]{64}$/);
    expect(oracleAccepts(r.rawBody, h, SECRET)).toBe(true);
    expect(oracleAccepts(r.rawBody, h, OLD_SECRET)).toBe(true);
    expect(codeOf(() => verifyStripeNotice(fromDelivery(r), { webhookSecret: SECRET }))).toBe('ACCEPTED');
    expect(codeOf(() => verifyStripeNotice(fromDelivery(r), { webhookSecret: OLD_SECRET }))).toBe('ACCEPTED');
    // Old endpoint secret kept as previousWebhookSecret while Stripe still signs only with it.
    const oldOnly = req({ 'stripe-signature': stripeSignatureHeader(r.rawBody, [OLD_SECRET], T) }, r.rawBody);
    expect(codeOf(() => verifyStripeNotice(oldOnly, { webhookSecret: SECRET }))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => verifyStripeNotice(oldOnly, { webhookSecret: SECRET, previousWebhookSecret: OLD_SECRET }))).toBe('ACCEPTED');
    // A v0 alone, even one that would match, is not a signature the hub reads.
    const v0only = h.replace(/v1=[0-9a-f]+,/g, '');
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': v0only }, r.rawBody), config))).toBe('SIGNATURE_MISSING');
    expect(oracleAccepts(r.rawBody, v0only)).toBe(false);
  });

  it('missing, repeated or oversized headers and unreadable bodies are refused', () => {
    expect(codeOf(() => verifyStripeNotice(req({}, d.rawBody), config))).toBe('SIGNATURE_MISSING');
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': [header, header] }, d.rawBody), config))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': `${header},${'v1=0'.repeat(2000)}` }, d.rawBody), config))).toBe('SIGNATURE_INVALID');
    const notJson = 'not json';
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': stripeSignatureHeader(notJson, [SECRET], T) }, notJson), config))).toBe('BODY_INVALID_JSON');
    const thin = JSON.stringify({ id: 'evt_1', object: 'v2.core.event', type: 'v1.payment_intent.succeeded' });
    expect(codeOf(() => verifyStripeNotice(req({ 'stripe-signature': stripeSignatureHeader(thin, [SECRET], T) }, thin), config))).toBe('VALIDATION_FAILED');
    expect(() => oracle.constructEvent(thin, stripeSignatureHeader(thin, [SECRET], T), SECRET, undefined, undefined, NOW)).toThrow(/thin event/);
    const noId = event('customer.created', { id: 'cus_1' }, { id: '' });
    expect(codeOf(() => signed(noId))).toBe('EVENT_ID_MISSING');
  });
});

describe('Stripe notice meaning', () => {
  it('payment_intent.succeeded is the only paid state, with amount_received, order number and ids', () => {
    const n = signed(event('payment_intent.succeeded', pi({ amount: 12345, amount_received: 12000 })));
    expect(n).toMatchObject({
      noticeId: 'evt_1TestEvent000001',
      kind: 'payment',
      providerState: 'payment_intent.succeeded',
      success: true,
      outTradeNo: 'SO-1001',
      transactionId: 'pi_3TestIntent0001',
      outRefundNo: null,
      refundId: null,
      amount: { value: 12000, currency: 'USD' },
      merchant: { livemode: 'false' },
      occurredAt: (T - 2) * 1000,
    });
    expect(signed(event('payment_intent.succeeded', pi({ status: 'processing' }))).success).toBe(false);
    const failed = signed(event('payment_intent.payment_failed', pi({ status: 'requires_payment_method', amount_received: 0 })));
    expect(failed).toMatchObject({ kind: 'payment', success: false, providerState: 'payment_intent.payment_failed', amount: { value: 12345, currency: 'USD' } });
    for (const t of ['payment_intent.processing', 'payment_intent.canceled', 'payment_intent.requires_action', 'payment_intent.amount_capturable_updated']) {
      expect(signed(event(t, pi({ status: t.split('.')[1] }))).success, t).toBe(false);
    }
  });

  it('refund events: success only for status succeeded', () => {
    for (const type of ['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']) {
      for (const status of ['succeeded', 'pending', 'requires_action', 'failed', 'canceled']) {
        const n = signed(event(type, refund({ status })));
        expect(n, `${type} ${status}`).toMatchObject({
          kind: 'refund',
          providerState: `${type}/${status}`,
          success: status === 'succeeded',
          outRefundNo: 'RF-1',
          refundId: 're_3TestRefund0001',
          transactionId: 'pi_3TestIntent0001',
          outTradeNo: 'SO-1001',
          amount: { value: 2000, currency: 'USD' },
        });
      }
    }
  });

  it('charge.refunded names a refund only when its list holds exactly one', () => {
    const charge = { id: 'ch_3TestCharge0001', object: 'charge', amount: 12345, amount_refunded: 2000, currency: 'usd', payment_intent: 'pi_3TestIntent0001', refunded: false, metadata: { order_no: 'SO-1001' } };
    expect(signed(event('charge.refunded', charge))).toMatchObject({ kind: 'refund', providerState: 'charge.refunded', success: false, refundId: null, amount: null, transactionId: 'pi_3TestIntent0001', outTradeNo: 'SO-1001' });
    const one = { ...charge, refunds: { object: 'list', data: [refund()], has_more: false } };
    expect(signed(event('charge.refunded', one))).toMatchObject({ success: true, refundId: 're_3TestRefund0001', outRefundNo: 'RF-1', amount: { value: 2000, currency: 'USD' } });
    const two = { ...charge, refunds: { object: 'list', data: [refund(), refund({ id: 're_2' })], has_more: false } };
    expect(signed(event('charge.refunded', two))).toMatchObject({ success: false, refundId: null });
  });

  it('Connect account and livemode go into merchant; other events are kind other', () => {
    const n = signed(event('payment_intent.succeeded', pi(), { account: ACCT, livemode: true }));
    expect(n.merchant).toEqual({ account: ACCT, livemode: 'true' });
    expect(signed(event('customer.created', { id: 'cus_1', object: 'customer' }))).toMatchObject({ kind: 'other', success: false, amount: null, providerState: 'customer.created' });
  });

  it('amounts: Stripe units to hub minor units exactly, special-case currencies converted or refused', () => {
    const amountOf = (currency: string, amount: number) => signed(event('payment_intent.succeeded', pi({ currency, amount, amount_received: amount }))).amount;
    expect(amountOf('usd', 1999)).toEqual({ value: 1999, currency: 'USD' });
    expect(amountOf('jpy', 500)).toEqual({ value: 500, currency: 'JPY' });
    expect(amountOf('krw', 15000)).toEqual({ value: 15000, currency: 'KRW' });
    expect(amountOf('kwd', 5120)).toEqual({ value: 5120, currency: 'KWD' });
    expect(amountOf('twd', 80045)).toEqual({ value: 80045, currency: 'TWD' });
    // ISK and UGX: Stripe keeps two decimals that are always 00; the hub counts whole units.
    expect(amountOf('isk', 50000)).toEqual({ value: 500, currency: 'ISK' });
    expect(amountOf('ugx', 6000000)).toEqual({ value: 60000, currency: 'UGX' });
    // HUF: Stripe allows two-decimal charges; the hub's forint has no minor unit, so only whole forints convert.
    expect(amountOf('huf', 100000)).toEqual({ value: 1000, currency: 'HUF' });
    const refused = (currency: string, amount: unknown) => codeOf(() => signed(event('payment_intent.succeeded', pi({ currency, amount, amount_received: amount }))));
    expect(refused('huf', 1045)).toBe('VALIDATION_FAILED');
    expect(refused('isk', 50050)).toBe('VALIDATION_FAILED');
    expect(refused('usd', 19.99)).toBe('VALIDATION_FAILED');
    expect(refused('usd', -1)).toBe('VALIDATION_FAILED');
    expect(refused('usd', '1999')).toBe('VALIDATION_FAILED');
    expect(refused('USD', 1999)).toBe('VALIDATION_FAILED');
    expect(refused('zzz', 1999)).toBe('VALIDATION_FAILED');
    expect(refused('lyd', 1000)).toBe('VALIDATION_FAILED');
    expect(stripeToMinor(Number.MAX_SAFE_INTEGER, 'JPY')).toBe(Number.MAX_SAFE_INTEGER);
    // And back, for refunds.
    expect(minorToStripe(500, 'ISK')).toBe(50000);
    expect(minorToStripe(500, 'JPY')).toBe(500);
    expect(minorToStripe(1999, 'USD')).toBe(1999);
    expect(minorToStripe(5120, 'KWD')).toBe(5120);
    expect(codeOf(() => minorToStripe(5124, 'KWD'))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => minorToStripe(0, 'USD'))).toBe('VALIDATION_FAILED');
  });

  it('answers and configuration', () => {
    expect(stripeSuccessAnswer()).toEqual({ status: 200, contentType: 'application/json', body: '{"received":true}' });
    expect(stripeFailureAnswer()).toMatchObject({ status: 400 });
    expect(stripeFailureAnswer(503).status).toBe(503);
    expect(configProblems({ webhookSecret: SECRET, secretKey: KEY, accountId: ACCT, apiBase: 'http://127.0.0.1:9', apiVersion: stripeApiVersion })).toEqual([]);
    expect(configProblems({ webhookSecret: SECRET })).toEqual([]);
    expect(configProblems({ webhookSecret: `${SECRET}\n`, secretKey: 'pk_test_123', apiBase: 'http://stripe.example', accountId: 'x', apiVersion: 'latest' })).toHaveLength(5);
    expect(configProblems(null)).toHaveLength(1);
  });
});

describe('the fake answers as Stripe does, to stripe-node itself', () => {
  const fake = new FakeStripe({ apiKeys: [KEY], webhookSecrets: [SECRET] });
  let sdk: Stripe;
  let port: number;

  beforeAll(async () => {
    const url = await fake.start();
    port = Number(new URL(url).port);
    sdk = new Stripe(KEY, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
  });
  afterAll(() => fake.close());

  it('retrieves and searches PaymentIntents; the SDK sends its pinned version', async () => {
    const created = fake.addPaymentIntent({ amount: 2599, currency: 'eur', orderNo: 'SO-SDK-1' });
    const got = await sdk.paymentIntents.retrieve(created.id as string);
    expect(got).toMatchObject({ id: created.id, object: 'payment_intent', amount: 2599, amount_received: 2599, currency: 'eur', status: 'succeeded', metadata: { order_no: 'SO-SDK-1' } });
    expect(got.lastResponse.requestId).toMatch(/^req_/);
    expect(fake.requests.at(-1)!.headers['stripe-version']).toBe(stripeApiVersion);
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
    const found = await sdk.paymentIntents.search({ query: "metadata['order_no']:'SO-SDK-1'" });
    expect(found.data.map((p) => p.id)).toEqual([created.id]);
  });

  it('refunds: same key and parameters replay; same key, other parameters → idempotency_error', async () => {
    const p = fake.addPaymentIntent({ amount: 5000, currency: 'usd', orderNo: 'SO-SDK-2' });
    const params = { payment_intent: p.id as string, amount: 1500, reason: 'requested_by_customer' as const, metadata: { out_refund_no: 'RF-SDK-1' } };
    const before = fake.refundCount();
    const first = await sdk.refunds.create(params, { idempotencyKey: 'RF-SDK-1' });
    const again = await sdk.refunds.create(params, { idempotencyKey: 'RF-SDK-1' });
    expect(again.id).toBe(first.id);
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(fake.refundCount()).toBe(before + 1);
    expect(first).toMatchObject({ object: 'refund', amount: 1500, currency: 'usd', status: 'succeeded', payment_intent: p.id, metadata: { out_refund_no: 'RF-SDK-1' } });
    expect(fake.requests.at(-1)!.body).toContain('metadata[out_refund_no]=RF-SDK-1');

    const err = await sdk.refunds.create({ ...params, amount: 1600 }, { idempotencyKey: 'RF-SDK-1' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'StripeIdempotencyError', rawType: 'idempotency_error', statusCode: 400 });
    expect(fake.refundCount()).toBe(before + 1);

    const r = await sdk.refunds.retrieve(first.id);
    expect(r.id).toBe(first.id);
  });

  it('errors come back as the SDK classifies Stripe errors', async () => {
    const missing = await sdk.paymentIntents.retrieve('pi_missing').catch((e: unknown) => e);
    expect(missing).toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', statusCode: 404 });
    const wrongKey = new Stripe(`${KEY.slice(0, -1)}x`, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
    expect(await wrongKey.paymentIntents.retrieve('pi_missing').catch((e: unknown) => e)).toMatchObject({ type: 'StripeAuthenticationError', statusCode: 401 });
    const p = fake.addPaymentIntent({ amount: 1000, currency: 'usd' });
    const over = await sdk.refunds.create({ payment_intent: p.id as string, amount: 1001 }).catch((e: unknown) => e);
    expect(over).toMatchObject({ type: 'StripeInvalidRequestError', param: 'amount', statusCode: 400 });
    await sdk.refunds.create({ payment_intent: p.id as string });
    expect(await sdk.refunds.create({ payment_intent: p.id as string }).catch((e: unknown) => e)).toMatchObject({ code: 'charge_already_refunded' });
    fake.inject({ status: 429 });
    expect(await sdk.paymentIntents.retrieve(p.id as string).catch((e: unknown) => e)).toMatchObject({ type: 'StripeRateLimitError', statusCode: 429 });
    fake.inject({ status: 500, headers: { 'stripe-should-retry': 'false' } });
    expect(await sdk.paymentIntents.retrieve(p.id as string).catch((e: unknown) => e)).toMatchObject({ type: 'StripeAPIError', statusCode: 500 });
  });

  it('refund events the fake sends are accepted by stripe-node and by the hub', async () => {
    const p = fake.addPaymentIntent({ amount: 3000, currency: 'jpy', orderNo: 'SO-SDK-3' });
    fake.takeEvents();
    const r = await sdk.refunds.create({ payment_intent: p.id as string, amount: 1000, metadata: { out_refund_no: 'RF-SDK-3' } }, { idempotencyKey: 'RF-SDK-3' });
    fake.settleRefund(r.id, 'succeeded');
    const events = fake.takeEvents();
    expect(events.map((e) => e.type)).toEqual(['refund.created', 'charge.refunded', 'refund.updated', 'charge.refund.updated']);
    for (const e of events) {
      const d = fake.delivery(e);
      const now = Date.now();
      const checked = oracle.constructEvent(d.rawBody, d.headers['stripe-signature']!, SECRET, undefined, undefined, now);
      expect(checked.id).toBe(e.id);
      const n = verifyStripeNotice(fromDelivery(d, now), config);
      expect(n.noticeId).toBe(e.id);
      if (e.type !== 'charge.refunded') expect(n).toMatchObject({ kind: 'refund', success: true, refundId: r.id, outRefundNo: 'RF-SDK-3', amount: { value: 1000, currency: 'JPY' } });
    }
  });
});

describe('the hub client against the fake', () => {
  const fake = new FakeStripe({ apiKeys: [KEY], webhookSecrets: [SECRET], refundStatus: 'pending' });
  let base = '';
  let client: StripeClient;
  let hook: Server;
  let hookUrl = '';

  beforeAll(async () => {
    base = await fake.start();
    client = new StripeClient({ secretKey: KEY, apiBase: base });
    hook = createServer((rq, rs) => {
      const chunks: Buffer[] = [];
      rq.on('data', (c: Buffer) => chunks.push(c));
      rq.on('end', () => {
        let a = stripeSuccessAnswer();
        try {
          verifyStripeNotice({ headers: rq.headers, rawBody: Buffer.concat(chunks), now: Date.now() }, config);
        } catch {
          a = stripeFailureAnswer(400);
        }
        rs.writeHead(a.status, { 'content-type': a.contentType });
        rs.end(a.body);
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await fake.close();
    hook.closeAllConnections();
    await new Promise<void>((resolve) => hook.close(() => resolve()));
  });

  it('queries a PaymentIntent by id and by order number, with the pinned version and Bearer key', async () => {
    const p = fake.addPaymentIntent({ amount: 12345, currency: 'usd', orderNo: "SO-2001'x" });
    const older = fake.addPaymentIntent({ amount: 12345, currency: 'usd', orderNo: "SO-2001'x", status: 'requires_payment_method' });
    const got = await client.getPaymentIntent(p.id as string);
    expect(got).toMatchObject({ transactionId: p.id, outTradeNo: "SO-2001'x", status: 'succeeded', success: true, amount: { value: 12345, currency: 'USD' }, amountReceived: { value: 12345, currency: 'USD' } });
    const last = fake.requests.at(-1)!;
    expect(last.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(last.headers['stripe-version']).toBe(stripeApiVersion);
    const byOrder = await client.findPaymentIntentsByOrderNo("SO-2001'x");
    expect(byOrder.map((x) => x.transactionId).sort()).toEqual([p.id, older.id].sort());
    expect(byOrder.find((x) => x.transactionId === older.id)).toMatchObject({ success: false, amountReceived: { value: 0 } });
    expect(await client.findPaymentIntentsByOrderNo('SO-none')).toEqual([]);
    expect(await client.getPaymentIntent('pi_doesnotexist')).toBeNull();
    expect(await client.getRefund('re_doesnotexist')).toBeNull();
  });

  it('a refund number makes one refund: sequential, concurrent, and after Stripe forgot the key', async () => {
    const p = fake.addPaymentIntent({ amount: 10000, currency: 'usd', orderNo: 'SO-3001' });
    const before = fake.refundCount();
    const r = { paymentIntentId: p.id as string, outRefundNo: 'RF-3001-1', amount: { value: 2500, currency: 'USD' }, reason: 'requested_by_customer' as const, orderNo: 'SO-3001' };
    const first = await client.createRefund(r);
    expect(first).toMatchObject({ outRefundNo: 'RF-3001-1', outTradeNo: 'SO-3001', transactionId: p.id, status: 'pending', success: false, amount: { value: 2500, currency: 'USD' }, replayed: false });
    const post = fake.requests.filter((q) => q.method === 'POST').at(-1)!;
    expect(post.headers['idempotency-key']).toBe('RF-3001-1');
    expect(post.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(post.body).get('metadata[out_refund_no]')).toBe('RF-3001-1');
    expect(post.body).toContain('metadata[out_refund_no]=RF-3001-1');
    const second = await client.createRefund(r);
    expect(second).toMatchObject({ refundId: first.refundId, replayed: true });
    expect(fake.refundCount()).toBe(before + 1);

    const c = { ...r, outRefundNo: 'RF-3001-2' };
    const both = await Promise.all([client.createRefund(c), client.createRefund(c)]);
    expect(both[0].refundId).toBe(both[1].refundId);
    expect(both.some((x) => x.replayed)).toBe(true);
    expect(fake.refundCount()).toBe(before + 2);

    // The same number for another amount is a conflict, not a second refund.
    const clash = await apiError(client.createRefund({ ...r, amount: { value: 2600, currency: 'USD' } }));
    expect(clash).toMatchObject({ code: 'CONFLICT' });
    expect(clash.stripe.retryable).toBe(false);
    // Another intent under a key Stripe still remembers: Stripe's own idempotency_error, mapped to CONFLICT.
    const q = fake.addPaymentIntent({ amount: 10000, currency: 'usd' });
    const keyClash = await apiError(client.createRefund({ ...r, paymentIntentId: q.id as string }));
    expect(keyClash.stripe).toMatchObject({ status: 400, type: 'idempotency_error', retryable: false });
    expect(keyClash.code).toBe('CONFLICT');
    expect(fake.refundCount()).toBe(before + 2);

    expect(await client.getRefund(first.refundId)).toMatchObject({ refundId: first.refundId, status: 'pending' });
    expect(await client.findRefund(p.id as string, 'RF-3001-2')).toMatchObject({ refundId: both[0].refundId });
    expect(await client.findRefund(p.id as string, 'RF-none')).toBeNull();
  });

  it('refund amounts in special-case currencies are sent in Stripe units', async () => {
    const isk = fake.addPaymentIntent({ amount: 100000, currency: 'isk' });
    const r = await client.createRefund({ paymentIntentId: isk.id as string, outRefundNo: 'RF-ISK', amount: { value: 300, currency: 'ISK' } });
    expect(r.amount).toEqual({ value: 300, currency: 'ISK' });
    expect(new URLSearchParams(fake.requests.filter((q) => q.method === 'POST').at(-1)!.body).get('amount')).toBe('30000');
    const jpy = fake.addPaymentIntent({ amount: 3000, currency: 'jpy' });
    expect((await client.createRefund({ paymentIntentId: jpy.id as string, outRefundNo: 'RF-JPY', amount: { value: 3000, currency: 'JPY' } })).amount).toEqual({ value: 3000, currency: 'JPY' });
    // The hub's currency must be the intent's: Stripe refunds in the intent's currency whatever the hub thinks.
    const usd = fake.addPaymentIntent({ amount: 3000, currency: 'usd' });
    const before = fake.refundCount();
    await expect(client.createRefund({ paymentIntentId: usd.id as string, outRefundNo: 'RF-CUR', amount: { value: 30, currency: 'JPY' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.createRefund({ paymentIntentId: 'pi_doesnotexist', outRefundNo: 'RF-CUR', amount: { value: 30, currency: 'USD' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(fake.refundCount()).toBe(before);
  });

  it('the refund notice afterwards reaches a webhook endpoint and is believed', async () => {
    const p = fake.addPaymentIntent({ amount: 8000, currency: 'usd', orderNo: 'SO-4001' });
    const r = await client.createRefund({ paymentIntentId: p.id as string, outRefundNo: 'RF-4001', amount: { value: 8000, currency: 'USD' }, orderNo: 'SO-4001' });
    fake.takeEvents();
    fake.settleRefund(r.refundId, 'succeeded');
    const [updated] = fake.takeEvents('refund.updated');
    expect(await fake.deliver(hookUrl, updated!)).toEqual({ status: 200, body: '{"received":true}' });
    const n = verifyStripeNotice(fromDelivery(fake.delivery(updated!), Date.now()), config);
    expect(n).toMatchObject({ kind: 'refund', success: true, providerState: 'refund.updated/succeeded', outRefundNo: 'RF-4001', outTradeNo: 'SO-4001', refundId: r.refundId, transactionId: p.id, amount: { value: 8000, currency: 'USD' } });
    expect(await client.getRefund(r.refundId)).toMatchObject({ status: 'succeeded', success: true });
    // A tampered delivery is answered with a failure, so Stripe would retry it.
    const d = fake.delivery(updated!);
    const res = await fetch(hookUrl, { method: 'POST', headers: d.headers, body: flipByte(d.rawBody, 10) });
    expect(res.status).toBe(400);
    // A failed refund: refund.updated/failed and refund.failed, neither a success.
    const p2 = fake.addPaymentIntent({ amount: 8000, currency: 'usd' });
    const r2 = await client.createRefund({ paymentIntentId: p2.id as string, outRefundNo: 'RF-4002', amount: { value: 100, currency: 'USD' } });
    fake.takeEvents();
    fake.settleRefund(r2.refundId, 'failed');
    const evs = fake.takeEvents().filter((e) => e.type.startsWith('refund.'));
    expect(evs.map((e) => verifyStripeNotice(fromDelivery(fake.delivery(e), Date.now()), config)).map((x) => [x.providerState, x.success])).toEqual([
      ['refund.updated/failed', false],
      ['refund.failed/failed', false],
    ]);
  });

  it('requests with a tampered key, an unknown account or a bad version are refused', async () => {
    const p = fake.addPaymentIntent({ amount: 100, currency: 'usd' });
    const tampered = new StripeClient({ secretKey: `${KEY.slice(0, -1)}e`, apiBase: base });
    const e = await apiError(tampered.getPaymentIntent(p.id as string));
    expect(e).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(e.stripe).toMatchObject({ status: 401, type: 'invalid_request_error', retryable: false });
    expect((await apiError(new StripeClient({ secretKey: KEY, apiBase: base, apiVersion: 'latest' }).getPaymentIntent(p.id as string))).code).toBe('VALIDATION_FAILED');
    // Objects of a connected account are seen only with its Stripe-Account header.
    const connected = fake.addPaymentIntent({ amount: 700, currency: 'usd', account: ACCT, orderNo: 'SO-C' });
    expect(await client.getPaymentIntent(connected.id as string)).toBeNull();
    const asAcct = new StripeClient({ secretKey: KEY, apiBase: base, accountId: ACCT });
    expect(await asAcct.getPaymentIntent(connected.id as string)).toMatchObject({ transactionId: connected.id });
    expect(fake.requests.at(-1)!.headers['stripe-account']).toBe(ACCT);
    const [succeeded] = fake.takeEvents('payment_intent.succeeded').filter((x) => x.account === ACCT);
    expect(verifyStripeNotice(fromDelivery(fake.delivery(succeeded!), Date.now()), config).merchant).toEqual({ account: ACCT, livemode: 'false' });
    expect(() => new StripeClient({ secretKey: 'pk_test_x', apiBase: base })).toThrow(HubError);
  });

  it('errors: rate limits and 5xx are retryable, a refund 5xx is of unknown outcome, Stripe-Should-Retry is obeyed', async () => {
    const p = fake.addPaymentIntent({ amount: 900, currency: 'usd' });
    const id = p.id as string;
    fake.inject({ status: 429 });
    expect(await apiError(client.getPaymentIntent(id))).toMatchObject({ code: 'RATE_LIMITED', stripe: { status: 429, code: 'rate_limit', retryable: true } });
    fake.inject({ status: 503 });
    expect(await apiError(client.getPaymentIntent(id))).toMatchObject({ code: 'OVERLOADED', stripe: { retryable: true, outcomeUnknown: false } });
    fake.inject({ status: 500, method: 'POST' });
    const lost = await apiError(client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5001', amount: { value: 100, currency: 'USD' } }));
    expect(lost).toMatchObject({ code: 'OVERLOADED', stripe: { status: 500, type: 'api_error', retryable: true, outcomeUnknown: true } });
    fake.inject({ status: 500, method: 'POST', headers: { 'stripe-should-retry': 'false' } });
    expect((await apiError(client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5001', amount: { value: 100, currency: 'USD' } }))).stripe.retryable).toBe(false);
    fake.inject({ status: 409, method: 'POST', error: { type: 'invalid_request_error', code: 'idempotency_key_in_use', message: 'There is currently another in-progress request using this idempotent key.' } });
    expect(await apiError(client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5001', amount: { value: 100, currency: 'USD' } }))).toMatchObject({ code: 'CONFLICT', stripe: { code: 'idempotency_key_in_use', retryable: true } });
    fake.inject({ status: 402, error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' } });
    expect(await apiError(client.getPaymentIntent(id))).toMatchObject({ code: 'VALIDATION_FAILED', stripe: { type: 'card_error', code: 'card_declined', declineCode: 'insufficient_funds', retryable: false } });
    // After all that, the retry with the same refund number makes exactly one refund.
    const before = fake.refundCount();
    await client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5001', amount: { value: 100, currency: 'USD' } });
    await client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5001', amount: { value: 100, currency: 'USD' } });
    expect(fake.refundCount()).toBe(before + 1);
    // Over-refund and an unpaid intent: Stripe's invalid_request_error, not retryable.
    expect(await apiError(client.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5002', amount: { value: 900, currency: 'USD' } }))).toMatchObject({ code: 'VALIDATION_FAILED', stripe: { status: 400, param: 'amount', retryable: false } });
    const unpaid = fake.addPaymentIntent({ amount: 900, currency: 'usd', status: 'requires_payment_method' });
    expect((await apiError(client.createRefund({ paymentIntentId: unpaid.id as string, outRefundNo: 'RF-5003', amount: { value: 100, currency: 'USD' } }))).code).toBe('VALIDATION_FAILED');
    // No answer at all.
    const down = new StripeClient({ secretKey: KEY, apiBase: 'http://127.0.0.1:9', timeoutMs: 2000 });
    expect(await apiError(down.createRefund({ paymentIntentId: id, outRefundNo: 'RF-5004', amount: { value: 1, currency: 'USD' } }))).toMatchObject({ code: 'OVERLOADED', stripe: { status: null, retryable: true } });
    await expect(client.getPaymentIntent('../v1/refunds')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(client.createRefund({ paymentIntentId: id, outRefundNo: 'has space', amount: { value: 1, currency: 'USD' } })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
