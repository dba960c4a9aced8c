// JD listings (商品下载): jingdong.sku.read.searchSkuList, page by page: each SKU with its ware (item) id, the merchant
// code (outerId) and stockNum. Signed like the pull (jdWrite). The method and its field names are from JOS's SKU read
// API as documented; not checked against a captured answer.
import type { CallContext, PlatformListing } from '../types.ts';
import type { JdCredentials } from './index.ts';
import { jdWrite } from './write.ts';

const pageSize = 100;
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
const int = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) ? n : null;
};

export async function* pullJdListings(ctx: CallContext<JdCredentials>): AsyncGenerator<PlatformListing[], void, void> {
  for (let page = 1; ; page++) {
    const r = await jdWrite(ctx, 'jingdong.sku.read.searchSkuList', { page, pageSize, field: 'skuId,wareId,outerId,skuName,stockNum,wareTitle' });
    const p = (r.body.page ?? {}) as Record<string, unknown>;
    const data = (Array.isArray(p.data) ? p.data : []) as Record<string, unknown>[];
    const out: PlatformListing[] = data
      .filter((k) => str(k.skuId) && str(k.wareId))
      .map((k) => ({ platformItemId: str(k.wareId), platformSkuId: str(k.skuId), merchantCode: str(k.outerId) || null, title: str(k.skuName) || str(k.wareTitle), quantity: int(k.stockNum) }));
    if (out.length) yield out;
    const total = int(p.totalItem) ?? 0;
    if (data.length < pageSize || page * pageSize >= total) return;
  }
}
