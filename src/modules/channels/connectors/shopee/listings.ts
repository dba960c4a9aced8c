// Shopee listings (商品下载): v2.product.get_item_list (offset paging, 100 a page, NORMAL items), then
// v2.product.get_item_base_info for 50 items at a time (item_name, item_sku, has_model, stock_info_v2) and, for an
// item with variations, v2.product.get_model_list (model_id, model_sku, stock_info_v2). The merchant code is the
// model's model_sku (an item without variations: its item_sku, platformSkuId ''); the quantity is the seller stock
// (seller_stock summed over locations). Signed as the order pull signs (./product-call.ts).
import type { CallContext, PlatformListing } from '../types.ts';
import type { ShopeeCredentials } from './index.ts';
import { isObject, shopeeProductCall, type Json } from './product-call.ts';

const pageSize = 100;
const baseInfoBatch = 50;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : '');
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** The seller stock a stock_info_v2 holds, and the one location it is kept at (a write must name it), if one. */
function sellerStock(v: unknown): { quantity: number | null; locationId: string | null } {
  const rows = list(isObject(v) ? v.seller_stock : undefined);
  if (rows.length === 0) return { quantity: null, locationId: null };
  const counts = rows.map((r) => r.stock);
  if (!counts.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) return { quantity: null, locationId: null };
  const locations = rows.map((r) => str(r.location_id)).filter(Boolean);
  return { quantity: (counts as number[]).reduce((a, b) => a + b, 0), locationId: rows.length === 1 && locations.length === 1 ? (locations[0] as string) : null };
}

function refOf(locationId: string | null): Record<string, string> {
  return locationId ? { locationId } : {};
}

export async function* pullShopeeListings(ctx: CallContext<ShopeeCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  let offset = 0;
  for (;;) {
    const page = (await shopeeProductCall(ctx, '/api/v2/product/get_item_list', { offset: String(offset), page_size: String(pageSize), item_status: 'NORMAL' })).response;
    const ids = list(page.item).map((i) => str(i.item_id)).filter(Boolean);
    const out: PlatformListing[] = [];
    for (let i = 0; i < ids.length; i += baseInfoBatch) {
      const chunk = ids.slice(i, i + baseInfoBatch);
      const info = (await shopeeProductCall(ctx, '/api/v2/product/get_item_base_info', { item_id_list: chunk.join(',') })).response;
      for (const item of list(info.item_list)) {
        const itemId = str(item.item_id);
        const name = str(item.item_name);
        if (item.has_model !== true) {
          const s = sellerStock(item.stock_info_v2);
          out.push({ platformItemId: itemId, platformSkuId: '', merchantCode: str(item.item_sku).trim() || null, title: name, quantity: s.quantity, ref: refOf(s.locationId) });
          continue;
        }
        const models = (await shopeeProductCall(ctx, '/api/v2/product/get_model_list', { item_id: itemId })).response;
        for (const m of list(models.model)) {
          const s = sellerStock(m.stock_info_v2);
          const modelName = str(m.model_name);
          out.push({
            platformItemId: itemId,
            platformSkuId: str(m.model_id),
            merchantCode: str(m.model_sku).trim() || null,
            title: modelName ? `${name} (${modelName})` : name,
            quantity: s.quantity,
            ref: refOf(s.locationId),
          });
        }
      }
    }
    if (out.length > 0) yield out;
    const next = typeof page.next_offset === 'number' ? page.next_offset : offset + ids.length;
    if (page.has_next_page !== true || ids.length === 0 || next <= offset) return;
    offset = next;
  }
}
