// Alipay OpenAPI v1 gateway client: payment query, refund and refund query. Each request carries the common params
// (app_id, method, format, charset, sign_type, timestamp in Beijing time, version) and biz_content as JSON, signed
// with the app private key over all params but sign, sorted, k=v&k=v with empty values left out. Each response is
// trusted only after Alipay's signature over the exact raw text of its `<method>_response` value checks out.
import { HubError, type ErrorCode } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import { formatBeijingTime } from '../../../../kernel/time.ts';
import {
  type AlipayConfig,
  alipayGateway,
  alipayVerifyKeys,
  appPrivateKeyObject,
  canonicalContent,
  parseAlipayTime,
  rsa2Sign,
  rsa2Verify,
  signatureBytes,
  yuan,
} from './common.ts';

export interface AlipayClientOptions {
  fetch?: typeof fetch;
  /** Per request; the SDK's default is 5 s. */
  timeoutMs?: number;
  now?: () => number;
}

export interface AlipayApiErrorInfo {
  method: string;
  /** Safe and sensible to send again with the same parameters (a refund with the same out_request_no is idempotent). */
  retryable: boolean;
  /** Alipay's code (20000, 40004 …), or HTTP_<status>, NETWORK, TIMEOUT, RESPONSE. */
  alipayCode: string;
  subCode?: string;
  subMsg?: string;
  /** Whether Alipay's signature covered the error (unsigned errors are reported, never acted on as facts). */
  signed?: boolean;
}

export class AlipayApiError extends HubError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly info: AlipayApiErrorInfo,
  ) {
    super(code, message, info);
    this.name = 'AlipayApiError';
  }
  get retryable(): boolean {
    return this.info.retryable;
  }
}

export interface AlipayTrade {
  outTradeNo: string;
  tradeNo: string;
  /** WAIT_BUYER_PAY, TRADE_CLOSED, TRADE_SUCCESS, TRADE_FINISHED. */
  tradeStatus: string;
  /** True only for TRADE_SUCCESS and TRADE_FINISHED. */
  paid: boolean;
  /** Fen. */
  totalAmount: number;
  receiptAmount: number | null;
  buyerPayAmount: number | null;
  paidAt: number | null;
  raw: Record<string, unknown>;
}

export interface AlipayRefundResult {
  outTradeNo: string;
  tradeNo: string;
  /**
   * Y: money moved because of this call. N: it did not — a repeat of an out_request_no already refunded, or not done
   * yet; Alipay's docs say to confirm with the refund query then.
   */
  fundChange: boolean;
  /** The trade's total refunded so far, in fen (Alipay's refund_fee), not this refund's amount. */
  refundedTotal: number | null;
  refundedAt: number | null;
  raw: Record<string, unknown>;
}

export interface AlipayRefundQuery {
  outTradeNo: string | null;
  outRequestNo: string | null;
  /** Only refund_status REFUND_SUCCESS means refunded; absent means not received or failed (retry the same request). */
  refunded: boolean;
  refundAmount: number | null;
  refundedAt: number | null;
  raw: Record<string, unknown>;
}

const retryableSubCodes = new Set(['ACQ.SYSTEM_ERROR']);

/** The canonical string Alipay's gateway signs a request over: every param but sign, sorted, empty ones left out. */
export function requestSignContent(params: Record<string, string>): string {
  return canonicalContent(new Map(Object.entries(params)), ['sign'], false);
}

/** The top-level members of a JSON object as their exact raw text (the response sign covers those bytes). */
export function rawMembers(text: string): Map<string, string> {
  JSON.parse(text); // syntax first: the scanner below then only has to find boundaries
  const out = new Map<string, string>();
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text.charAt(i))) i++;
  };
  const skipString = () => {
    for (i++; i < text.length; i++) {
      if (text.charAt(i) === '\\') i++;
      else if (text.charAt(i) === '"') {
        i++;
        return;
      }
    }
  };
  const skipValue = () => {
    const c = text.charAt(i);
    if (c === '"') return skipString();
    if (c === '{' || c === '[') {
      let depth = 0;
      while (i < text.length) {
        const d = text.charAt(i);
        if (d === '"') {
          skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        i++;
        if (depth === 0) return;
      }
      return;
    }
    while (i < text.length && !',} \t\r\n'.includes(text.charAt(i))) i++;
  };
  ws();
  if (text.charAt(i) !== '{') throw new SyntaxError('not an object');
  i++;
  ws();
  if (text.charAt(i) === '}') return out;
  for (;;) {
    ws();
    const ks = i;
    skipString();
    const key = JSON.parse(text.slice(ks, i)) as string;
    ws();
    i++; // ':'
    ws();
    const vs = i;
    skipValue();
    if (out.has(key)) throw new SyntaxError(`duplicate member ${key}`);
    out.set(key, text.slice(vs, i));
    ws();
    if (text.charAt(i++) === ',') continue;
    return out;
  }
}

function str(o: Record<string, unknown>, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

function money(o: Record<string, unknown>, k: string): number | null {
  const v = o[k];
  return typeof v === 'string' || typeof v === 'number' ? decimalToMinor(v, 'CNY', k) : null;
}

function idText(v: string, field: string, max = 64): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new HubError('VALIDATION_FAILED', `${field} must be 1–${max} characters`);
  return v;
}

export function createAlipayClient(config: AlipayConfig, opts: AlipayClientOptions = {}) {
  const privateKey = appPrivateKeyObject(config.appPrivateKey);
  const verifyKeys = alipayVerifyKeys(config);
  const gateway = config.gateway ?? alipayGateway;
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 5000;

  /** The signed params for a call, as Alipay's gateway receives them. */
  function signedParams(method: string, biz: Record<string, unknown>): Record<string, string> {
    const params: Record<string, string> = {
      app_id: config.appId,
      method,
      format: 'JSON',
      charset: 'utf-8',
      sign_type: 'RSA2',
      timestamp: formatBeijingTime(now()),
      version: '1.0',
      biz_content: JSON.stringify(biz),
    };
    return { ...params, sign: rsa2Sign(requestSignContent(params), privateKey) };
  }

  function failure(method: string, code: ErrorCode, message: string, info: Omit<AlipayApiErrorInfo, 'method'>): AlipayApiError {
    return new AlipayApiError(code, `Alipay ${method}: ${message}`, { method, ...info });
  }

  /** The verified `<method>_response` object when its code is 10000; an AlipayApiError otherwise. */
  async function call(method: string, biz: Record<string, unknown>): Promise<Record<string, unknown>> {
    const params = signedParams(method, biz);
    // As alipay-sdk does: the common params in the query string, biz_content in the form body.
    const url = new URL(gateway);
    for (const [k, v] of Object.entries(params)) if (k !== 'biz_content') url.searchParams.set(k, v);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
        body: new URLSearchParams({ biz_content: params.biz_content ?? '' }).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const timeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      throw failure(method, 'NOT_READY', timeout ? 'timed out' : `network error: ${e instanceof Error ? e.message : String(e)}`, {
        alipayCode: timeout ? 'TIMEOUT' : 'NETWORK',
        retryable: true,
      });
    }
    if (res.status !== 200) {
      const retryable = res.status >= 500 || res.status === 429;
      throw failure(method, retryable ? 'NOT_READY' : 'INTERNAL', `HTTP ${res.status}`, { alipayCode: `HTTP_${res.status}`, retryable });
    }

    let members: Map<string, string>;
    try {
      members = rawMembers(text);
    } catch {
      // A proxy's error page, a truncated body: nothing Alipay said, so try again.
      throw failure(method, 'BODY_INVALID_JSON', 'response is not JSON', { alipayCode: 'RESPONSE', retryable: true });
    }
    const responseKey = `${method.replaceAll('.', '_')}_response`;
    const rawValue = members.get(responseKey) ?? members.get('error_response');
    const value: unknown = rawValue === undefined ? undefined : JSON.parse(rawValue);
    if (rawValue === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw failure(method, 'BODY_INVALID_JSON', `response has no ${responseKey}`, { alipayCode: 'RESPONSE', retryable: true });
    }
    const body = value as Record<string, unknown>;
    const code = str(body, 'code') ?? '';
    const signRaw = members.get('sign');
    const sign: unknown = signRaw === undefined ? undefined : JSON.parse(signRaw);

    // Java SDK rule: a success must be signed; an error is checked when signed (some gateway errors are not).
    let signed = false;
    if (typeof sign === 'string' && sign !== '') {
      const sig = signatureBytes(sign);
      // The Java SDK retries with `\/` unescaped: Alipay signs the text before its JSON writer escapes slashes.
      const ok = sig !== null && (rsa2Verify(rawValue, sig, verifyKeys) || (rawValue.includes('\\/') && rsa2Verify(rawValue.replaceAll('\\/', '/'), sig, verifyKeys)));
      if (!ok) throw failure(method, 'SIGNATURE_INVALID', 'response signature does not match', { alipayCode: code || 'RESPONSE', retryable: false });
      signed = true;
    } else if (code === '10000') {
      throw failure(method, 'SIGNATURE_MISSING', 'successful response is not signed', { alipayCode: code, retryable: false });
    }
    if (code === '10000') return body;

    const subCode = str(body, 'sub_code');
    const subMsg = str(body, 'sub_msg') ?? str(body, 'msg');
    const bare = subCode?.replace(/^aop\./, '');
    const info = { alipayCode: code, signed, ...(subCode !== undefined ? { subCode } : {}), ...(subMsg !== undefined ? { subMsg } : {}) };
    const what = `${code} ${subCode ?? ''} ${subMsg ?? ''}`.trim();
    if (code === '20000' || (bare !== undefined && retryableSubCodes.has(bare))) throw failure(method, 'NOT_READY', what, { ...info, retryable: true });
    if (code === '20001') throw failure(method, 'UNAUTHENTICATED', what, { ...info, retryable: false });
    if (code === '40006') throw failure(method, 'FORBIDDEN', what, { ...info, retryable: false });
    if (code === '40001' || code === '40002') {
      const config = bare !== undefined && /signature|app-id|app-auth|encrypt|sign-type/.test(bare);
      throw failure(method, config ? 'CONFIG_INVALID' : 'VALIDATION_FAILED', what, { ...info, retryable: false });
    }
    if (code === '40004') throw failure(method, bare === 'ACQ.TRADE_NOT_EXIST' ? 'ORDER_NOT_FOUND' : 'CONFLICT', what, { ...info, retryable: false });
    throw failure(method, 'INTERNAL', what || 'unknown response code', { ...info, retryable: false });
  }

  return {
    signedParams,

    /** alipay.trade.query by out_trade_no; null when Alipay has no such trade (ACQ.TRADE_NOT_EXIST: not paid or scanned). */
    async queryTrade(outTradeNo: string): Promise<AlipayTrade | null> {
      let r: Record<string, unknown>;
      try {
        r = await call('alipay.trade.query', { out_trade_no: idText(outTradeNo, 'outTradeNo') });
      } catch (e) {
        if (e instanceof AlipayApiError && e.info.subCode?.replace(/^aop\./, '') === 'ACQ.TRADE_NOT_EXIST' && e.info.signed) return null;
        throw e;
      }
      const tradeStatus = str(r, 'trade_status') ?? '';
      const total = money(r, 'total_amount');
      if (total === null) throw new HubError('VALIDATION_FAILED', 'Alipay alipay.trade.query: response has no total_amount');
      return {
        outTradeNo: str(r, 'out_trade_no') ?? outTradeNo,
        tradeNo: str(r, 'trade_no') ?? '',
        tradeStatus,
        paid: tradeStatus === 'TRADE_SUCCESS' || tradeStatus === 'TRADE_FINISHED',
        totalAmount: total,
        receiptAmount: money(r, 'receipt_amount'),
        buyerPayAmount: money(r, 'buyer_pay_amount'),
        paidAt: parseAlipayTime(str(r, 'send_pay_date')),
        raw: r,
      };
    },

    /**
     * alipay.trade.refund. out_request_no is the idempotency key: sending the same one again never refunds twice, so
     * after a retryable error send exactly the same request again (or ask queryRefund).
     */
    async refund(req: { outTradeNo: string; outRequestNo: string; amount: number; reason?: string }): Promise<AlipayRefundResult> {
      const biz: Record<string, unknown> = {
        out_trade_no: idText(req.outTradeNo, 'outTradeNo'),
        refund_amount: yuan(req.amount),
        out_request_no: idText(req.outRequestNo, 'outRequestNo'),
      };
      if (req.reason) biz.refund_reason = idText(req.reason, 'reason', 256);
      const r = await call('alipay.trade.refund', biz);
      return {
        outTradeNo: str(r, 'out_trade_no') ?? req.outTradeNo,
        tradeNo: str(r, 'trade_no') ?? '',
        fundChange: str(r, 'fund_change') === 'Y',
        refundedTotal: money(r, 'refund_fee'),
        refundedAt: parseAlipayTime(str(r, 'gmt_refund_pay')),
        raw: r,
      };
    },

    /** alipay.trade.fastpay.refund.query: whether the refund with this out_request_no went through. */
    async queryRefund(req: { outTradeNo: string; outRequestNo: string }): Promise<AlipayRefundQuery> {
      const r = await call('alipay.trade.fastpay.refund.query', {
        out_trade_no: idText(req.outTradeNo, 'outTradeNo'),
        out_request_no: idText(req.outRequestNo, 'outRequestNo'),
        query_options: ['gmt_refund_pay'],
      });
      return {
        outTradeNo: str(r, 'out_trade_no') ?? null,
        outRequestNo: str(r, 'out_request_no') ?? null,
        refunded: str(r, 'refund_status') === 'REFUND_SUCCESS',
        refundAmount: money(r, 'refund_amount'),
        refundedAt: parseAlipayTime(str(r, 'gmt_refund_pay')),
        raw: r,
      };
    },
  };
}

export type AlipayClient = ReturnType<typeof createAlipayClient>;
