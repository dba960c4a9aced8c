// Stripe API client for what the payment service needs: a PaymentIntent by id or by the merchant's order number
// (metadata.order_no), a refund and its state. Requests carry `Authorization: Bearer <secret key>`, a pinned
// Stripe-Version (so object shapes do not follow the account's default version) and, for refunds, the merchant's
// refund number as Idempotency-Key. Stripe forgets idempotency keys after 24 hours, so a refund is first looked up
// by that number among the intent's refunds: a retry days later still finds the refund instead of making a second.
import { HubError, type ErrorCode } from '../../../../kernel/errors.ts';
import { minorToStripe } from './currency.ts';
import { isObject, text, toPayment, toRefund, type Money, type StripePayment, type StripeRefund, type StripeObject } from './objects.ts';

/** The API version the object shapes here were read against (the one stripe-node 23.1 pins). */
export const stripeApiVersion = '2026-10-28.endive';
export const stripeApiBase = 'https://api.stripe.com';

export interface StripeClientConfig {
  /** sk_live_…, sk_test_… or a restricted key (rk_…) allowed to read PaymentIntents and write Refunds. */
  secretKey: string;
  apiBase?: string;
  apiVersion?: string;
  /** Acts on a connected account (Stripe-Account header). */
  accountId?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface StripeErrorInfo {
  /** HTTP status, or null when no answer came. */
  status: number | null;
  /** Stripe's error.type / code / decline_code / param, as sent. */
  type: string | null;
  code: string | null;
  declineCode: string | null;
  param: string | null;
  requestId: string | null;
  /** Whether the same request may be sent again (for a refund: with the same Idempotency-Key). */
  retryable: boolean;
  /** A refund request whose fate is unknown (no answer, or a 5xx): look the refund up before deciding anything. */
  outcomeUnknown: boolean;
}

/** A Stripe API failure: a HubError whose code says the kind, with Stripe's own words in `stripe`. */
export class StripeApiError extends HubError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly stripe: StripeErrorInfo,
  ) {
    super(code, message, stripe);
    this.name = 'StripeApiError';
  }
}

export interface StripeRefundRequest {
  /** The PaymentIntent to refund (pi_…). */
  paymentIntentId: string;
  /** The merchant's refund number: Idempotency-Key and metadata.out_refund_no. */
  outRefundNo: string;
  /** In hub minor units; the currency must be the intent's. */
  amount: Money;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  /** Also kept as metadata.order_no, so refund notices name the order. */
  orderNo?: string;
}

export interface StripeRefundResult extends StripeRefund {
  /** True when Stripe answered from its idempotency store or the refund already existed: nothing new was made. */
  replayed: boolean;
}

interface Answer {
  status: number;
  body: StripeObject;
  headers: Headers;
}

const idPattern = (prefix: string) => new RegExp(`^${prefix}_[A-Za-z0-9_]{1,250}$`);
const piId = idPattern('pi');
const reId = idPattern('(re|pyr)');

/** Form encoding as Stripe's libraries write it: brackets left readable (metadata[out_refund_no]=…). */
function form(params: [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%5B/g, '[').replace(/%5D/g, ']');
  return params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

function fail(code: ErrorCode, message: string, info: Partial<StripeErrorInfo>): StripeApiError {
  return new StripeApiError(code, message, {
    status: null,
    type: null,
    code: null,
    declineCode: null,
    param: null,
    requestId: null,
    retryable: false,
    outcomeUnknown: false,
    ...info,
  });
}

/** Stripe's answer mapped to a HubError code and whether trying again can help. */
function mapError(a: Answer, method: string): StripeApiError {
  const e = isObject(a.body.error) ? a.body.error : {};
  const info: Partial<StripeErrorInfo> = {
    status: a.status,
    type: text(e, 'type'),
    code: text(e, 'code'),
    declineCode: text(e, 'decline_code'),
    param: text(e, 'param'),
    requestId: a.headers.get('request-id'),
  };
  const said = text(e, 'message') ?? `HTTP ${a.status}`;
  const message = `Stripe ${a.status}${info.code ? ` ${info.code}` : ''}: ${said}`;
  // Stripe may say outright whether a retry can help; it says false when its idempotency layer would only replay.
  const should = a.headers.get('stripe-should-retry');
  const advised = should === 'true' ? true : should === 'false' ? false : null;
  const s = a.status;
  if (s === 429 || info.code === 'rate_limit') return fail('RATE_LIMITED', message, { ...info, retryable: advised ?? true });
  if (info.type === 'idempotency_error') return fail('CONFLICT', message, { ...info, retryable: false });
  // 409: another request with this key is still running, or a lock timed out.
  if (s === 409) return fail('CONFLICT', message, { ...info, retryable: advised ?? true });
  if (s === 401) return fail('UNAUTHENTICATED', message, info);
  if (s === 403) return fail('FORBIDDEN', message, info);
  if (s >= 500) return fail('OVERLOADED', message, { ...info, retryable: advised ?? true, outcomeUnknown: method === 'POST' });
  return fail('VALIDATION_FAILED', message, { ...info, retryable: advised ?? false });
}

export class StripeClient {
  private readonly base: string;
  private readonly version: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly config: StripeClientConfig) {
    if (!/^(sk|rk)_(live|test)_[A-Za-z0-9]+$/.test(config.secretKey)) throw new HubError('CONFIG_INVALID', 'Stripe secretKey must be sk_… or rk_…');
    this.base = (config.apiBase ?? stripeApiBase).replace(/\/+$/, '');
    this.version = config.apiVersion ?? stripeApiVersion;
    this.doFetch = config.fetch ?? fetch;
  }

  private async call(method: 'GET' | 'POST', path: string, params: [string, string][] = [], idempotencyKey?: string): Promise<Answer> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.config.secretKey}`,
      'Stripe-Version': this.version,
      'User-Agent': 'orderhub-stripe/1',
    };
    if (this.config.accountId) headers['Stripe-Account'] = this.config.accountId;
    let url = `${this.base}${path}`;
    let body: string | undefined;
    if (method === 'POST') {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = form(params);
      if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    } else if (params.length) {
      url += `?${form(params)}`;
    }
    let res: Response;
    let raw: string;
    try {
      res = await this.doFetch(url, { method, headers, body, signal: AbortSignal.timeout(this.config.timeoutMs ?? 30_000) });
      raw = await res.text();
    } catch (e) {
      // No answer: a POST may or may not have happened, and its Idempotency-Key makes sending it again safe.
      throw fail('OVERLOADED', `Stripe did not answer ${method} ${path}: ${(e as Error).message}`, { retryable: true, outcomeUnknown: method === 'POST' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
    const answer: Answer = { status: res.status, body: isObject(parsed) ? parsed : {}, headers: res.headers };
    if (res.status >= 200 && res.status < 300) {
      if (!isObject(parsed)) {
        throw fail('OVERLOADED', `Stripe answered ${method} ${path} with a body that is not a JSON object`, {
          status: res.status,
          requestId: res.headers.get('request-id'),
          retryable: true,
          outcomeUnknown: method === 'POST',
        });
      }
      return answer;
    }
    throw mapError(answer, method);
  }

  /** GET that reads a 404 resource_missing as "there is none". */
  private async find(path: string): Promise<StripeObject | null> {
    try {
      return (await this.call('GET', path)).body;
    } catch (e) {
      if (e instanceof StripeApiError && e.stripe.status === 404 && e.stripe.code === 'resource_missing') return null;
      throw e;
    }
  }

  /** A PaymentIntent by id, or null when Stripe has none. */
  async getPaymentIntent(id: string): Promise<StripePayment | null> {
    if (!piId.test(id)) throw new HubError('VALIDATION_FAILED', 'a PaymentIntent id looks like pi_…');
    const pi = await this.find(`/v1/payment_intents/${encodeURIComponent(id)}`);
    return pi ? toPayment(pi) : null;
  }

  /**
   * Every PaymentIntent whose metadata.order_no is the order number (a buyer may have retried with a new intent),
   * newest first. Stripe's search index lags writes (usually under a minute, longer during outages), so a miss right
   * after checkout is not proof; the intent id from the notice or the checkout is the reliable key.
   */
  async findPaymentIntentsByOrderNo(orderNo: string): Promise<StripePayment[]> {
    if (!/^[\x20-\x7e]{1,500}$/.test(orderNo) || orderNo.includes('\\')) throw new HubError('VALIDATION_FAILED', 'order numbers are printable ASCII without backslashes');
    const query = `metadata['order_no']:'${orderNo.replace(/'/g, "\\'")}'`;
    const found: StripePayment[] = [];
    let page: string | null = null;
    for (let i = 0; i < 10; i++) {
      const params: [string, string][] = [['query', query], ['limit', '100']];
      if (page) params.push(['page', page]);
      const { body } = await this.call('GET', '/v1/payment_intents/search', params);
      const data = Array.isArray(body.data) ? body.data : [];
      for (const pi of data) if (isObject(pi)) found.push(toPayment(pi));
      page = body.has_more === true ? text(body, 'next_page') : null;
      if (!page) break;
    }
    // Only exact order numbers are this order's, whatever the search matched.
    return found.filter((p) => p.outTradeNo === orderNo).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  }

  /** A refund by id (re_…), or null when Stripe has none. */
  async getRefund(id: string): Promise<StripeRefund | null> {
    if (!reId.test(id)) throw new HubError('VALIDATION_FAILED', 'a refund id looks like re_…');
    const r = await this.find(`/v1/refunds/${encodeURIComponent(id)}`);
    return r ? toRefund(r) : null;
  }

  /** The intent's refund with this merchant refund number (metadata.out_refund_no), or null. */
  async findRefund(paymentIntentId: string, outRefundNo: string): Promise<StripeRefund | null> {
    if (!piId.test(paymentIntentId)) throw new HubError('VALIDATION_FAILED', 'a PaymentIntent id looks like pi_…');
    let after: string | null = null;
    for (let i = 0; i < 20; i++) {
      const params: [string, string][] = [['payment_intent', paymentIntentId], ['limit', '100']];
      if (after) params.push(['starting_after', after]);
      const { body } = await this.call('GET', '/v1/refunds', params);
      const data = (Array.isArray(body.data) ? body.data : []).filter(isObject);
      const hit = data.find((r) => isObject(r.metadata) && r.metadata.out_refund_no === outRefundNo);
      if (hit) return toRefund(hit);
      const last = data.at(-1);
      after = body.has_more === true && last ? text(last, 'id') : null;
      if (!after) return null;
    }
    return null;
  }

  /**
   * Refunds part or all of a PaymentIntent, once per merchant refund number: the intent's currency is checked first,
   * an existing refund with that number is returned as it is (a different amount under the same number is a CONFLICT), otherwise POST /v1/refunds with the
   * number as Idempotency-Key, so a retry after a lost answer gets the same refund back.
   */
  async createRefund(req: StripeRefundRequest): Promise<StripeRefundResult> {
    if (!piId.test(req.paymentIntentId)) throw new HubError('VALIDATION_FAILED', 'a PaymentIntent id looks like pi_…');
    // Stripe's limits: Idempotency-Key up to 255 characters, metadata values up to 500.
    if (!/^[\x21-\x7e]{1,255}$/.test(req.outRefundNo)) throw new HubError('VALIDATION_FAILED', 'outRefundNo must be 1–255 printable ASCII characters');
    if (req.orderNo !== undefined && !/^[\x20-\x7e]{1,500}$/.test(req.orderNo)) throw new HubError('VALIDATION_FAILED', 'orderNo must be 1–500 printable ASCII characters');
    const amount = minorToStripe(req.amount.value, req.amount.currency);
    const same = (r: StripeRefund) => r.amount.value === req.amount.value && r.amount.currency === req.amount.currency && r.transactionId === req.paymentIntentId;

    // Stripe refunds in the intent's currency whatever the amount meant, so a currency mix-up is stopped before money moves.
    const intent = await this.getPaymentIntent(req.paymentIntentId);
    if (!intent) throw new HubError('VALIDATION_FAILED', `Stripe has no PaymentIntent ${req.paymentIntentId}`);
    if (intent.amount.currency !== req.amount.currency) {
      throw new HubError('VALIDATION_FAILED', `PaymentIntent ${req.paymentIntentId} is in ${intent.amount.currency}, not ${req.amount.currency}`);
    }
    const existing = await this.findRefund(req.paymentIntentId, req.outRefundNo);
    if (existing) {
      if (!same(existing)) {
        throw fail('CONFLICT', `refund ${req.outRefundNo} already exists as ${existing.refundId} for ${existing.amount.value} ${existing.amount.currency}`, {});
      }
      return { ...existing, replayed: true };
    }
    const params: [string, string][] = [
      ['payment_intent', req.paymentIntentId],
      ['amount', String(amount)],
    ];
    if (req.reason) params.push(['reason', req.reason]);
    params.push(['metadata[out_refund_no]', req.outRefundNo]);
    if (req.orderNo) params.push(['metadata[order_no]', req.orderNo]);
    const a = await this.call('POST', '/v1/refunds', params, req.outRefundNo);
    const refund = toRefund(a.body);
    if (!same(refund)) {
      // Cannot happen unless Stripe and the hub disagree about the intent's currency: worth stopping for.
      throw fail('CONFLICT', `Stripe made refund ${refund.refundId} for ${refund.amount.value} ${refund.amount.currency}, not ${req.amount.value} ${req.amount.currency}`, {
        status: a.status,
        requestId: a.headers.get('request-id'),
      });
    }
    return { ...refund, replayed: a.headers.get('idempotent-replayed') === 'true' };
  }
}
