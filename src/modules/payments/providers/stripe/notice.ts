// Stripe webhooks: Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…] where v1 = hex(HMAC-SHA256(endpoint secret
// "whsec_…" used as-is, `${t}.${raw body}`)); any v1 may match (a rolled secret signs alongside the old one for a
// while), v0 and unknown schemes are ignored. Stripe's SDK only checks the age of t; the hub refuses a t more than
// 5 minutes away in either direction, so a notice is never good for longer than that. The event id dedupes retries.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { refuseDeepJson } from '../../../../kernel/json.ts';
import { apiBaseProblems } from '../../../channels/connectors/types.ts';
import type { NoticeRequest, ProviderAnswer, VerifiedNotice } from '../types.ts';
import { stripeCurrency, stripeToMinor } from './currency.ts';
import { idOf, isObject, metadataValue, text, toPayment, toRefund, type StripeObject } from './objects.ts';

export interface StripeConfig {
  /** The webhook endpoint's signing secret (whsec_…). */
  webhookSecret: string;
  /** The secret before a roll: Stripe keeps signing with it (a second v1) until the expiry chosen when rolling. */
  previousWebhookSecret?: string;
  /** Secret or restricted API key (sk_live_…, sk_test_…, rk_…) for queries and refunds. */
  secretKey?: string;
  /** A Connect account (acct_…) the hub acts for: sent as Stripe-Account; the payment service holds an event's `account` against it. */
  accountId?: string;
  /** Replaces https://api.stripe.com (a fake, a proxy). */
  apiBase?: string;
  /** Replaces the pinned Stripe-Version. */
  apiVersion?: string;
}

export interface StripeNoticeOptions {
  /** Seconds t may be away from now, either way; Stripe's SDK default is 300. */
  toleranceSec?: number;
}

export const stripeToleranceSec = 300;

/** Events about a Refund object; charge.refunded carries the Charge instead. */
const refundEvents = new Set(['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']);

const hmac = (secret: string, t: string, body: Buffer) => createHmac('sha256', secret).update(`${t}.`).update(body).digest();

function header(req: NoticeRequest): string {
  const h = req.headers['stripe-signature'];
  if (Array.isArray(h) && h.length > 1) throw new HubError('SIGNATURE_INVALID', 'more than one Stripe-Signature header');
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) throw new HubError('SIGNATURE_MISSING', 'Stripe-Signature header is required');
  if (v.length > 4096) throw new HubError('SIGNATURE_INVALID', 'Stripe-Signature header is too long');
  return v;
}

/** t and the v1 signatures; split as Stripe's SDK splits (on "," then "="), but a malformed t is refused, not parsed leniently. */
function parse(value: string): { t: string; v1: Buffer[] } {
  let t: string | null = null;
  let tCount = 0;
  const v1: Buffer[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const val = eq < 0 ? '' : item.slice(eq + 1);
    if (key === 't') {
      t = val;
      tCount++;
    } else if (key === 'v1') {
      // Stripe sends lower-case hex; anything else cannot equal it (the SDK compares the strings), so it is skipped.
      v1.push(/^[0-9a-f]{64}$/.test(val) ? Buffer.from(val, 'hex') : Buffer.alloc(0));
    }
  }
  if (tCount !== 1 || t === null || !/^\d{1,12}$/.test(t)) throw new HubError('TIMESTAMP_INVALID', 'Stripe-Signature must carry one t=<unix seconds>');
  if (v1.length === 0) throw new HubError('SIGNATURE_MISSING', 'Stripe-Signature has no v1 signature');
  if (v1.length > 8) throw new HubError('SIGNATURE_INVALID', 'Stripe-Signature has too many v1 signatures');
  return { t, v1 };
}

/** Checks the signature and the time, then reads the event; throws HubError on any failure. */
export function verifyStripeNotice(req: NoticeRequest, config: StripeConfig, opts: StripeNoticeOptions = {}): VerifiedNotice {
  const { t, v1 } = parse(header(req));
  const secrets = [config.webhookSecret, config.previousWebhookSecret].filter((s): s is string => typeof s === 'string' && s !== '');
  if (secrets.length === 0) throw new HubError('CONFIG_INVALID', 'no Stripe webhook secret is configured');
  const expected = secrets.map((s) => hmac(s, t, req.rawBody));
  // Every pair is compared, so timing says nothing about which secret or which v1 came close.
  let ok = false;
  for (const e of expected) for (const g of v1) if (g.length === e.length && timingSafeEqual(g, e)) ok = true;
  if (!ok) throw new HubError('SIGNATURE_INVALID', 'Stripe-Signature does not match the body');

  const tolerance = opts.toleranceSec ?? stripeToleranceSec;
  const skew = Math.floor(req.now / 1000) - Number(t);
  if (Math.abs(skew) > tolerance) {
    throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `Stripe-Signature t is ${skew} s away from now (allowed ${tolerance} s)`);
  }

  // Signed by Stripe, yet nested beyond what any event has: refused before it is read.
  refuseDeepJson(req.rawBody);
  let body: unknown;
  try {
    body = JSON.parse(req.rawBody.toString('utf8'));
  } catch {
    throw new HubError('BODY_INVALID_JSON', 'body is not valid JSON');
  }
  return readEvent(body);
}

type NoticeBase = Pick<VerifiedNotice, 'provider' | 'noticeId' | 'merchant' | 'occurredAt' | 'content'>;

function readEvent(e: unknown): VerifiedNotice {
  if (!isObject(e) || e.object !== 'event') {
    // Thin events (object "v2.core.event") carry no data and need an API fetch: not what this endpoint is for.
    throw new HubError('VALIDATION_FAILED', 'the body is not a Stripe event (object "event")');
  }
  const id = text(e, 'id');
  const type = text(e, 'type');
  if (!id || !/^[\x21-\x7e]{1,255}$/.test(id)) throw new HubError('EVENT_ID_MISSING', 'the Stripe event has no id');
  if (!type) throw new HubError('VALIDATION_FAILED', 'the Stripe event has no type');
  const data = isObject(e.data) ? e.data.object : undefined;
  if (!isObject(data)) throw new HubError('VALIDATION_FAILED', 'the Stripe event has no data.object');
  const merchant: Record<string, string> = {};
  const account = text(e, 'account');
  if (account) merchant.account = account;
  if (typeof e.livemode === 'boolean') merchant.livemode = String(e.livemode);
  const base: NoticeBase = {
    provider: 'stripe',
    noticeId: id,
    merchant,
    occurredAt: typeof e.created === 'number' && Number.isSafeInteger(e.created) ? e.created * 1000 : null,
    content: e,
  };
  const none = { outTradeNo: null, transactionId: null, outRefundNo: null, refundId: null, amount: null };

  if (type.startsWith('payment_intent.')) {
    const p = toPayment(data);
    const succeeded = type === 'payment_intent.succeeded' && p.success;
    return {
      ...base,
      kind: 'payment',
      providerState: type,
      success: succeeded,
      outTradeNo: p.outTradeNo,
      transactionId: p.transactionId,
      outRefundNo: null,
      refundId: null,
      // What arrived is what counts once it succeeded; before that, what was asked.
      amount: succeeded ? p.amountReceived : p.amount,
    };
  }
  if (refundEvents.has(type)) {
    const r = toRefund(data);
    return {
      ...base,
      kind: 'refund',
      providerState: `${type}/${r.status}`,
      success: r.success,
      outTradeNo: r.outTradeNo,
      transactionId: r.transactionId,
      outRefundNo: r.outRefundNo,
      refundId: r.refundId,
      amount: r.amount,
    };
  }
  if (type === 'charge.refunded') return chargeRefunded(base, type, data);
  return { ...base, ...none, kind: 'other', providerState: type, success: false };
}

/**
 * charge.refunded says a charge was (partly) refunded, not which refund: since API 2022-11-15 the charge's `refunds`
 * list is not included, and when several refunds exist the event does not say which one it is about. It names a
 * refund only when the list is present and holds exactly one; otherwise success stays false and the refund.* events
 * (or a refund query) tell.
 */
function chargeRefunded(base: NoticeBase, type: string, ch: StripeObject): VerifiedNotice {
  if (ch.object !== 'charge' || !text(ch, 'id')) throw new HubError('VALIDATION_FAILED', 'charge.refunded must carry a Stripe charge');
  const currency = stripeCurrency(ch.currency);
  stripeToMinor(ch.amount_refunded, currency, 'amount_refunded'); // refuses an amount the hub could not hold
  const list = isObject(ch.refunds) && Array.isArray(ch.refunds.data) ? ch.refunds.data : null;
  const complete = isObject(ch.refunds) && ch.refunds.has_more !== true;
  const only = list && complete && list.length === 1 && isObject(list[0]) ? toRefund(list[0]) : null;
  return {
    ...base,
    kind: 'refund',
    providerState: only ? `${type}/${only.status}` : type,
    success: only?.success ?? false,
    outTradeNo: only?.outTradeNo ?? metadataValue(ch, 'order_no'),
    transactionId: idOf(ch, 'payment_intent'),
    outRefundNo: only?.outRefundNo ?? null,
    refundId: only?.refundId ?? null,
    amount: only?.amount ?? null,
  };
}

const json = (status: number, body: unknown): ProviderAnswer => ({ status, contentType: 'application/json', body: JSON.stringify(body) });

/** What Stripe is told once the notice is committed: any 2xx ends its retries. */
export function stripeSuccessAnswer(): ProviderAnswer {
  return json(200, { received: true });
}

/** Any non-2xx makes Stripe retry (live mode: with backoff for up to three days); the body says nothing about why. */
export function stripeFailureAnswer(status = 400): ProviderAnswer {
  return json(status >= 400 && status <= 599 ? status : 400, { received: false });
}

/** Problems with a Stripe configuration; empty when usable. */
export function configProblems(config: unknown): string[] {
  const c = isObject(config) ? config : {};
  const problems: string[] = [];
  const secret = (v: unknown) => typeof v === 'string' && /^whsec_[\x21-\x7e]{16,}$/.test(v);
  if (!secret(c.webhookSecret)) problems.push('webhookSecret must be the endpoint signing secret (whsec_…, no spaces)');
  if (c.previousWebhookSecret !== undefined && !secret(c.previousWebhookSecret)) problems.push('previousWebhookSecret must be a signing secret (whsec_…)');
  if (c.secretKey !== undefined && (typeof c.secretKey !== 'string' || !/^(sk|rk)_(live|test)_[A-Za-z0-9]{16,}$/.test(c.secretKey))) {
    problems.push('secretKey must be a secret or restricted API key (sk_live_…, sk_test_…, rk_…)');
  }
  if (c.accountId !== undefined && (typeof c.accountId !== 'string' || !/^acct_[A-Za-z0-9]{8,}$/.test(c.accountId))) problems.push('accountId must be a Connect account id (acct_…)');
  if (c.apiVersion !== undefined && (typeof c.apiVersion !== 'string' || !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(c.apiVersion))) {
    problems.push('apiVersion must look like 2026-10-28.endive');
  }
  problems.push(...apiBaseProblems(c.apiBase).map((p) => p.replace('credentials.', '')));
  return problems;
}
