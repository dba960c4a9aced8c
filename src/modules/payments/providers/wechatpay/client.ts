// WeChat Pay APIv3 client for what the hub asks: the payment by the merchant's order number, a refund, and the refund
// by the merchant's refund number. Each request is signed with the merchant API key:
//   Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"
//   signature = base64 SHA256withRSA(`${METHOD}\n${path?query}\n${timestamp}\n${nonce}\n${body}\n`)
// and each answer is believed only with WeChat's own signature on it (the Wechatpay-* headers, as on callbacks).
// Refunds are idempotent on out_refund_no ("同一退款单号多次请求只退一笔"): a retry after any failure must reuse it.
// pay.weixin.qq.com/doc/v3/partner/4012081726 (基本规则: status codes, {code, message}),
// pay.weixin.qq.com/doc/v3/merchant/4013070356 (商户订单号查询订单), 4013071031 (退款开发指引: refund states).
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import { wechatPayDefaultApiBase, type WechatPayConfig } from './config.ts';
import { defaultToleranceSeconds, verifyWechatpaySignature, wechatpayHeaders } from './keys.ts';

/**
 * WeChat Pay said no, or could not be reached. `retryable`: the same request may be sent again as it is (a refund with
 * the same out_refund_no). `signed`: WeChat's signature was on the error answer (an unsigned 4xx could come from
 * anything between, or is WeChat's answer to a request it could not authenticate).
 */
export class WechatPayApiError extends Error {
  constructor(
    /** WeChat's code (PARAM_ERROR, SIGN_ERROR, ORDER_NOT_EXIST, NOT_ENOUGH, SYSTEM_ERROR …), or HTTP_<status>, NETWORK, TIMEOUT, INVALID_RESPONSE. */
    readonly code: string,
    message: string,
    readonly info: {
      status: number | null;
      retryable: boolean;
      signed?: boolean;
      /** The thing asked about does not exist at WeChat (an order never placed, a refund never accepted). */
      notFound?: boolean;
      /** The merchant key or serial is wrong (SIGN_ERROR): no retry helps until the configuration is fixed. */
      authFailed?: boolean;
      requestId?: string;
      detail?: unknown;
    },
  ) {
    super(message);
    this.name = 'WechatPayApiError';
  }
}

export interface WechatPayClientOptions {
  fetch?: typeof fetch;
  /** Epoch ms (tests move it). */
  now?: () => number;
  /** Per request (default 10 s). A refund that timed out may have been made: retry it with the same out_refund_no. */
  timeoutMs?: number;
  /** Seconds an answer's Wechatpay-Timestamp may be away from now (default 300). */
  toleranceSeconds?: number;
}

export interface WechatPayTransaction {
  outTradeNo: string;
  transactionId: string | null;
  /** SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR (ACCEPT on some products). */
  tradeState: string;
  /** Only SUCCESS. REFUND ("转入退款") was paid and then refunded, wholly or partly: the payment service decides. */
  success: boolean;
  /** The order amount (amount.total, fen); null while WeChat gives none (an unpaid order may lack it). */
  amount: { value: number; currency: string } | null;
  /** What the payer actually paid after WeChat-side discounts (amount.payer_total, fen). */
  payerTotal: number | null;
  merchant: Record<string, string>;
  successAt: number | null;
  raw: unknown;
}

export interface WechatPayRefund {
  outRefundNo: string;
  refundId: string | null;
  outTradeNo: string | null;
  transactionId: string | null;
  /** SUCCESS, CLOSED, PROCESSING, ABNORMAL. */
  status: string;
  success: boolean;
  /** The refund amount (amount.refund, fen). */
  amount: { value: number; currency: string };
  /** The original order's amount (amount.total, fen). */
  total: number | null;
  createdAt: number | null;
  successAt: number | null;
  raw: unknown;
}

export interface WechatPayRefundRequest {
  outTradeNo: string;
  /** The merchant's refund number: the idempotency key. Never change it when retrying a refund. */
  outRefundNo: string;
  /** Fen to refund, and the original order's total in fen (WeChat checks both). */
  refund: number;
  total: number;
  currency?: string;
  /** Shown to the buyer in WeChat (80 characters at most). */
  reason?: string;
  /** Where WeChat sends REFUND.* callbacks; without it, the URL set in the merchant console. */
  notifyUrl?: string;
}

/** WeChat's error body: {"code":"PARAM_ERROR","message":"…","detail":{"field":…,"issue":…}}. */
interface ErrorBody {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
}

const retryableCodes = new Set(['SYSTEM_ERROR', 'SYSTEMERROR', 'FREQUENCY_LIMITED', 'RATE_LIMITED', 'BANK_ERROR', 'INTERNAL_ERROR']);
const notFoundCodes = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'RESOURCE_NOT_EXISTS', 'NOT_FOUND']);

function mapError(status: number, body: unknown, signed: boolean, requestId: string | undefined): WechatPayApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const code = typeof b.code === 'string' && /^[A-Z0-9_]{1,64}$/.test(b.code) ? b.code : `HTTP_${status}`;
  const message = typeof b.message === 'string' ? b.message.slice(0, 300) : `HTTP ${status}`;
  return new WechatPayApiError(code, `WeChat Pay: ${code}: ${message}`, {
    status,
    retryable: status === 429 || status >= 500 || retryableCodes.has(code),
    signed,
    ...(status === 404 || notFoundCodes.has(code) ? { notFound: true } : {}),
    ...(status === 401 || code === 'SIGN_ERROR' ? { authFailed: true } : {}),
    ...(requestId ? { requestId } : {}),
    ...(b.detail !== undefined ? { detail: b.detail } : {}),
  });
}

const outTradeNoPattern = /^[0-9A-Za-z_\-|*]{1,32}$/;
const outRefundNoPattern = /^[0-9A-Za-z_\-|*@]{1,64}$/;

function need(ok: boolean, message: string): void {
  if (!ok) throw new HubError('VALIDATION_FAILED', `WeChat Pay: ${message}`);
}

function invalidAnswer(message: string): never {
  throw new WechatPayApiError('INVALID_RESPONSE', `WeChat Pay answered unexpectedly: ${message}`, { status: 200, retryable: false, signed: true });
}

function fen(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) invalidAnswer(`${field} is not an integer number of fen`);
  return v;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function time(v: unknown): number | null {
  return typeof v === 'string' ? parseIsoInstant(v) : null;
}

/** The Authorization header for one request; exported so the fake and the tests can check it byte for byte. */
export function wechatPayAuthorization(
  p: { mchid: string; serialNo: string; privateKey: KeyObject | string },
  method: string,
  pathWithQuery: string,
  body: string,
  timestamp: number,
  nonce: string,
): string {
  const message = `${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
  const signature = sign('sha256', Buffer.from(message, 'utf8'), p.privateKey).toString('base64');
  return `WECHATPAY2-SHA256-RSA2048 mchid="${p.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${p.serialNo}"`;
}

export interface WechatPayClient {
  /** GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=… */
  queryPayment(outTradeNo: string): Promise<WechatPayTransaction>;
  /** POST /v3/refund/domestic/refunds: accepted is not refunded; see status, the REFUND.* callback or queryRefund. */
  refund(r: WechatPayRefundRequest): Promise<WechatPayRefund>;
  /** GET /v3/refund/domestic/refunds/{out_refund_no} */
  queryRefund(outRefundNo: string): Promise<WechatPayRefund>;
}

export function createWechatPayClient(config: WechatPayConfig, opts: WechatPayClientOptions = {}): WechatPayClient {
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const base = (config.apiBase ?? wechatPayDefaultApiBase).replace(/\/+$/, '');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(config.merchantPrivateKey);
  } catch {
    throw new HubError('CONFIG_INVALID', 'WeChat Pay: merchantPrivateKey does not parse as a PEM private key');
  }
  const signer = { mchid: config.mchid, serialNo: config.merchantSerialNo, privateKey };

  async function call(method: 'GET' | 'POST', path: string, payload?: object): Promise<unknown> {
    const url = new URL(base + path);
    // The exact bytes signed are the bytes sent.
    const body = payload ? JSON.stringify(payload) : '';
    const timestamp = Math.floor(now() / 1000);
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const headers: Record<string, string> = {
      authorization: wechatPayAuthorization(signer, method, url.pathname + url.search, body, timestamp, nonce),
      accept: 'application/json',
      // APIv3 asks every request to name its client.
      'user-agent': 'orderhub-wechatpay/1',
    };
    if (payload) headers['content-type'] = 'application/json';
    let res: Response;
    let raw: Buffer;
    try {
      res = await doFetch(url, { method, headers, ...(payload ? { body } : {}), signal: AbortSignal.timeout(timeoutMs) });
      raw = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      throw new WechatPayApiError(timedOut ? 'TIMEOUT' : 'NETWORK', `WeChat Pay unreachable: ${e instanceof Error ? e.message : String(e)}`, { status: null, retryable: true });
    }
    const requestId = res.headers.get('request-id') ?? undefined;
    const h = wechatpayHeaders((n) => res.headers.get(n) ?? undefined);
    const signed = Boolean(h.signature);
    // A success must carry WeChat's signature; an error is checked when signed (WeChat does not sign its answer to a
    // request it could not authenticate, so an unsigned 401 is expected and only ever leads to "not done").
    if (res.ok || signed) verifyWechatpaySignature(h, raw, config, now(), opts.toleranceSeconds ?? defaultToleranceSeconds, 'answer');
    let parsed: unknown = null;
    if (raw.length) {
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        if (res.ok) invalidAnswer('the body is not JSON');
      }
    }
    if (!res.ok) throw mapError(res.status, parsed, signed, requestId);
    if (!parsed || typeof parsed !== 'object') invalidAnswer('the body is not a JSON object');
    return parsed;
  }

  function transactionOf(x: Record<string, unknown>, outTradeNo: string): WechatPayTransaction {
    // The answer must be about what was asked (a signed answer for another order is still not this order's).
    if (x.out_trade_no !== outTradeNo) invalidAnswer(`out_trade_no ${JSON.stringify(x.out_trade_no)} is not ${outTradeNo}`);
    const state = str(x.trade_state) ?? invalidAnswer('trade_state is missing');
    const a = (x.amount && typeof x.amount === 'object' ? x.amount : {}) as Record<string, unknown>;
    const merchant: Record<string, string> = {};
    for (const k of ['mchid', 'appid', 'sp_mchid', 'sub_mchid']) if (typeof x[k] === 'string' && x[k]) merchant[k] = x[k];
    return {
      outTradeNo,
      transactionId: str(x.transaction_id),
      tradeState: state,
      success: state === 'SUCCESS',
      amount: a.total !== undefined ? { value: fen(a.total, 'amount.total'), currency: str(a.currency) ?? 'CNY' } : null,
      payerTotal: a.payer_total !== undefined ? fen(a.payer_total, 'amount.payer_total') : null,
      merchant,
      successAt: time(x.success_time),
      raw: x,
    };
  }

  function refundOf(x: Record<string, unknown>, outRefundNo: string): WechatPayRefund {
    if (x.out_refund_no !== outRefundNo) invalidAnswer(`out_refund_no ${JSON.stringify(x.out_refund_no)} is not ${outRefundNo}`);
    const status = str(x.status) ?? invalidAnswer('status is missing');
    const a = (x.amount && typeof x.amount === 'object' ? x.amount : invalidAnswer('amount is missing')) as Record<string, unknown>;
    return {
      outRefundNo,
      refundId: str(x.refund_id),
      outTradeNo: str(x.out_trade_no),
      transactionId: str(x.transaction_id),
      status,
      success: status === 'SUCCESS',
      amount: { value: fen(a.refund, 'amount.refund'), currency: str(a.currency) ?? 'CNY' },
      total: a.total !== undefined ? fen(a.total, 'amount.total') : null,
      createdAt: time(x.create_time),
      successAt: time(x.success_time),
      raw: x,
    };
  }

  return {
    async queryPayment(outTradeNo) {
      need(outTradeNoPattern.test(outTradeNo), 'out_trade_no must be 1–32 of 0-9 A-Z a-z _ - | *');
      const x = await call('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}?mchid=${encodeURIComponent(config.mchid)}`);
      return transactionOf(x as Record<string, unknown>, outTradeNo);
    },

    async refund(r) {
      need(outTradeNoPattern.test(r.outTradeNo), 'out_trade_no must be 1–32 of 0-9 A-Z a-z _ - | *');
      need(outRefundNoPattern.test(r.outRefundNo), 'out_refund_no must be 1–64 of 0-9 A-Z a-z _ - | * @');
      need(Number.isSafeInteger(r.refund) && r.refund > 0, 'the refund must be a positive integer number of fen');
      need(Number.isSafeInteger(r.total) && r.total > 0 && r.refund <= r.total, 'the total must be an integer number of fen, not below the refund');
      need(r.reason === undefined || [...r.reason].length <= 80, 'the reason is 80 characters at most');
      if (r.notifyUrl !== undefined) {
        let u: URL | null = null;
        try {
          u = new URL(r.notifyUrl);
        } catch {
          u = null;
        }
        // WeChat's rule: an https URL reachable as it is, without a query string.
        need(Boolean(u && (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && r.notifyUrl.length <= 256), 'notify_url must be an https URL without a query string');
      }
      const body = {
        out_trade_no: r.outTradeNo,
        out_refund_no: r.outRefundNo,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.notifyUrl ? { notify_url: r.notifyUrl } : {}),
        amount: { refund: r.refund, total: r.total, currency: r.currency ?? 'CNY' },
      };
      const x = await call('POST', '/v3/refund/domestic/refunds', body);
      return refundOf(x as Record<string, unknown>, r.outRefundNo);
    },

    async queryRefund(outRefundNo) {
      need(outRefundNoPattern.test(outRefundNo), 'out_refund_no must be 1–64 of 0-9 A-Z a-z _ - | * @');
      const x = await call('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`);
      return refundOf(x as Record<string, unknown>, outRefundNo);
    },
  };
}
