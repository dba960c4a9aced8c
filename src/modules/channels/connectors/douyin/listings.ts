// Douyin listings (商品下载): product.listV2 (page from 1, 100 a page, page × size at most 10 000) for the shop's
// products, then sku.list per product for its SKUs: `code` is the merchant code (商家编码), stock_num the quantity
// on offer (普通库存; a SKU on 区域库存 says its quantities per warehouse in stock_map, summed here). Signed like the
// pull. Fields from the official Go SDK (zsmhub/doudian-sdk api/product_listV2, api/sku_list).
import type { CallContext, PlatformListing } from '../types.ts';
import type { DouyinCredentials } from './index.ts';
import { DouyinBigId, douyinCall } from './write.ts';

const pageSize = 100;
const maxRows = 10_000;

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const count = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

function quantityOf(s: Record<string, unknown>): number | null {
  if (str(s.sku_type) === '1') {
    const m = obj(s.stock_map);
    const parts = Object.values(m).map(count);
    return parts.every((x) => x !== null) ? (parts as number[]).reduce((a, b) => a + b, 0) : null;
  }
  return count(s.stock_num);
}

export async function* pullDouyinListings(ctx: CallContext<DouyinCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  for (let page = 1; (page - 1) * pageSize < maxRows; page++) {
    const answer = await douyinCall(ctx, 'product.listV2', { page, size: pageSize });
    const data = obj(answer.data);
    const products = list(data.data).map(obj);
    const out: PlatformListing[] = [];
    for (const p of products) {
      const productId = str(p.product_id);
      if (!productId) continue;
      const skus = list((await douyinCall(ctx, 'sku.list', { product_id: new DouyinBigId(productId) })).data).map(obj);
      const name = str(p.name);
      for (const s of skus) {
        const spec = [s.spec_detail_name1, s.spec_detail_name2, s.spec_detail_name3].map(str).filter(Boolean).join('/');
        out.push({
          platformItemId: productId,
          platformSkuId: str(s.id),
          merchantCode: str(s.code) || null,
          title: spec ? `${name}（${spec}）` : name,
          quantity: quantityOf(s),
          ref: {},
        });
      }
    }
    if (out.length > 0) yield out;
    const total = count(data.total);
    if (products.length < pageSize || (total !== null && page * pageSize >= total)) return;
  }
}
