// Pinduoduo listings (商品下载): pdd.goods.list.get, page by page; each goods carries its sku_list with the merchant
// code (outer_id) and sku_quantity, so no detail read per goods is needed. Signed like the pull (MD5, pddWrite).
// open.pinduoduo.com/application/document/api?id=pdd.goods.list.get
import type { CallContext, PlatformListing } from '../types.ts';
import type { PinduoduoCredentials } from './index.ts';
import { pddWrite } from './ship-back.ts';

const pageSize = 100;
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const int = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) ? n : null;
};

export async function* pullPinduoduoListings(ctx: CallContext<PinduoduoCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  for (let page = 1; ; page++) {
    const r = await pddWrite(ctx, 'pdd.goods.list.get', 'goods_list_get_response', { page: String(page), page_size: String(pageSize) });
    const goods = (Array.isArray(r.body.goods_list) ? r.body.goods_list : []) as Record<string, unknown>[];
    const out: PlatformListing[] = [];
    for (const g of goods) {
      const goodsId = str(g.goods_id);
      if (!goodsId) continue;
      const title = str(g.goods_name);
      for (const k of (Array.isArray(g.sku_list) ? g.sku_list : []) as Record<string, unknown>[]) {
        out.push({ platformItemId: goodsId, platformSkuId: str(k.sku_id), merchantCode: str(k.outer_id) || null, title: str(k.spec) ? `${title} ${str(k.spec)}` : title, quantity: int(k.sku_quantity) });
      }
    }
    if (out.length) yield out;
    const total = int(r.body.total_count) ?? 0;
    if (goods.length < pageSize || page * pageSize >= total) return;
  }
}
