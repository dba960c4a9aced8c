// A Shopify store as the tests need it: order payloads shaped like the REST Admin API's, and webhooks signed the way
// Shopify signs them (written here, apart from the hub's verifier; checked against Shopify's own library).
import { createHmac, randomUUID } from 'node:crypto';

export interface ShopifyOrderOpts {
  id?: number;
  financial?: string;
  fulfillment?: string | null;
  cancelled?: boolean;
  updatedAt?: string;
  taxesIncluded?: boolean;
}

export function shopifyOrder(o: ShopifyOrderOpts = {}) {
  const id = o.id ?? 5_000_000_000 + Math.floor(Math.random() * 1e6);
  // Two lines, an order discount allocated to the first, shipping with a shipping discount, tax on top:
  // 2 × 25.00 − 5.00 + 10.00 × 1 + 8.00 shipping − 3.00 + 4.40 tax = 64.40
  return {
    id,
    name: `#${1000 + (id % 1000)}`,
    currency: 'USD',
    created_at: '2026-11-21T20:00:00-05:00',
    updated_at: o.updatedAt ?? '2026-11-21T20:00:05-05:00',
    cancelled_at: o.cancelled ? '2026-11-21T21:00:00-05:00' : null,
    financial_status: o.financial ?? 'paid',
    fulfillment_status: o.fulfillment === undefined ? null : o.fulfillment,
    taxes_included: o.taxesIncluded ?? false,
    total_price: o.taxesIncluded ? '60.00' : '64.40',
    subtotal_price: '55.00',
    total_discounts: '8.00',
    total_tax: '4.40',
    total_tip_received: '0.00',
    total_outstanding: '0.00',
    phone: null,
    customer: { id: 777, first_name: 'Ada', last_name: 'Lovelace', phone: '+14155550123' },
    shipping_address: { first_name: 'Ada', last_name: 'Lovelace', phone: '+14155550123', province: 'California', city: 'San Francisco', address1: '1 Market St', address2: 'Suite 2', zip: '94105', country: 'United States' },
    line_items: [
      { id: 11, variant_id: 101, sku: 'A1', title: 'Mug', quantity: 2, price: '25.00', discount_allocations: [{ amount: '5.00' }] },
      { id: 12, variant_id: 102, sku: '', title: 'Sticker', quantity: 1, price: '10.00', discount_allocations: [] },
    ],
    shipping_lines: [{ price: '8.00', discount_allocations: [{ amount: '3.00' }] }],
  };
}

/** The headers Shopify sends with a webhook, signed over the exact bytes. */
export function shopifyHeaders(secret: string, rawBody: string, opts: { topic?: string; shop?: string; webhookId?: string } = {}) {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': opts.topic ?? 'orders/updated',
    'x-shopify-shop-domain': opts.shop ?? 'hub-test.myshopify.com',
    'x-shopify-api-version': '2025-10',
    'x-shopify-webhook-id': opts.webhookId ?? randomUUID(),
    'x-shopify-triggered-at': new Date().toISOString(),
    'x-shopify-hmac-sha256': createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64'),
  };
}
