// One signed Shopee v2 product call for listing reads and stock writes: the shop-level sign the order pull uses
// (hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id), common parameters in the
// query), sent through the shared write transport, and the answer read with Shopee's error envelope
// ({error, message, request_id}): a rate limit (HTTP 429, error_rate_limit) is retried after Retry-After (a minute
// when none), the daily quota (error_limit) at its reset (00:00 UTC+8), the platform's own trouble (5xx,
// error_server, error_inner, error_busy, error_network) with back-off; any other error is a refusal with Shopee's
// message: the same request again cannot help.
import { PlatformWriteError, type CallContext } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
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

/** The call's `response` object; throws PlatformWriteError. */
export async function shopeeProductCall(ctx: CallContext<ShopeeCredentials>, path: string, params: Record<string, string>, body?: Json): Promise<{ status: number; response: Json }> {
  const c = ctx.credentials;
  const timestamp = Math.floor(ctx.now() / 1000);
  const query = new URLSearchParams({ partner_id: c.partnerId, timestamp: String(timestamp), access_token: c.accessToken, shop_id: c.shopId, sign: apiSign(c, path, timestamp), ...params });
  const res = await sendPlatformRequest(ctx, 'Shopee', `${(c.apiBase || defaultApiBase).replace(/\/+$/, '')}${path}?${query.toString()}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const b = isObject(res.body) ? res.body : null;
  const error = typeof b?.error === 'string' ? b.error : '';
  const message = `${typeof b?.message === 'string' && b.message ? b.message : `HTTP ${res.status}`} (${path}${error ? `: ${error}` : ''})`;
  // Codes may come namespaced ("common.error_auth"); the bare name decides.
  const bare = error.replace(/^common\./, '');
  if (res.status === 429 || bare === 'error_rate_limit') throw new PlatformWriteError(error || 'HTTP_429', message, { status: res.status, retryAfterMs: res.retryAfterMs ?? rateLimitBackoffMs });
  if (bare === 'error_limit') throw new PlatformWriteError(error, message, { status: res.status, retryAfterMs: untilQuotaReset(ctx.now()) });
  if (res.status >= 500 || platformTrouble.has(bare)) throw new PlatformWriteError(error || `HTTP_${res.status}`, message, { status: res.status });
  if (error) throw new PlatformWriteError(error, message, { status: res.status, refused: true });
  if (!res.ok) throw new PlatformWriteError(`HTTP_${res.status}`, message, { status: res.status, refused: true });
  if (!b) throw new PlatformWriteError('BAD_RESPONSE', `Shopee ${path}: the answer is not JSON`, { status: res.status });
  return { status: res.status, response: isObject(b.response) ? b.response : {} };
}
