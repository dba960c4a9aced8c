// JD stock writes (库存同步): jingdong.stock.write.updateSkuStock with 360buy_param_json {skuId, stockNum} (the full
// quantity: absolute, so a resend after a lost answer sets the same number again), signed like the pull (MD5 over the
// sorted parameters, 360buy_param_json included). A third-party adapter reports the method "推下线" in favour of
// jingdong.ware.stock.sku.set — not confirmed (shared/research/platform-writes.md, D8); the answer's shape below
// (code "0", success) is read from JOS's common envelope, not from a captured answer.
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { JdCredentials } from './index.ts';
import { jdWrite } from './write.ts';

const updateMethod = 'jingdong.stock.write.updateSkuStock';

export async function setJdStock(ctx: CallContext<JdCredentials>, w: StockWrite): Promise<WriteResult> {
  if (!Number.isSafeInteger(w.quantity) || w.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${w.quantity} cannot be written`, { refused: true });
  // A JD listing is a SKU (skuId); an item without one cannot be written.
  const skuId = w.listing.platformSkuId || w.listing.platformItemId;
  if (!/^\d{1,20}$/.test(skuId)) throw new PlatformWriteError('SKU_ID_INVALID', `JD skuId ${JSON.stringify(skuId)} is not a number`, { refused: true });
  const r = await jdWrite(ctx, updateMethod, { skuId: Number(skuId), stockNum: w.quantity });
  if (r.body.success !== true && r.body.success !== 'true') throw new PlatformWriteError('NOT_SUCCESS', `JD ${updateMethod} did not answer success`, { status: r.status, refused: true });
  return { platformRef: null, already: false, status: r.status };
}
