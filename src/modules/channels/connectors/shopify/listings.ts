// Shopify listings (商品下载) on the REST Admin API the pull uses: GET products.json walked by since_id (documented
// for products: shopify.dev/docs/api/admin-rest/2025-10/resources/product), one listing per variant — the variant's
// `sku` is the merchant code — and the variants' inventory levels (GET inventory_levels.json by inventory_item_ids, at
// most 50 per request) for where the item is stocked (ref.locationId, the first location Shopify lists; a stock write
// goes to the account's stock location instead, stock.ts). The quantity is the variant's inventory_quantity; null
// when Shopify does not track it (inventory_management null).
import { PlatformWriteError, type CallContext, type PlatformListing } from '../types.ts';
import { sendPlatformRequest } from '../write-http.ts';
import { shopifyApiVersion, type ShopifyPullCredentials } from './pull.ts';

interface Variant {
  id: number;
  title?: string | null;
  sku?: string | null;
  inventory_item_id?: number | null;
  inventory_quantity?: number | null;
  inventory_management?: string | null;
}
interface Product {
  id: number;
  title?: string | null;
  variants?: Variant[];
}
interface InventoryLevel {
  inventory_item_id: number;
  location_id: number;
  available: number | null;
}

function errorText(body: unknown, status: number): string {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (typeof errors === 'string') return errors;
  if (errors && typeof errors === 'object') return JSON.stringify(errors).slice(0, 500);
  return `HTTP ${status}`;
}

/** One Admin API call: the token header, a refusal (4xx but 429) as refused, a limit or a 5xx as retryable. */
export async function shopifyAdmin(ctx: CallContext<ShopifyPullCredentials>, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const { accessToken, shopDomain } = ctx.credentials;
  if (!accessToken) throw new PlatformWriteError('CREDENTIALS_MISSING', 'an Admin API access token (read_products, read_inventory; write_inventory for stock) is needed', { refused: true });
  const base = (ctx.credentials.apiBase ?? `https://${shopDomain}`).replace(/\/+$/, '');
  const res = await sendPlatformRequest(ctx, 'Shopify', `${base}/admin/api/${shopifyApiVersion}${path}`, {
    method,
    headers: { 'x-shopify-access-token': accessToken, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.ok) return { status: res.status, body: res.body };
  const refused = res.status !== 429 && res.status < 500;
  throw new PlatformWriteError(`HTTP_${res.status}`, errorText(res.body, res.status), { refused, status: res.status, ...(res.retryAfterMs !== undefined ? { retryAfterMs: res.retryAfterMs } : {}) });
}

const pageSize = 250;

function listOf<T>(body: unknown, key: string): T[] {
  const v = (body as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(v)) throw new PlatformWriteError('INVALID_RESPONSE', `Shopify answered without ${key}`);
  return v as T[];
}

export async function* pullShopifyListings(ctx: CallContext<ShopifyPullCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  let sinceId = 0;
  for (let requests = 0; ; requests++) {
    if (requests >= 5000) throw new PlatformWriteError('TOO_MANY_PAGES', 'more than 5000 pages of products');
    const q = new URLSearchParams({ limit: String(pageSize), since_id: String(sinceId), fields: 'id,title,variants' });
    const products = listOf<Product>((await shopifyAdmin(ctx, 'GET', `/products.json?${q.toString()}`)).body, 'products');
    if (products.length === 0) return;
    const variants = products.flatMap((p) => (p.variants ?? []).map((v) => ({ p, v })));
    // Where each variant's stock is (the first location Shopify lists for the item).
    const locationOf = new Map<number, number>();
    const items = variants.map(({ v }) => v.inventory_item_id).filter((id): id is number => typeof id === 'number');
    for (let i = 0; i < items.length; i += 50) {
      const lq = new URLSearchParams({ inventory_item_ids: items.slice(i, i + 50).join(','), limit: String(pageSize) });
      for (const level of listOf<InventoryLevel>((await shopifyAdmin(ctx, 'GET', `/inventory_levels.json?${lq.toString()}`)).body, 'inventory_levels')) {
        if (!locationOf.has(level.inventory_item_id)) locationOf.set(level.inventory_item_id, level.location_id);
      }
    }
    yield variants.map(({ p, v }): PlatformListing => {
      const variantTitle = v.title && v.title !== 'Default Title' ? ` / ${v.title}` : '';
      const ref: Record<string, string> = {};
      if (typeof v.inventory_item_id === 'number') {
        ref.inventoryItemId = String(v.inventory_item_id);
        const at = locationOf.get(v.inventory_item_id);
        if (at !== undefined) ref.locationId = String(at);
      }
      return {
        platformItemId: String(p.id),
        platformSkuId: String(v.id),
        merchantCode: v.sku?.trim() ? v.sku.trim() : null,
        title: `${p.title ?? ''}${variantTitle}`,
        quantity: v.inventory_management && typeof v.inventory_quantity === 'number' ? v.inventory_quantity : null,
        ref,
      };
    });
    if (products.length < pageSize) return;
    sinceId = Math.max(...products.map((p) => p.id));
  }
}
