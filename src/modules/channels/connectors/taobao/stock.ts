// Taobao/Tmall stock writes (库存同步): taobao.item.quantity.update with type=1 (全量更新: the quantity is set, not
// added), num_iid and, for a SKU, sku_id. Absolute, so a resend after a lost answer sets the same number again.
// Signed like the pull (topWrite); isv.* refusals (an item in a promotion, gone from the shop) are kept, isp.* and call
// limits retried. open.taobao.com/api.htm?docId=10591&docType=2
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { TaobaoCredentials } from './index.ts';
import { topWrite } from './ship-back.ts';

export async function setTaobaoStock(ctx: CallContext<TaobaoCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${w.quantity} cannot be written`, { refused: true });
  const params: Record<string, string> = { num_iid: w.listing.platformItemId, quantity: String(w.quantity), type: '1' };
  if (w.listing.platformSkuId) params.sku_id = w.listing.platformSkuId;
  const r = await topWrite(ctx, 'taobao.item.quantity.update', params);
  return { platformRef: null, already: false, status: r.status };
}
