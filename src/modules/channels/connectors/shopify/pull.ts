// Shopify pull: Admin REST GET /admin/api/2025-10/orders.json by updated_at, authenticated with the
// X-Shopify-Access-Token header, paged by the Link header (rel="next" carries page_info and must be followed as
// given: Shopify refuses a page_info request that repeats the filters). shopify.dev/docs/api/admin-rest/usage/pagination
import type { NormalizedOrder } from '../../../orders/domain/order.ts';
import { PullError, type PullContext, type PulledOrder } from '../types.ts';

export const shopifyApiVersion = '2025-10';

export interface ShopifyPullCredentials {
  shopDomain: string;
  /** Admin API access token (custom app: shpat_…) with the read_orders scope. */
  accessToken?: string;
  /** Replaces https://{shopDomain} (a simulator, a proxy). */
  apiBase?: string;
}

/** Shopify's own time format: whole seconds with an offset (UTC here). */
function shopifyTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The rel="next" URL of a Link header (RFC 8288, as Shopify writes it: `<url>; rel="next", <url>; rel="previous"`). */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel="?next"?\s*(?:;|$)/.test(m[2] ?? '')) return m[1] ?? null;
  }
  return null;
}

function retryAfterMs(res: Response, now: number): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  // Shopify writes seconds with a decimal ("2.0").
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Shopify's error body: `{"errors": "…"}` or `{"errors": {"field": ["…"]}}`. */
function errorText(body: unknown, status: number): string {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (typeof errors === 'string') return errors;
  if (errors && typeof errors === 'object') return JSON.stringify(errors).slice(0, 500);
  return `HTTP ${status}`;
}

/**
 * Orders updated in [from, to), oldest first, through the Link-header pages. updated_at_min and _max are inclusive
 * and Shopify shows whole seconds, so the request spans whole seconds around the window and the window is applied to
 * each order's updated_at here. Each order goes through the adapter's own check and normaliser.
 */
export async function* pullShopifyOrders<O extends { id: number | string }>(
  ctx: PullContext<ShopifyPullCredentials>,
  isOrder: (x: unknown) => x is O,
  normalize: (o: O) => NormalizedOrder,
): AsyncGenerator<PulledOrder[], void, void> {
  const { accessToken, shopDomain } = ctx.credentials;
  if (!accessToken) throw new PullError('CREDENTIALS_MISSING', 'an Admin API access token (read_orders) is needed to pull Shopify orders', { authFailed: true });
  const base = (ctx.credentials.apiBase ?? `https://${shopDomain}`).replace(/\/+$/, '');
  const origin = new URL(base).origin;
  const first = new URL(`${base}/admin/api/${shopifyApiVersion}/orders.json`);
  first.searchParams.set('status', 'any');
  first.searchParams.set('updated_at_min', shopifyTime(Math.floor(ctx.from / 1000) * 1000));
  first.searchParams.set('updated_at_max', shopifyTime(Math.ceil(ctx.to / 1000) * 1000));
  first.searchParams.set('limit', '250');
  first.searchParams.set('order', 'updated_at asc');
  let url: string | null = first.toString();
  const seen = new Set<string>();
  for (let requests = 0; url; requests++) {
    if (requests >= 5000) throw new PullError('TOO_MANY_PAGES', 'more than 5000 pages for one window');
    let res: Response;
    try {
      res = await ctx.fetch(url, {
        headers: { 'x-shopify-access-token': accessToken, accept: 'application/json' },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (e) {
      throw new PullError('NETWORK', `Shopify API unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.status === 429) {
      // The leaky bucket is full; Retry-After says when a call fits again.
      const after = retryAfterMs(res, ctx.now());
      throw new PullError('HTTP_429', errorText(body, 429), { rateLimited: true, ...(after !== undefined ? { retryAfterMs: after } : {}) });
    }
    if (!res.ok) {
      // 401: unknown or revoked token; 403: the token lacks read_orders (or the shop must approve it).
      throw new PullError(`HTTP_${res.status}`, errorText(body, res.status), res.status === 401 || res.status === 403 ? { authFailed: true } : {});
    }
    const orders = (body as { orders?: unknown } | null)?.orders;
    if (!Array.isArray(orders)) throw new PullError('INVALID_RESPONSE', 'Shopify answered without an orders array');
    const out: PulledOrder[] = [];
    for (const raw of orders) {
      if (!isOrder(raw)) throw new PullError('INVALID_RESPONSE', 'an element of orders is not an order (id, currency, line_items, total_price)');
      let order: NormalizedOrder;
      try {
        order = normalize(raw);
      } catch (e) {
        throw new PullError('ORDER_INVALID', `order ${String(raw.id)}: ${e instanceof Error ? e.message : String(e)}`);
      }
      const eventId = `${order.platformOrderId}@${order.sourceUpdatedAt}`;
      if (order.sourceUpdatedAt < ctx.from || order.sourceUpdatedAt >= ctx.to || seen.has(eventId)) continue;
      seen.add(eventId);
      out.push({ eventId, rawBody: Buffer.from(JSON.stringify(raw)), order });
    }
    if (out.length) yield out;
    url = nextLink(res.headers.get('link'));
    // The token goes only where the first request went.
    if (url && new URL(url).origin !== origin) throw new PullError('INVALID_RESPONSE', `Shopify's next page points to another host (${new URL(url).host})`);
  }
}
