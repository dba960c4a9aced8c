// How WooCommerce authenticates a REST request (WC_REST_Authentication): HTTP Basic with the consumer key and secret
// over HTTPS, one-legged OAuth 1.0a (RFC 5849, HMAC-SHA256, key "consumer_secret&") in the query over plain HTTP.
// Shared by the pull and the writes: both go to the same store with the same key.
import { createHmac, randomBytes } from 'node:crypto';

/** RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849 §3.6) and PHP's rawurlencode use it. */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 §3.4.1: METHOD & encoded base URI & encoded normalised parameters (sorted by encoded name, then value). */
export function oauthBaseString(method: string, url: string, params: readonly (readonly [string, string])[]): string {
  const u = new URL(url);
  const normalized = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}&${rfc3986(`${u.protocol}//${u.host}${u.pathname}`)}&${rfc3986(normalized)}`;
}

/**
 * The URL and headers of one authenticated request. Over plain HTTP the signature covers the query only: WooCommerce
 * signs $_GET and $_POST, and a JSON body is in neither.
 */
export function wooAuthorized(method: string, endpoint: string, query: readonly [string, string][], key: string, secret: string, nowMs: number): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { accept: 'application/json' };
  let params: readonly [string, string][] = query;
  if (new URL(endpoint).protocol === 'https:') {
    headers.authorization = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
  } else {
    const oauth: [string, string][] = [
      ['oauth_consumer_key', key],
      ['oauth_nonce', randomBytes(16).toString('hex')],
      ['oauth_signature_method', 'HMAC-SHA256'],
      ['oauth_timestamp', String(Math.floor(nowMs / 1000))],
    ];
    const signature = createHmac('sha256', `${secret}&`).update(oauthBaseString(method, endpoint, [...query, ...oauth])).digest('base64');
    params = [...query, ...oauth, ['oauth_signature', signature]];
  }
  const qs = params.map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).join('&');
  return { url: qs ? `${endpoint}?${qs}` : endpoint, headers };
}
