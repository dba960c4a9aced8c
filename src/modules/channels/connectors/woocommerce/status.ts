// WooCommerce order statuses as the REST API v3 writes them (no `wc-` prefix), onto the anchor.
// Public ones: woocommerce/woocommerce src/Enums/OrderStatus.php and the store-manager docs
// (woocommerce.com/document/managing-orders/order-statuses/); trash/draft/auto-draft are WordPress post states.
import type { StatusDictionary } from '../types.ts';

export const wooStatusDictionary = {
  pending: { anchor: 'pending_payment', doc: 'Pending payment: order received, no payment initiated; awaiting payment (unpaid)' },
  // The buyer may pay a failed order again from "My account", so it is still waiting for money, not closed.
  failed: { anchor: 'pending_payment', doc: 'Failed: payment failed or was declined (unpaid), or requires authentication (SCA)' },
  'checkout-draft': { anchor: 'pending_payment', doc: 'Draft: created by the block checkout while the buyer is still on the checkout page (unpaid)' },
  processing: { anchor: 'paid', doc: 'Processing: payment received (paid) and stock reduced; the order is awaiting fulfilment' },
  completed: { anchor: 'completed', doc: 'Completed: order fulfilled and complete; requires no further action' },
  cancelled: { anchor: 'cancelled', doc: 'Cancelled: cancelled by an admin or the buyer; stock is increased, no further action required' },
  // On-hold is used both for "awaiting payment confirmation" (bank transfer, cheque) and by shop staff to pause a
  // paid order: it does not say which, so the order keeps its status and waits for a person.
  'on-hold': { anchor: null, hold: 'PLATFORM_HOLD', doc: 'On hold: awaiting payment confirmation (stock is reduced), or paused by the shop' },
  // A full refund says nothing about the goods: unshipped they must not ship, shipped it is after-sales. A person decides.
  refunded: { anchor: null, hold: 'PLATFORM_HOLD', doc: 'Refunded: fully refunded by an admin; no further action required on the WooCommerce side' },
  trash: { anchor: null, hold: 'PLATFORM_HOLD', doc: 'Trash (internal): moved to the trash by shop staff; restorable until the trash is emptied' },
  draft: { anchor: null, hold: 'PLATFORM_HOLD', doc: 'Draft (internal): an order being put together in the admin, not placed yet' },
  'auto-draft': { anchor: null, hold: 'PLATFORM_HOLD', doc: 'Auto-draft (internal): an order screen opened in the admin and not saved yet' },
} as const satisfies StatusDictionary;

export type WooStatus = keyof typeof wooStatusDictionary;
