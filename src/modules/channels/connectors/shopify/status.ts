// Shopify's order state, as data: financial_status × fulfillment_status, and cancelled_at, onto the anchor.
// shopify.dev OrderDisplayFinancialStatus / REST fulfillment_status (null = unfulfilled).
import type { OrderStatus } from '../../../orders/domain/machine.ts';
import type { StatusDictionary } from '../types.ts';

/** What the money says. An authorised but uncaptured payment is not yet paid. */
export const shopifyFinancialStatuses = {
  pending: 'pending_payment',
  authorized: 'pending_payment',
  partially_paid: 'pending_payment',
  paid: 'paid',
  partially_refunded: 'paid',
  refunded: 'paid',
  voided: 'cancelled',
  expired: 'cancelled',
} as const satisfies Record<string, OrderStatus>;

/** What the goods say; `unfulfilled` stands for Shopify's null. A shipment moves a live order to shipped. */
export const shopifyFulfillmentStatuses = {
  unfulfilled: null,
  partial: null,
  fulfilled: 'shipped',
  restocked: null,
} as const satisfies Record<string, OrderStatus | null>;

export type ShopifyFinancial = keyof typeof shopifyFinancialStatuses;
export type ShopifyFulfillment = keyof typeof shopifyFulfillmentStatuses;

/** The anchor status of a Shopify order; null when a raw value is not in the dictionaries (never guessed). */
export function shopifyAnchor(financial: string, fulfillment: string | null, cancelled: boolean): OrderStatus | null {
  if (!Object.hasOwn(shopifyFinancialStatuses, financial)) return null;
  const f = fulfillment ?? 'unfulfilled';
  if (!Object.hasOwn(shopifyFulfillmentStatuses, f)) return null;
  if (cancelled) return 'cancelled';
  const money = shopifyFinancialStatuses[financial as ShopifyFinancial];
  if (money === 'cancelled') return 'cancelled';
  return shopifyFulfillmentStatuses[f as ShopifyFulfillment] ?? money;
}

/** Both dictionaries as one table for the console and the API document (`financial:…`, `fulfillment:…`). */
export const shopifyStatusDictionary: StatusDictionary = {
  ...Object.fromEntries(Object.entries(shopifyFinancialStatuses).map(([k, v]) => [`financial:${k}`, { anchor: v, doc: `financial_status ${k}` }])),
  ...Object.fromEntries(
    Object.entries(shopifyFulfillmentStatuses).map(([k, v]) => [
      `fulfillment:${k}`,
      { anchor: v, doc: v ? `fulfillment_status ${k}: handed to the carrier` : `fulfillment_status ${k}: the money decides` },
    ]),
  ),
};
