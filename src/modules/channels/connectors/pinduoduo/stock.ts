// Pinduoduo stock writes (库存同步): pdd.goods.quantity.update with update_type 1 (全量更新: the quantity is set, not
// added), goods_id and sku_id. Absolute, so a resend after a lost answer sets the same number again. PDD refuses to
// lower the stock of goods in a promotion slot: a business refusal, kept on the listing.
// open.pinduoduo.com/application/document/api?id=pdd.goods.quantity.update
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { PinduoduoCredentials } from './index.ts';
import { pddWrite } from './ship-back.ts';

export async function setPinduoduoStock(ctx: CallContext<PinduoduoCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${w.quantity} cannot be written`, { refused: true });
  const params: Record<string, string> = { goods_id: w.listing.platformItemId, quantity: String(w.quantity), update_type: '1' };
  if (w.listing.platformSkuId) params.sku_id = w.listing.platformSkuId;
  const r = await pddWrite(ctx, 'pdd.goods.quantity.update', 'goods_quantity_update_response', params);
  if (r.body.is_success !== true && r.body.is_success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', 'Pinduoduo pdd.goods.quantity.update did not answer is_success', { status: r.status });
  return { platformRef: null, already: false, status: r.status };
}
