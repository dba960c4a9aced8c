// WooCommerce listings (商品下载) on REST v3, signed like the pull (auth.ts): GET /products page by page (per_page 100),
// and for a variable product its variations (GET /products/{id}/variations). A simple product is one listing (no SKU
// id); a variation is one listing under its parent (the parent's id in ref, where its stock write goes). The merchant
// code is `sku`; the quantity is stock_quantity when the shop manages stock for it, else null.
// woocommerce.github.io/woocommerce-rest-api-docs/#list-all-products, #list-all-product-variations
import { PlatformWriteError, type CallContext, type PlatformListing } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { wooAuthorized } from './auth.ts';
import type { WooCommerceCredentials } from './index.ts';

interface WooProduct {
  id: number;
  name?: string;
  type?: string;
  sku?: string | null;
  manage_stock?: boolean | string;
  stock_quantity?: number | null;
}
interface WooVariation {
  id: number;
  sku?: string | null;
  manage_stock?: boolean | string;
  stock_quantity?: number | null;
  attributes?: { name?: string; option?: string }[];
}

const perPage = 100;

/** One REST call: a refusal (4xx but 429) as refused, a limit (429, rate_limit_exceeded) or a 5xx as retryable. */
export async function wooRest(ctx: CallContext<WooCommerceCredentials>, method: string, path: string, query: [string, string][] = [], body?: unknown): Promise<{ status: number; body: unknown }> {
  const { consumerKey: key, consumerSecret: secret } = ctx.credentials;
  if (!key || !secret) throw new PlatformWriteError('CREDENTIALS_MISSING', 'consumerKey and consumerSecret are needed (read to pull listings, read/write to set stock)', { refused: true });
  const base = (ctx.credentials.apiBase ?? ctx.credentials.storeUrl).replace(/\/+$/, '');
  const { url, headers } = wooAuthorized(method, `${base}${path}`, query, key, secret, ctx.now());
  const res = await sendPlatformRequest(ctx, 'WooCommerce', url, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.ok) return { status: res.status, body: res.body };
  const err = (res.body && typeof res.body === 'object' && !Array.isArray(res.body) ? res.body : {}) as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : `HTTP_${res.status}`;
  const message = typeof err.message === 'string' ? err.message : `HTTP ${res.status}`;
  const refused = res.status !== 429 && res.status < 500 && code !== 'rate_limit_exceeded';
  throw new PlatformWriteError(code, message, { refused, status: res.status, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) });
}

const managed = (v: boolean | string | undefined) => v === true || v === 'parent';

async function* pages<T>(ctx: CallContext<WooCommerceCredentials>, path: string): AsyncGenerator<T[], void, void> {
  for (let page = 1; page <= 5000; page++) {
    const got = (await wooRest(ctx, 'GET', path, [['page', String(page)], ['per_page', String(perPage)]])).body;
    if (!Array.isArray(got)) throw new PlatformWriteError('INVALID_RESPONSE', `WooCommerce answered ${path} with something other than a JSON array`);
    if (got.length) yield got as T[];
    if (got.length < perPage) return;
  }
  throw new PlatformWriteError('TOO_MANY_PAGES', `more than 5000 pages of ${path}`);
}

export async function* pullWooListings(ctx: CallContext<WooCommerceCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  for await (const products of pages<WooProduct>(ctx, '/wp-json/wc/v3/products')) {
    const out: PlatformListing[] = [];
    for (const p of products) {
      if (p.type === 'variable') {
        for await (const vs of pages<WooVariation>(ctx, `/wp-json/wc/v3/products/${p.id}/variations`)) {
          for (const v of vs) {
            const options = (v.attributes ?? []).map((a) => a.option ?? '').filter(Boolean).join(' / ');
            out.push({
              platformItemId: String(p.id),
              platformSkuId: String(v.id),
              merchantCode: v.sku?.trim() ? v.sku.trim() : null,
              title: options ? `${p.name ?? ''} - ${options}` : (p.name ?? ''),
              quantity: managed(v.manage_stock) && typeof v.stock_quantity === 'number' ? v.stock_quantity : null,
              ref: { parentId: String(p.id) },
            });
          }
        }
      } else if (p.type !== 'grouped' && p.type !== 'external') {
        // Grouped and external products hold no stock of their own: nothing to match or to sync.
        out.push({
          platformItemId: String(p.id),
          platformSkuId: '',
          merchantCode: p.sku?.trim() ? p.sku.trim() : null,
          title: p.name ?? '',
          quantity: managed(p.manage_stock) && typeof p.stock_quantity === 'number' ? p.stock_quantity : null,
          ref: {},
        });
      }
    }
    yield out;
  }
}
