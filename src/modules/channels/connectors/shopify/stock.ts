// Shopify stock writes (库存同步): POST inventory_levels/set.json with the listing's inventory item and location and
// the absolute `available` quantity (shopify.dev/docs/api/admin-rest/2025-10/resources/inventorylevel#post-inventory-
// levels-set), on the REST Admin API the pull uses. An absolute value, so a retry after a lost answer sets the same
// number again. REST has no compare-and-set; the GraphQL inventorySetQuantities (compareQuantity) would add it.
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import { shopifyAdmin } from './listings.ts';
import type { ShopifyPullCredentials } from './pull.ts';

export async function setStockShopify(ctx: CallContext<ShopifyPullCredentials>, write: StockWrite): Promise<WriteResult> {
  const item = write.listing.ref.inventoryItemId;
  const location = write.listing.ref.locationId;
  if (!item || !/^\d{1,20}$/.test(item) || !location || !/^\d{1,20}$/.test(location)) {
    throw new PlatformWriteError('LISTING_REF_MISSING', 'the listing has no Shopify inventory item and location (pull the listings again)', { refused: true });
  }
  if (!Number.isSafeInteger(write.quantity) || write.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${write.quantity} is not a whole number >= 0`, { refused: true });
  const res = await shopifyAdmin(ctx, 'POST', '/inventory_levels/set.json', { location_id: Number(location), inventory_item_id: Number(item), available: write.quantity });
  return { platformRef: null, already: false, status: res.status };
}
