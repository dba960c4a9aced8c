// What the Alipay notice verifier and the API client share: keys as the console shows them, the RSA2 signature over a
// canonical string, Beijing times and yuan amounts. Alipay signs UTF-8 bytes when charset=utf-8 (the only charset the
// hub sends or accepts).
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';

export const alipayGateway = 'https://openapi.alipay.com/gateway.do';

export interface AlipayConfig {
  /** The app's APPID (16 digits, e.g. 2021000123456789): requests carry it, notices name it in app_id. */
  appId: string;
  /** The app private key (PEM, or the bare base64 PKCS#8/PKCS#1 the Alipay key tool prints): signs requests. */
  appPrivateKey: string;
  /** The Alipay public key (支付宝公钥, not the app's own public key): verifies notices and responses. */
  alipayPublicKey: string;
  /** The Alipay public key before the app's keys were changed: notices still being retried may carry it. */
  previousAlipayPublicKey?: string;
  /** The merchant's PID (2088…, 16 digits): notices name it in seller_id; checked by the payment service. */
  sellerId?: string;
  /** Replaces https://openapi.alipay.com/gateway.do (the sandbox, a simulator). */
  gateway?: string;
}

function pemOrDer(text: string): { pem: string } | { der: Buffer } {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return { pem: t };
  const b64 = t.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new HubError('CONFIG_INVALID', 'key is neither PEM nor base64');
  return { der: Buffer.from(b64, 'base64') };
}

function rsa2048(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') throw new HubError('CONFIG_INVALID', `${what} is not an RSA key`);
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new HubError('CONFIG_INVALID', `${what} is shorter than 2048 bits (RSA2 keys are 2048)`);
  return key;
}

/** The console shows the Alipay public key as bare base64 SPKI; PEM (SPKI or PKCS#1) is accepted too. */
export function alipayPublicKeyObject(text: string, what = 'alipayPublicKey'): KeyObject {
  const k = pemOrDer(text);
  try {
    if ('pem' in k) return rsa2048(createPublicKey(k.pem), what);
    try {
      return rsa2048(createPublicKey({ key: k.der, format: 'der', type: 'spki' }), what);
    } catch (e) {
      if (e instanceof HubError) throw e;
      return rsa2048(createPublicKey({ key: k.der, format: 'der', type: 'pkcs1' }), what);
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    throw new HubError('CONFIG_INVALID', `${what} is not a public key`);
  }
}

/** The Alipay key tool prints PKCS#8 for Java and PKCS#1 for other languages, both as bare base64. */
export function appPrivateKeyObject(text: string): KeyObject {
  const k = pemOrDer(text);
  try {
    if ('pem' in k) return rsa2048(createPrivateKey(k.pem), 'appPrivateKey');
    try {
      return rsa2048(createPrivateKey({ key: k.der, format: 'der', type: 'pkcs8' }), 'appPrivateKey');
    } catch (e) {
      if (e instanceof HubError) throw e;
      return rsa2048(createPrivateKey({ key: k.der, format: 'der', type: 'pkcs1' }), 'appPrivateKey');
    }
  } catch (e) {
    if (e instanceof HubError) throw e;
    throw new HubError('CONFIG_INVALID', 'appPrivateKey is not a private key');
  }
}

/** Sorted by key (code-unit order, as Java's String.compareTo), joined k=v&k=v; `keepEmpty` differs by direction. */
export function canonicalContent(fields: ReadonlyMap<string, string>, exclude: readonly string[], keepEmpty: boolean): string {
  return [...fields.keys()]
    .filter((k) => !exclude.includes(k) && (keepEmpty || fields.get(k) !== ''))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${k}=${fields.get(k) ?? ''}`)
    .join('&');
}

export function rsa2Sign(content: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(content, 'utf8'), key).toString('base64');
}

/** Strict base64 (a `+` turned into a space by form decoding is refused here, not silently repaired). */
export function signatureBytes(sig: string): Buffer | null {
  return sig.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(sig) ? Buffer.from(sig, 'base64') : null;
}

export function rsa2Verify(content: string, sig: Buffer, keys: readonly KeyObject[]): boolean {
  const data = Buffer.from(content, 'utf8');
  return keys.some((k) => verify('sha256', data, k, sig));
}

/** The keys a notice or response may be signed with: the current Alipay public key, then the previous one. */
export function alipayVerifyKeys(config: Pick<AlipayConfig, 'alipayPublicKey' | 'previousAlipayPublicKey'>): KeyObject[] {
  const keys = [alipayPublicKeyObject(config.alipayPublicKey)];
  if (config.previousAlipayPublicKey) keys.push(alipayPublicKeyObject(config.previousAlipayPublicKey, 'previousAlipayPublicKey'));
  return keys;
}

/** 'yyyy-MM-dd HH:mm:ss' Beijing time, with the '.SSS' gmt_refund carries; null when it is not such a time. */
export function parseAlipayTime(s: string | undefined): number | null {
  const m = s === undefined ? null : /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h - 8, mi, se) + Number((m[7] ?? '0').padEnd(3, '0'));
  // 02-30 would roll over into March: refuse instead of guessing.
  const back = new Date(ms + 8 * 3_600_000);
  return back.getUTCFullYear() === y && back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && back.getUTCHours() === h ? ms : null;
}

/** 1999 fen → "19.99" (Alipay takes yuan with two decimals). */
export function yuan(minor: number): string {
  if (!Number.isSafeInteger(minor) || minor <= 0) throw new HubError('VALIDATION_FAILED', `amount must be a positive integer of fen, got ${minor}`);
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}
