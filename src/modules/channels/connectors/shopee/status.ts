// Shopee's order_status (Open Platform v2 "Data Definition - OrderStatus"), as data. Cancellation requests and
// returns are holds, never "cancelled": the seller still has to answer them, and most end with the goods delivered.
import type { StatusDictionary } from '../types.ts';

export const shopeeStatusDictionary = {
  UNPAID: { anchor: 'pending_payment', doc: 'Order is created, buyer has not paid yet.' },
  PENDING: {
    anchor: null,
    hold: 'PLATFORM_HOLD',
    doc: 'Order is pending and cannot proceed to shipment arrangement yet (Shopee internal processing, TW KYC, 3PL capacity).',
  },
  INVOICE_PENDING: { anchor: 'paid', doc: 'Brazil: the order is paid and waits for the invoice before shipment can be arranged.' },
  READY_TO_SHIP: { anchor: 'paid', doc: 'Seller can arrange shipment.' },
  PROCESSED: { anchor: 'paid', doc: 'Seller has arranged shipment online and got tracking number from 3PL.' },
  RETRY_SHIP: { anchor: 'paid', doc: '3PL pickup parcel fail. Need to re arrange shipment.' },
  SHIPPED: { anchor: 'shipped', doc: 'The parcel has been drop to 3PL or picked up by 3PL.' },
  TO_CONFIRM_RECEIVE: { anchor: 'delivered', doc: 'The order has been received by buyer.' },
  IN_CANCEL: { anchor: null, hold: 'PLATFORM_HOLD', doc: "The order's cancelation is under processing (the buyer asked to cancel; the seller must answer)." },
  CANCELLED: { anchor: 'cancelled', doc: 'The order has been canceled.' },
  TO_RETURN: { anchor: null, hold: 'PLATFORM_HOLD', doc: "The buyer requested to return the order and order's return is processing." },
  COMPLETED: { anchor: 'completed', doc: 'The order has been completed.' },
} as const satisfies StatusDictionary;

export type ShopeeOrderStatus = keyof typeof shopeeStatusDictionary;
