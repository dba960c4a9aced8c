// WooCommerce stock writes (库存同步): PUT the product's (or the variation's, under its parent) stock_quantity with
// manage_stock on — woocommerce.github.io/woocommerce-rest-api-docs/#update-a-product, #update-a-product-variation.
// An absolute value, so a retry after a lost answer sets the same number again. WooCommerce has no compare-and-set.
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import { wooRest } from './listings.ts';
import type { WooCommerceCredentials } from './index.ts';

const numeric = /^\d{1,20}$/;

export async function setStockWoo(ctx: CallContext<WooCommerceCredentials>, write: StockWrite): Promise<WriteResult> {
  const { platformItemId: item, platformSkuId: variation } = write.listing;
  if (!numeric.test(item) || (variation !== '' && !numeric.test(variation))) throw new PlatformWriteError('LISTING_REF_MISSING', `WooCommerce product ${JSON.stringify(item)} is not a product id`, { refused: true });
  if (!Number.isSafeInteger(write.quantity) || write.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${write.quantity} is not a whole number >= 0`, { refused: true });
  const path = variation === '' ? `/wp-json/wc/v3/products/${item}` : `/wp-json/wc/v3/products/${write.listing.ref.parentId ?? item}/variations/${variation}`;
  const res = await wooRest(ctx, 'PUT', path, [], { manage_stock: true, stock_quantity: write.quantity });
  return { platformRef: null, already: false, status: res.status };
}
