// One signed Shopee v2 shop-level call for listing reads, stock writes and logistics: the shop-level sign the order
// pull uses (hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id), common parameters in
// the query), sent through the shared write transport, and the answer read with Shopee's error envelope
// ({error, message, request_id}): a rate limit (HTTP 429, error_rate_limit) is retried after Retry-After (a minute
// when none), the daily quota (error_limit) at its reset (00:00 UTC+8), the platform's own trouble (5xx,
// error_server, error_inner, error_busy, error_network) with back-off; any other error is a refusal with Shopee's
// message: the same request again cannot help.
import { PlatformWriteError, type CallContext } from '../types.ts';
import { sendPlatformRequest, sendPlatformRequestBytes } from '../write-http.ts';
import { apiSign, type ShopeeCredentials } from './index.ts';

const defaultApiBase = 'https://partner.shopeemobile.com';
const rateLimitBackoffMs = 60_000;
const day = 86_400_000;
const platformTrouble = new Set(['error_server', 'error_inner', 'error_busy', 'error_network', 'error_unknown', 'error_internal']);

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Milliseconds until the next 00:00 UTC+8, when Shopee resets an app's daily call quota. */
function untilQuotaReset(now: number): number {
  return day - ((now + 8 * 3_600_000) % day);
}

/** The call's URL: the common parameters and the sign in the query, then the call's own GET parameters. */
function signedUrl(ctx: CallContext<ShopeeCredentials>, path: string, params: Record<string, string>): string {
  const c = ctx.credentials;
  const timestamp = Math.floor(ctx.now() / 1000);
  const query = new URLSearchParams({ partner_id: c.partnerId, timestamp: String(timestamp), access_token: c.accessToken, shop_id: c.shopId, sign: apiSign(c, path, timestamp), ...params });
  return `${(c.apiBase || defaultApiBase).replace(/\/+$/, '')}${path}?${query.toString()}`;
}

const init = (body: Json | undefined): { method: string; headers: Record<string, string>; body: string | undefined } => ({
  method: body === undefined ? 'GET' : 'POST',
  headers: body === undefined ? {} : { 'content-type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});

/** Shopee's error envelope (or a bare HTTP failure) as a write error; null when the answer is a success. */
function errorOf(ctx: CallContext<ShopeeCredentials>, path: string, res: { status: number; ok: boolean; retryAfterMs: number | undefined }, b: Json | null): PlatformWriteError | null {
  const error = typeof b?.error === 'string' ? b.error : '';
  const message = `${typeof b?.message === 'string' && b.message ? b.message : `HTTP ${res.status}`} (${path}${error ? `: ${error}` : ''})`;
  // Codes may come namespaced ("common.error_auth"); the bare name decides.
  const bare = error.replace(/^common\./, '');
  if (res.status === 429 || bare === 'error_rate_limit') return new PlatformWriteError(error || 'HTTP_429', message, { status: res.status, retryAfterMs: res.retryAfterMs ?? rateLimitBackoffMs });
  if (bare === 'error_limit') return new PlatformWriteError(error, message, { status: res.status, retryAfterMs: untilQuotaReset(ctx.now()) });
  if (res.status >= 500 || platformTrouble.has(bare)) return new PlatformWriteError(error || `HTTP_${res.status}`, message, { status: res.status });
  if (error) return new PlatformWriteError(error, message, { status: res.status, refused: true });
  if (!res.ok) return new PlatformWriteError(`HTTP_${res.status}`, message, { status: res.status, refused: true });
  return null;
}

/** The call's `response` object; throws PlatformWriteError. */
export async function shopeeProductCall(ctx: CallContext<ShopeeCredentials>, path: string, params: Record<string, string>, body?: Json): Promise<{ status: number; response: Json }> {
  const res = await sendPlatformRequest(ctx, 'Shopee', signedUrl(ctx, path, params), init(body));
  const b = isObject(res.body) ? res.body : null;
  const err = errorOf(ctx, path, res, b);
  if (err) throw err;
  if (!b) throw new PlatformWriteError('BAD_RESPONSE', `Shopee ${path}: the answer is not JSON`, { status: res.status });
  return { status: res.status, response: isObject(b.response) ? b.response : {} };
}

/**
 * A call whose success is a file (download_shipping_document): the bytes and their content type. Shopee answers an
 * error with its JSON envelope instead, read as every other call's.
 */
export async function shopeeFileCall(ctx: CallContext<ShopeeCredentials>, path: string, body: Json): Promise<{ status: number; contentType: string; bytes: Buffer }> {
  const res = await sendPlatformRequestBytes(ctx, 'Shopee', signedUrl(ctx, path, {}), init(body));
  let b: Json | null = null;
  if (/json/i.test(res.contentType) || !res.ok) {
    try {
      const parsed: unknown = JSON.parse(res.bytes.toString('utf8'));
      b = isObject(parsed) ? parsed : null;
    } catch {
      b = null;
    }
  }
  const err = errorOf(ctx, path, res, b);
  if (err) throw err;
  if (b) throw new PlatformWriteError('BAD_RESPONSE', `Shopee ${path} answered JSON where a file was expected`, { status: res.status });
  return { status: res.status, contentType: res.contentType, bytes: res.bytes };
}
