// Douyin stock write (库存同步): sku.syncStock with incremental=false, so stock_num is the absolute quantity on offer
// (全量更新: a repeat writes the same number, never adds). product_id and sku_id are 19-digit JSON numbers. Signed
// like the pull. Fields from the official Go SDK (zsmhub/doudian-sdk api/sku_syncStock).
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { DouyinCredentials } from './index.ts';
import { DouyinBigId, douyinCall } from './write.ts';

export async function setStockDouyin(ctx: CallContext<DouyinCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `stock ${w.quantity} is not a whole number ≥ 0`, { refused: true });
  if (!w.listing.platformSkuId) throw new PlatformWriteError('SKU_ID_MISSING', 'a Douyin stock write names the sku_id', { refused: true });
  const sent = await douyinCall(ctx, 'sku.syncStock', {
    product_id: new DouyinBigId(w.listing.platformItemId),
    sku_id: new DouyinBigId(w.listing.platformSkuId),
    stock_num: w.quantity,
    incremental: false,
  });
  return { platformRef: null, already: false, status: sent.status };
}
