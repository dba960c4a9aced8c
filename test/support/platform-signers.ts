// The tests' own signers and signature checks, written from each platform's documentation — apart from the product's
// clients and from the simulators, so that a request both of those agree on is still checked by a third reading.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** PHP rawurlencode, byte by byte (RFC 3986 unreserved kept): what WooCommerce's OAuth 1.0a check encodes with. */
export function enc(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/**
 * Checks a WooCommerce request sent over plain HTTP the way the REST API documents it: one-legged OAuth 1.0a in the
 * query, signature = base64(HMAC-SHA256("consumer_secret&", METHOD & enc(url) & enc(sorted params))).
 */
export function wooSignatureValid(method: string, url: string, consumerKey: string, consumerSecret: string): boolean {
  const u = new URL(url);
  const params = [...u.searchParams.entries()];
  const given = params.find(([k]) => k === 'oauth_signature')?.[1] ?? '';
  if (params.find(([k]) => k === 'oauth_consumer_key')?.[1] !== consumerKey) return false;
  const rest = params.filter(([k]) => k !== 'oauth_signature').map(([k, v]) => [enc(k), enc(v)] as const);
  rest.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  const base = `${method}&${enc(`${u.origin}${u.pathname}`)}&${enc(rest.map(([k, v]) => `${k}=${v}`).join('&'))}`;
  const want = createHmac('sha256', `${consumerSecret}&`).update(base).digest();
  const got = Buffer.from(given, 'base64');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** TOP's md5 sign (Taobao/Tmall, Cainiao): UPPER(hex(MD5(secret + k1v1… (sorted, all but sign, empty left out) + secret))). */
export function ourTopSign(params: Record<string, string>, secret: string): string {
  let s = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k] !== '') s += k + params[k];
  return createHash('md5').update(secret + s + secret, 'utf8').digest('hex').toUpperCase();
}

/**
 * Douyin's open API sign: secret + app_key…method…param_json…timestamp…v… + secret, hex of HMAC-SHA256 keyed by the
 * secret (sign_method hmac-sha256) or of MD5 (sign_method md5).
 */
export function ourDouyinSign(secret: string, q: URLSearchParams, paramJson: string): string {
  const text = `${secret}app_key${q.get('app_key') ?? ''}method${q.get('method') ?? ''}param_json${paramJson}timestamp${q.get('timestamp') ?? ''}v${q.get('v') ?? ''}${secret}`;
  return q.get('sign_method') === 'md5' ? createHash('md5').update(text, 'utf8').digest('hex') : createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** Shopee's shop-level API sign, from the Open Platform's formula: hex(HMAC-SHA256(partner key, partner_id path timestamp access_token shop_id)). */
export function ourShopeeSign(partnerKey: string, q: URLSearchParams, path: string): string {
  return createHmac('sha256', partnerKey)
    .update(`${q.get('partner_id') ?? ''}${path}${q.get('timestamp') ?? ''}${q.get('access_token') ?? ''}${q.get('shop_id') ?? ''}`)
    .digest('hex');
}
