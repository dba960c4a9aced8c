// Taobao/Tmall listings (商品下载): taobao.items.onsale.get for the shop's items on sale (page by page), then
// taobao.item.seller.get for each item's SKUs with their outer_id (the merchant code) and quantity. An item without
// SKUs is one listing (platformSkuId ''). Signed like the pull (topWrite).
// open.taobao.com/api.htm?docId=18&docType=2 (items.onsale.get), docId=24625 (item.seller.get)
import type { CallContext, PlatformListing } from '../types.ts';
import type { TaobaoCredentials } from './index.ts';
import { topWrite } from './ship-back.ts';

const pageSize = 100;
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '');
const int = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) ? n : null;
};

export async function* pullTaobaoListings(ctx: CallContext<TaobaoCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  for (let page = 1; ; page++) {
    const r = await topWrite(ctx, 'taobao.items.onsale.get', { fields: 'num_iid,title,num,outer_id', page_no: String(page), page_size: String(pageSize) });
    const items = ((r.body.items as { item?: unknown } | undefined)?.item ?? []) as Record<string, unknown>[];
    const out: PlatformListing[] = [];
    for (const it of Array.isArray(items) ? items : []) {
      const numIid = str(it.num_iid);
      if (!numIid) continue;
      const detail = await topWrite(ctx, 'taobao.item.seller.get', { num_iid: numIid, fields: 'num_iid,title,num,outer_id,sku' });
      const item = (detail.body.item ?? {}) as Record<string, unknown>;
      const skus = ((item.skus as { sku?: unknown } | undefined)?.sku ?? []) as Record<string, unknown>[];
      const title = str(item.title) || str(it.title);
      if (Array.isArray(skus) && skus.length) {
        for (const k of skus) out.push({ platformItemId: numIid, platformSkuId: str(k.sku_id), merchantCode: str(k.outer_id) || null, title: str(k.properties_name) ? `${title} ${str(k.properties_name)}` : title, quantity: int(k.quantity) });
      } else {
        out.push({ platformItemId: numIid, platformSkuId: '', merchantCode: str(item.outer_id) || str(it.outer_id) || null, title, quantity: int(item.num) ?? int(it.num) });
      }
    }
    if (out.length) yield out;
    const total = int(r.body.total_results) ?? 0;
    if (items.length < pageSize || page * pageSize >= total) return;
  }
}
