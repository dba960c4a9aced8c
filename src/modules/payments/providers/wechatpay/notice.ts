// WeChat Pay APIv3 callbacks (支付/退款结果通知): the Wechatpay-* headers sign the raw body (see keys.ts), and the body's
// resource is AES-256-GCM encrypted with the APIv3 key. Only after both does the content say anything; what it says
// (merchant, amount, state) is for the payment service to believe or not.
// pay.weixin.qq.com/docs/merchant/development/interface-rules/certificate-callback-decryption.html (解密);
// wechatpay.js.org/webhook/v3/TRANSACTION.SUCCESS (a sample callback with its headers).
import { createDecipheriv } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { refuseDeepJson } from '../../../../kernel/json.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import type { NoticeRequest, ProviderAnswer, VerifiedNotice } from '../types.ts';
import type { WechatPayConfig } from './config.ts';
import { defaultToleranceSeconds, headerValue, verifyWechatpaySignature, wechatpayHeaders } from './keys.ts';

export { configProblems, type WechatPayConfig } from './config.ts';

/** What checking a callback needs: WeChat's keys and the APIv3 key (not the merchant's private key). */
export type WechatPayNoticeConfig = Pick<WechatPayConfig, 'apiV3Key' | 'previousApiV3Key' | 'platformCertificates' | 'publicKeys'>;

export interface WechatPayNoticeOptions {
  /** Seconds a callback's timestamp may be away from now (default 300, as the official SDKs). */
  toleranceSeconds?: number;
}

/** The callback envelope; everything worth knowing is inside the encrypted resource. */
interface Envelope {
  id?: unknown;
  create_time?: unknown;
  event_type?: unknown;
  resource_type?: unknown;
  summary?: unknown;
  resource?: { algorithm?: unknown; ciphertext?: unknown; associated_data?: unknown; nonce?: unknown; original_type?: unknown } | null;
}

interface TransactionResource {
  appid?: string;
  mchid?: string;
  sp_mchid?: string;
  sub_mchid?: string;
  out_trade_no?: string;
  transaction_id?: string;
  trade_state?: string;
  success_time?: string;
  amount?: { total?: unknown; payer_total?: unknown; currency?: unknown; payer_currency?: unknown };
}

interface RefundResource {
  mchid?: string;
  sp_mchid?: string;
  sub_mchid?: string;
  out_trade_no?: string;
  transaction_id?: string;
  out_refund_no?: string;
  refund_id?: string;
  refund_status?: string;
  success_time?: string;
  amount?: { total?: unknown; refund?: unknown; payer_total?: unknown; payer_refund?: unknown; currency?: unknown };
}

function invalid(message: string): never {
  throw new HubError('VALIDATION_FAILED', `WeChat Pay notification: ${message}`);
}

/** AES-256-GCM with the APIv3 key; the last 16 bytes of the ciphertext are the tag, and final() checks it. */
function decrypt(ciphertextB64: string, nonce: string, aad: string, apiV3Key: string): Buffer | null {
  const data = Buffer.from(ciphertextB64, 'base64');
  if (data.length < 16) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(0, data.length - 16)), d.final()]);
  } catch {
    return null;
  }
}

/** An amount in fen as WeChat sends it: a JSON integer, never a decimal. */
function fen(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) invalid(`${field} must be a non-negative integer number of fen, got ${JSON.stringify(v)}`);
  return v;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function instant(v: unknown, field: string): number | null {
  if (v === undefined || v === null || v === '') return null;
  const ms = typeof v === 'string' ? parseIsoInstant(v) : null;
  return ms ?? invalid(`${field} must be RFC 3339 with an offset`);
}

function merchantOf(r: { appid?: unknown; mchid?: unknown; sp_mchid?: unknown; sub_mchid?: unknown; sp_appid?: unknown; sub_appid?: unknown }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['mchid', 'appid', 'sp_mchid', 'sub_mchid', 'sp_appid', 'sub_appid'] as const) {
    const v = r[k];
    if (typeof v === 'string' && v) out[k] = v;
  }
  return out;
}

/**
 * Verifies a WeChat Pay APIv3 callback and decrypts it. Throws HubError: SIGNATURE_MISSING, TIMESTAMP_INVALID,
 * TIMESTAMP_OUT_OF_WINDOW, SIGNATURE_INVALID (details.unknownSerial when WeChat signed with a key not configured),
 * BODY_INVALID_JSON, EVENT_ID_MISSING, VALIDATION_FAILED.
 */
export function verifyWechatPayNotice(req: NoticeRequest, config: WechatPayNoticeConfig, opts: WechatPayNoticeOptions = {}): VerifiedNotice {
  verifyWechatpaySignature(
    wechatpayHeaders((n) => headerValue(req.headers[n])),
    req.rawBody,
    config,
    req.now,
    opts.toleranceSeconds ?? defaultToleranceSeconds,
  );
  // Signed by WeChat, yet nested beyond what any notification has: refused before it is read (and its resource too).
  refuseDeepJson(req.rawBody);
  let body: Envelope;
  try {
    body = JSON.parse(req.rawBody.toString('utf8')) as Envelope;
  } catch {
    throw new HubError('BODY_INVALID_JSON', 'the WeChat Pay notification is not JSON');
  }
  if (!body || typeof body !== 'object') invalid('the body is not an object');
  const noticeId = text(body.id);
  if (!noticeId) throw new HubError('EVENT_ID_MISSING', 'the WeChat Pay notification has no id');
  const eventType = text(body.event_type) ?? invalid('event_type is missing');
  const r = body.resource;
  if (!r || typeof r !== 'object') invalid('resource is missing');
  if (r.algorithm !== 'AEAD_AES_256_GCM') invalid(`resource.algorithm ${JSON.stringify(r.algorithm)} is not AEAD_AES_256_GCM`);
  if (typeof r.ciphertext !== 'string' || typeof r.nonce !== 'string' || !r.nonce) invalid('resource.ciphertext and resource.nonce are required');
  if (r.associated_data !== undefined && r.associated_data !== null && typeof r.associated_data !== 'string') invalid('resource.associated_data must be a string');
  const aad = typeof r.associated_data === 'string' ? r.associated_data : '';
  const ciphertext = r.ciphertext;
  const nonce = r.nonce;
  let plain: Buffer | null = null;
  for (const key of [config.apiV3Key, config.previousApiV3Key]) {
    if (key && !plain) plain = decrypt(ciphertext, nonce, aad, key);
  }
  // Signed by WeChat yet not decryptable: a wrong APIv3 key, or a resource altered before signing. Either way unread.
  if (!plain) throw new HubError('SIGNATURE_INVALID', 'the notification resource does not decrypt with the APIv3 key (wrong key, or altered nonce, associated_data or ciphertext)');
  refuseDeepJson(plain, 'the decrypted resource');
  let content: unknown;
  try {
    content = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new HubError('BODY_INVALID_JSON', 'the decrypted WeChat Pay resource is not JSON');
  }
  if (!content || typeof content !== 'object' || Array.isArray(content)) invalid('the decrypted resource is not an object');
  const createdAt = instant(body.create_time, 'create_time');
  const base = { provider: 'wechatpay', noticeId, content };

  if (eventType.startsWith('TRANSACTION.')) {
    const t = content as TransactionResource;
    const state = text(t.trade_state) ?? invalid('trade_state is missing');
    const a = t.amount;
    const amount = a && a.total !== undefined ? { value: fen(a.total, 'amount.total'), currency: text(a.currency) ?? invalid('amount.currency is missing') } : null;
    if (a?.payer_total !== undefined) fen(a.payer_total, 'amount.payer_total');
    return {
      ...base,
      kind: 'payment',
      providerState: state,
      // TRANSACTION.SUCCESS is the one payment event; its trade_state must agree (a conjunction, not either).
      success: eventType === 'TRANSACTION.SUCCESS' && state === 'SUCCESS',
      outTradeNo: text(t.out_trade_no),
      transactionId: text(t.transaction_id),
      outRefundNo: null,
      refundId: null,
      amount,
      merchant: merchantOf(t),
      occurredAt: instant(t.success_time, 'success_time') ?? createdAt,
    };
  }
  if (eventType.startsWith('REFUND.')) {
    const f = content as RefundResource;
    const status = text(f.refund_status) ?? invalid('refund_status is missing');
    const a = f.amount ?? invalid('amount is missing');
    for (const k of ['total', 'payer_total', 'payer_refund'] as const) if (a[k] !== undefined) fen(a[k], `amount.${k}`);
    return {
      ...base,
      kind: 'refund',
      // REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED: the event says which, refund_status says the same.
      providerState: eventType,
      success: eventType === 'REFUND.SUCCESS' && status === 'SUCCESS',
      outTradeNo: text(f.out_trade_no),
      transactionId: text(f.transaction_id),
      outRefundNo: text(f.out_refund_no),
      refundId: text(f.refund_id),
      // Domestic refund callbacks carry no currency: domestic WeChat Pay settles in CNY only.
      amount: { value: fen(a.refund, 'amount.refund'), currency: text(a.currency) ?? 'CNY' },
      merchant: merchantOf(f),
      occurredAt: instant(f.success_time, 'success_time') ?? createdAt,
    };
  }
  return {
    ...base,
    kind: 'other',
    providerState: eventType,
    success: false,
    outTradeNo: null,
    transactionId: null,
    outRefundNo: null,
    refundId: null,
    amount: null,
    merchant: merchantOf(content as Record<string, unknown>),
    occurredAt: createdAt,
  };
}

/** Received and committed: 200 with no body (WeChat reads the status; 204 would do as well). */
export function wechatPayNoticeSuccess(): ProviderAnswer {
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: '' };
}

/**
 * Not taken: any 4xx/5xx with {"code":"FAIL","message":…}, and WeChat retries (15s … 6h, about 24 h in all).
 * The message goes back to WeChat: keep it generic, never the reason a signature failed.
 */
export function wechatPayNoticeFailure(message = 'failed', status = 500): ProviderAnswer {
  const s = status >= 400 && status <= 599 ? status : 500;
  return { status: s, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code: 'FAIL', message: message.slice(0, 200) }) };
}
