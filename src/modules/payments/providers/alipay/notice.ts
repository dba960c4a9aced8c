// Alipay asynchronous notifications (OpenAPI v1 gateway): a form-encoded POST whose `sign` is base64 SHA256withRSA,
// made with Alipay's key, over every decoded field except sign and sign_type, sorted by key, joined k=v&k=v with empty
// values kept (the Java SDK's getSignCheckContentV1 and alipay-sdk's notifyRSACheck both keep them). No timestamp is
// signed apart from the fields: notify_time is one of them, and notify_id stays the same across Alipay's retries.
import { createPublicKey } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import { type NoticeRequest, type ProviderAnswer, type VerifiedNotice } from '../types.ts';
import {
  type AlipayConfig,
  alipayPublicKeyObject,
  alipayVerifyKeys,
  appPrivateKeyObject,
  canonicalContent,
  parseAlipayTime,
  rsa2Verify,
  signatureBytes,
} from './common.ts';

export { type AlipayConfig } from './common.ts';

export interface AlipayNoticeOptions {
  /**
   * How old notify_time may be. Alipay retries a notice 8 times within 25 h (4m,10m,10m,1h,2h,6h,15h) with the same
   * notify_id, so anything older is not a retry but a replay; refusing it lets the notify_id dedupe store forget
   * after 25 h. Default 25 h.
   */
  maxAgeMs?: number;
  /** How far notify_time may be ahead of the hub's clock. Default 5 min. */
  maxFutureMs?: number;
}

const hour = 3_600_000;
const defaultMaxAgeMs = 25 * hour;
const defaultMaxFutureMs = 5 * 60_000;

/** Alipay stops retrying only on the 7 bytes `success`; anything else (this) makes it retry. */
export const alipayAnswers: { readonly success: ProviderAnswer; readonly failure: ProviderAnswer } = {
  success: { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' },
  failure: { status: 500, contentType: 'text/plain; charset=utf-8', body: 'fail' },
};

const paidStates = new Set(['TRADE_SUCCESS', 'TRADE_FINISHED']);

function bad(message: string): never {
  throw new HubError('VALIDATION_FAILED', `Alipay notice: ${message}`);
}

/** Percent-decoding on bytes (`+` is a space in forms); the charset decides the text afterwards. */
function formBytes(part: Buffer): Buffer {
  const out = Buffer.alloc(part.length);
  let n = 0;
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as number;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25) {
      const hex = part.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) bad('malformed percent escape in the form body');
      out[n++] = parseInt(hex, 16);
      i += 2;
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

function split(buf: Buffer, byte: number): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(byte); i !== -1; i = buf.indexOf(byte, start)) {
    parts.push(buf.subarray(start, i));
    start = i + 1;
  }
  parts.push(buf.subarray(start));
  return parts;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function charsetName(v: string | undefined): string | undefined {
  return v?.trim().replace(/^"|"$/g, '').toLowerCase();
}

/**
 * The form's fields as text. Alipay encodes them in the charset of the payment request (the field `charset`), which
 * is utf-8 when the hub created the payment; GBK apps exist, but the hub has no GBK decoder among its dependencies,
 * so a GBK notice is refused (set the app to UTF-8) rather than decoded wrongly and failing its signature.
 */
export function decodeAlipayForm(rawBody: Buffer, contentCharset?: string): Map<string, string> {
  const raw = new Map<string, Buffer>();
  for (const pair of split(rawBody, 0x26)) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf(0x3d);
    const key = formBytes(eq === -1 ? pair : pair.subarray(0, eq)).toString('latin1');
    if (raw.has(key)) bad(`field ${key} appears twice`);
    raw.set(key, formBytes(eq === -1 ? Buffer.alloc(0) : pair.subarray(eq + 1)));
  }
  for (const cs of [charsetName(raw.get('charset')?.toString('latin1')), charsetName(contentCharset)]) {
    if (cs !== undefined && cs !== 'utf-8' && cs !== 'utf8') {
      throw new HubError('UNSUPPORTED_MEDIA_TYPE', `Alipay notice in charset ${cs}: only UTF-8 is accepted (create payments with charset=utf-8)`);
    }
  }
  const fields = new Map<string, string>();
  for (const [k, v] of raw) {
    try {
      fields.set(utf8.decode(Buffer.from(k, 'latin1')), utf8.decode(v));
    } catch {
      bad(`field ${k} is not valid UTF-8`);
    }
  }
  return fields;
}

function contentType(req: NoticeRequest): { type: string; charset?: string } {
  const h = req.headers['content-type'];
  const ct = (Array.isArray(h) ? h[0] : h) ?? '';
  const [type = '', ...params] = ct.split(';').map((s) => s.trim());
  const charset = params.find((p) => /^charset=/i.test(p))?.slice('charset='.length);
  return charset === undefined ? { type: type.toLowerCase() } : { type: type.toLowerCase(), charset };
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** Verifies an Alipay notice and says what it claims; throws HubError on anything not exactly as Alipay signs. */
export function verifyAlipayNotice(req: NoticeRequest, config: AlipayConfig, opts: AlipayNoticeOptions = {}): VerifiedNotice {
  const ct = contentType(req);
  if (ct.type !== 'application/x-www-form-urlencoded') {
    throw new HubError('UNSUPPORTED_MEDIA_TYPE', `Alipay notices are application/x-www-form-urlencoded, got ${ct.type || 'nothing'}`);
  }
  const f = decodeAlipayForm(req.rawBody, ct.charset);

  const sign = nonEmpty(f.get('sign'));
  if (!sign) throw new HubError('SIGNATURE_MISSING', 'Alipay notice has no sign');
  const signType = f.get('sign_type');
  if (!signType) throw new HubError('SIGNATURE_MISSING', 'Alipay notice has no sign_type');
  // RSA (SHA1withRSA) is the legacy type: a notice that claims it is refused, never verified with SHA1.
  if (signType !== 'RSA2') throw new HubError('SIGNATURE_INVALID', `Alipay notice sign_type ${signType} refused: only RSA2 is accepted`);
  const sig = signatureBytes(sign);
  if (!sig) throw new HubError('SIGNATURE_INVALID', 'Alipay notice sign is not base64');
  if (!rsa2Verify(canonicalContent(f, ['sign', 'sign_type'], true), sig, alipayVerifyKeys(config))) {
    throw new HubError('SIGNATURE_INVALID', 'Alipay notice signature does not match (is alipayPublicKey the Alipay public key?)');
  }

  // Signed, so what follows is what Alipay said; the window only bounds how long a notice can be replayed.
  const notifyId = nonEmpty(f.get('notify_id'));
  if (!notifyId) throw new HubError('EVENT_ID_MISSING', 'Alipay notice has no notify_id');
  const sentAt = parseAlipayTime(f.get('notify_time'));
  if (sentAt === null) throw new HubError('TIMESTAMP_INVALID', `Alipay notice notify_time ${JSON.stringify(f.get('notify_time') ?? null)} is not yyyy-MM-dd HH:mm:ss`);
  const age = req.now - sentAt;
  if (age > (opts.maxAgeMs ?? defaultMaxAgeMs) || -age > (opts.maxFutureMs ?? defaultMaxFutureMs)) {
    throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `Alipay notice notify_time ${f.get('notify_time')} is outside the retry window`);
  }

  const minor = (field: string): number | null => {
    const v = nonEmpty(f.get(field));
    return v === undefined ? null : decimalToMinor(v, 'CNY', field);
  };
  const status = f.get('trade_status') ?? '';
  const notifyType = f.get('notify_type');
  // A refund comes back through the payment's notify_url with the trade's state: TRADE_SUCCESS after a partial
  // refund, TRADE_CLOSED after a full one, and gmt_refund/refund_fee set (a TRADE_CLOSED without them closed unpaid).
  const refundFee = minor('refund_fee');
  const isRefund =
    (notifyType === undefined || notifyType === 'trade_status_sync') &&
    (status === 'TRADE_SUCCESS' || status === 'TRADE_CLOSED') &&
    (nonEmpty(f.get('gmt_refund')) !== undefined || (nonEmpty(f.get('out_biz_no')) !== undefined && (refundFee ?? 0) > 0));
  const kind: VerifiedNotice['kind'] =
    notifyType !== undefined && notifyType !== 'trade_status_sync' ? 'other' : isRefund ? 'refund' : status ? 'payment' : 'other';

  let amount: number | null = null;
  let occurredAt: number | null = null;
  if (kind === 'refund') {
    // refund_fee is the trade's total refunded so far, not this refund's amount (ask refund query for that).
    amount = refundFee;
    occurredAt = parseAlipayTime(f.get('gmt_refund'));
  } else if (kind === 'payment') {
    amount = minor('total_amount');
    occurredAt = parseAlipayTime(paidStates.has(status) ? f.get('gmt_payment') : status === 'TRADE_CLOSED' ? f.get('gmt_close') : f.get('gmt_create'));
  }

  const merchant: Record<string, string> = {};
  for (const k of ['app_id', 'auth_app_id', 'seller_id']) {
    const v = nonEmpty(f.get(k));
    if (v !== undefined) merchant[k] = v;
  }
  return {
    provider: 'alipay',
    noticeId: notifyId,
    kind,
    providerState: kind === 'other' ? (notifyType ?? status) : status,
    success: kind === 'payment' ? paidStates.has(status) : kind === 'refund',
    outTradeNo: nonEmpty(f.get('out_trade_no')) ?? null,
    transactionId: nonEmpty(f.get('trade_no')) ?? null,
    outRefundNo: kind === 'refund' ? (nonEmpty(f.get('out_biz_no')) ?? null) : null,
    refundId: null,
    amount: amount === null ? null : { value: amount, currency: 'CNY' },
    merchant,
    occurredAt: occurredAt ?? sentAt,
    content: Object.fromEntries(f),
  };
}

/** What is wrong with an Alipay configuration, in words for the console; empty when usable. */
export function configProblems(config: unknown): string[] {
  const c = (config ?? {}) as Partial<Record<keyof AlipayConfig, unknown>>;
  const problems: string[] = [];
  if (typeof c.appId !== 'string' || !/^\d{16}$/.test(c.appId)) problems.push('appId must be the 16-digit APPID');
  if (c.sellerId !== undefined && (typeof c.sellerId !== 'string' || !/^2088\d{12}$/.test(c.sellerId))) {
    problems.push('sellerId must be the 16-digit PID starting with 2088');
  }
  let appPublicDer: Buffer | null = null;
  if (typeof c.appPrivateKey !== 'string') problems.push('appPrivateKey is required (signs queries and refunds)');
  else {
    try {
      appPublicDer = Buffer.from(createPublicKey(appPrivateKeyObject(c.appPrivateKey)).export({ format: 'der', type: 'pkcs1' }));
    } catch (e) {
      problems.push(e instanceof HubError ? e.message : 'appPrivateKey is unusable');
    }
  }
  for (const name of ['alipayPublicKey', 'previousAlipayPublicKey'] as const) {
    const v = c[name];
    if (v === undefined && name === 'previousAlipayPublicKey') continue;
    if (typeof v !== 'string') {
      problems.push(`${name} is required (verifies notices and responses)`);
      continue;
    }
    try {
      const der = alipayPublicKeyObject(v, name).export({ format: 'der', type: 'pkcs1' });
      // The most common mistake: pasting the app's own public key where Alipay's belongs; nothing would verify.
      if (appPublicDer && Buffer.from(der).equals(appPublicDer)) problems.push(`${name} is the app's own public key: use the Alipay public key (支付宝公钥)`);
    } catch (e) {
      problems.push(e instanceof HubError ? e.message : `${name} is unusable`);
    }
  }
  if (c.gateway !== undefined) {
    let u: URL | null = null;
    try {
      u = typeof c.gateway === 'string' ? new URL(c.gateway) : null;
    } catch {
      u = null;
    }
    const loopback = u !== null && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]');
    if (!u || !(u.protocol === 'https:' || (u.protocol === 'http:' && loopback))) problems.push('gateway must be an https URL (plain http only on loopback)');
  }
  return problems;
}
