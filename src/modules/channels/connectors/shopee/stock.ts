// Shopee stock write (库存同步): v2.product.update_stock with the absolute seller_stock for one model (model_id 0 for
// an item without variations), at the listing's location when it has one. Shopee answers per model: a model in
// failure_list (e.g. below the stock reserved for a promotion) is refused with Shopee's reason. Signed as the order
// pull signs (./product-call.ts).
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { ShopeeCredentials } from './index.ts';
import { isObject, shopeeProductCall } from './product-call.ts';

export async function setStockShopee(ctx: CallContext<ShopeeCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `stock ${w.quantity} is not a whole number ≥ 0`, { refused: true });
  const itemId = Number(w.listing.platformItemId);
  const modelId = w.listing.platformSkuId === '' ? 0 : Number(w.listing.platformSkuId);
  if (!Number.isSafeInteger(itemId) || itemId <= 0 || !Number.isSafeInteger(modelId) || modelId < 0) {
    throw new PlatformWriteError('ID_INVALID', `Shopee item ${JSON.stringify(w.listing.platformItemId)} / model ${JSON.stringify(w.listing.platformSkuId)} are not ids`, { refused: true });
  }
  const locationId = w.listing.ref.locationId;
  const sent = await shopeeProductCall(ctx, '/api/v2/product/update_stock', {}, {
    item_id: itemId,
    stock_list: [{ model_id: modelId, seller_stock: [{ ...(locationId ? { location_id: locationId } : {}), stock: w.quantity }] }],
  });
  const failed = (Array.isArray(sent.response.failure_list) ? sent.response.failure_list : []).filter(isObject).find((f) => Number(f.model_id ?? 0) === modelId);
  if (failed) throw new PlatformWriteError('STOCK_FAILED', `Shopee refused the stock of model ${modelId}: ${typeof failed.failed_reason === 'string' ? failed.failed_reason : 'no reason given'}`, { status: sent.status, refused: true });
  return { platformRef: null, already: false, status: sent.status };
}
