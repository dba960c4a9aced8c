// Shopify webhooks: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app client secret, raw body)); no timestamp, so a
// delivery is deduplicated on X-Shopify-Webhook-Id. The REST order payload becomes the hub's order, to the cent.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import { type NormalizedOrder, type OrderLineInput } from '../../../orders/domain/order.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import { headerValue, type ChannelAdapter, apiBaseProblems } from '../types.ts';
import { shopifyAnchor, shopifyStatusDictionary } from './status.ts';
import { pullShopifyOrders, shopifyApiVersion } from './pull.ts';
import { shipBackShopify } from './ship-back.ts';
import { distinctNumbers } from '../tracking-numbers.ts';
import { pullShopifyListings } from './listings.ts';
import { checkShopifySettings, setStockShopify, shopifySettingsProblems } from './stock.ts';

export interface ShopifyCredentials {
  /** e.g. my-shop.myshopify.com: pushes from any other shop are refused. */
  shopDomain: string;
  /** The app's client secret (signs webhooks). */
  apiSecret: string;
  /** The secret before a rotation: Shopify may sign with it for about an hour after. */
  previousApiSecret?: string;
  /** Admin API access token (custom app: shpat_…) with read_orders: needed to pull. */
  accessToken?: string;
  /** Replaces https://{shopDomain} for API calls (a simulator, a proxy). */
  apiBase?: string;
}

/** The topics that carry an order; others (refunds/create …) are kept as raw events for after-sales. */
const orderTopics = new Set([
  'orders/create',
  'orders/updated',
  'orders/paid',
  'orders/cancelled',
  'orders/fulfilled',
  'orders/partially_fulfilled',
  'orders/edited',
]);

interface Money {
  amount?: string;
}
interface ShopifyAddress {
  name?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  province?: string | null;
  city?: string | null;
  address1?: string | null;
  address2?: string | null;
  country?: string | null;
  zip?: string | null;
}
interface ShopifyOrder {
  id: number | string;
  name?: string;
  currency: string;
  created_at: string;
  updated_at: string;
  cancelled_at?: string | null;
  financial_status: string;
  fulfillment_status?: string | null;
  taxes_included?: boolean;
  total_price: string;
  total_tax?: string;
  total_tip_received?: string;
  total_outstanding?: string;
  phone?: string | null;
  customer?: { id?: number | string; first_name?: string | null; last_name?: string | null; phone?: string | null } | null;
  shipping_address?: ShopifyAddress | null;
  billing_address?: ShopifyAddress | null;
  line_items: { id: number | string; variant_id?: number | string | null; sku?: string | null; title: string; quantity: number; price: string; discount_allocations?: Money[] }[];
  shipping_lines?: { price: string; discount_allocations?: Money[] }[];
  /** The order's fulfillments with their tracking numbers (a cancelled one no longer counts). */
  fulfillments?: { status?: string; tracking_number?: string | null; tracking_numbers?: string[] }[];
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `Shopify order: ${message}`);
}

function instant(v: unknown, field: string): number {
  const ms = typeof v === 'string' ? parseIsoInstant(v) : null;
  return ms ?? fail(`${field} must be ISO 8601 with an offset`);
}

function isOrder(o: unknown): o is ShopifyOrder {
  const x = o as Partial<ShopifyOrder> | null;
  return Boolean(x && (typeof x.id === 'number' || typeof x.id === 'string') && typeof x.currency === 'string' && Array.isArray(x.line_items) && typeof x.total_price === 'string');
}

const name = (a: { first_name?: string | null; last_name?: string | null; name?: string | null } | null | undefined) =>
  (a?.name ?? [a?.first_name, a?.last_name].filter(Boolean).join(' ')).trim();

/** The REST order as the hub's order: every amount in minor units, the parts adding up to Shopify's total_price. */
export function normalizeShopifyOrder(o: ShopifyOrder): NormalizedOrder {
  const c = o.currency;
  const minor = (v: string | undefined, field: string) => decimalToMinor(v ?? '0', c, field);
  const sum = (xs: Money[] | undefined, field: string) => (xs ?? []).reduce((a, x) => a + minor(x.amount, field), 0);
  const cancelled = Boolean(o.cancelled_at);
  const status = shopifyAnchor(o.financial_status, o.fulfillment_status ?? null, cancelled);
  const lines: OrderLineInput[] = o.line_items.map((l, i) => ({
    sku: l.sku || `variant-${l.variant_id ?? l.id}`,
    title: l.title,
    quantity: l.quantity,
    unitPrice: minor(l.price, `line_items[${i}].price`),
    discount: sum(l.discount_allocations, `line_items[${i}].discount_allocations`),
  }));
  const shipping = o.shipping_lines ?? [];
  const shippingFee = shipping.reduce((a, s, i) => a + minor(s.price, `shipping_lines[${i}].price`), 0);
  const shippingDiscount = shipping.reduce((a, s, i) => a + sum(s.discount_allocations, `shipping_lines[${i}].discount_allocations`), 0);
  // Tax added on top of the prices; a tip the buyer added counts with it as money owed beyond the goods.
  const tax = (o.taxes_included ? 0 : minor(o.total_tax, 'total_tax')) + minor(o.total_tip_received, 'total_tip_received');
  const total = minor(o.total_price, 'total_price');
  const paidLike = status !== null && status !== 'pending_payment' && status !== 'cancelled';
  const paidAmount = paidLike ? total : o.financial_status === 'partially_paid' ? total - minor(o.total_outstanding, 'total_outstanding') : 0;
  const shipTo = o.shipping_address ?? o.billing_address ?? null;
  const rawStatus = `${o.financial_status}/${o.fulfillment_status ?? 'unfulfilled'}${cancelled ? '/cancelled' : ''}`;
  const normalized: NormalizedOrder = {
    platformOrderId: String(o.id),
    status,
    hold: status ? undefined : { code: 'STATUS_UNKNOWN', reason: `Shopify status ${rawStatus} is not in the dictionary (kept as received, not guessed)` },
    platformTotal: total,
    platformStatus: rawStatus,
    platformTrackingNos: distinctNumbers((o.fulfillments ?? []).filter((f) => f.status !== 'cancelled').flatMap((f) => [f.tracking_number, ...(f.tracking_numbers ?? [])])),
    platformCreatedAt: instant(o.created_at, 'created_at'),
    sourceUpdatedAt: instant(o.updated_at, 'updated_at'),
    currency: c,
    buyer: {
      id: o.customer?.id !== undefined ? String(o.customer.id) : undefined,
      name: name(o.customer) || undefined,
      phone: o.customer?.phone ?? o.phone ?? undefined,
    },
    receiver: {
      name: name(shipTo) || name(o.customer) || '-',
      phone: shipTo?.phone ?? o.phone ?? '',
      province: shipTo?.province ?? '',
      city: shipTo?.city ?? '',
      district: '',
      address: [shipTo?.address1, shipTo?.address2, shipTo?.zip, shipTo?.country].filter(Boolean).join(', ') || '-',
    },
    lines,
    shippingFee,
    discountPlatform: 0,
    discountSeller: shippingDiscount,
    tax,
    paidAmount,
  };
  return normalized;
}

function matches(secret: string, body: Buffer, given: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const shopify: ChannelAdapter<ShopifyCredentials> = {
  platform: 'shopify',
  label: 'Shopify',
  pushDescription:
    'Shopify webhook (orders/create, orders/updated, orders/paid, orders/cancelled, orders/fulfilled, orders/partially_fulfilled, refunds/create): ' +
    'X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app client secret, raw body)); deduplicated on X-Shopify-Webhook-Id.',
  statusDictionary: shopifyStatusDictionary,
  credentialFields: [
    { name: 'shopDomain', label: 'Shop domain', hint: 'my-shop.myshopify.com' },
    { name: 'apiSecret', label: 'App client secret', secret: true, hint: 'signs webhooks' },
    { name: 'previousApiSecret', label: 'Previous client secret', secret: true, optional: true, hint: 'accepted for an hour after a rotation' },
    { name: 'accessToken', label: 'Admin API access token', secret: true, optional: true, hint: 'shpat_… with read_orders (pull), read_products and read_inventory (listings), write_inventory and read_locations (stock sync)' },
    { name: 'apiBase', label: 'API base URL', optional: true, hint: 'replaces https://{shop domain} for API calls' },
  ],

  credentialProblems(c) {
    const x = c as Partial<ShopifyCredentials> | null;
    const problems: string[] = [];
    if (typeof x?.shopDomain !== 'string' || !/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(x.shopDomain)) problems.push('credentials.shopDomain must look like my-shop.myshopify.com');
    if (typeof x?.apiSecret !== 'string' || x.apiSecret.length < 16) problems.push('credentials.apiSecret must be the app client secret (16 characters or more)');
    if (x?.previousApiSecret !== undefined && typeof x.previousApiSecret !== 'string') problems.push('credentials.previousApiSecret must be a string');
    if (x?.accessToken !== undefined && (typeof x.accessToken !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(x.accessToken))) {
      problems.push('credentials.accessToken must be the Admin API access token (shpat_…)');
    }
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  verifyPush(req, credentials) {
    const h = (n: string) => headerValue(req.headers[`x-shopify-${n}`]) ?? headerValue(req.headers[`shopify-${n}`]);
    const sig = h('hmac-sha256');
    if (!sig) throw new HubError('SIGNATURE_MISSING', 'X-Shopify-Hmac-Sha256 header is required');
    const given = /^[A-Za-z0-9+/]{43}=$/.test(sig) ? Buffer.from(sig, 'base64') : Buffer.alloc(0);
    const secrets = [credentials.apiSecret, credentials.previousApiSecret].filter((s): s is string => Boolean(s));
    if (!secrets.some((s) => matches(s, req.rawBody, given))) throw new HubError('SIGNATURE_INVALID', 'X-Shopify-Hmac-Sha256 does not match the body');
    const shop = h('shop-domain');
    if (shop && shop !== credentials.shopDomain) {
      throw new HubError('SIGNATURE_INVALID', `the webhook comes from ${shop}, but this account is ${credentials.shopDomain}`);
    }
    const topic = h('topic');
    if (!topic) throw new HubError('VALIDATION_FAILED', 'X-Shopify-Topic header is required');
    const eventId = h('webhook-id') ?? h('event-id');
    if (!eventId || !/^[\x21-\x7e]{1,200}$/.test(eventId)) throw new HubError('EVENT_ID_MISSING', 'X-Shopify-Webhook-Id header is required');
    const kept: Record<string, string> = { 'x-shopify-topic': topic, 'x-shopify-webhook-id': eventId };
    for (const n of ['shop-domain', 'api-version', 'triggered-at', 'event-id']) {
      const v = h(n);
      if (v) kept[`x-shopify-${n}`] = v.slice(0, 200);
    }
    return { eventId, keptHeaders: kept, shape: topic };
  },

  parsePush(rawBody, verified) {
    const topic = verified.keptHeaders['x-shopify-topic'] ?? '';
    if (!orderTopics.has(topic)) return [];
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'body is not valid JSON');
    }
    if (!isOrder(body)) fail('the body is not an order (id, currency, line_items and total_price are required)');
    return [normalizeShopifyOrder(body)];
  },

  successBody() {
    return null;
  },

  pullDescription:
    `GET {https://shop}/admin/api/${shopifyApiVersion}/orders.json?status=any&updated_at_min&updated_at_max&limit=250&order=updated_at asc ` +
    'with X-Shopify-Access-Token; next pages from the Link header (rel="next", page_info) as given; 429 + Retry-After when the bucket is full.',
  // Shopify documents no cap on updated_at ranges; one day keeps a window's pages few and a retry cheap.
  maxPullWindowMs: 24 * 60 * 60 * 1000,
  pullConfigured: (c) => Boolean(c.accessToken),
  pull: (ctx) => pullShopifyOrders(ctx, isOrder, normalizeShopifyOrder),
  shipBack: shipBackShopify,
  trackingCorrection: 'POST fulfillments/{id}/update_tracking.json (tracking_info, notify_customer) on each fulfillment that carries the old number',
  pullListings: pullShopifyListings,
  setStock: setStockShopify,
  settingFields: [
    {
      name: 'stockLocationId',
      label: 'Stock location',
      hint: "the Shopify location the hub's sellable quantity is written to (its id: Settings → Locations, the number at the end of the address); empty: the shop's primary location",
    },
  ],
  settingsProblems: shopifySettingsProblems,
  checkSettings: checkShopifySettings,
  // REST Admin API: a bucket of 40 requests per app and store leaking 2 a second on the standard plans (Advanced 4,
  // Plus 20/s with a bucket of 400: override with ORDERHUB_PLATFORM_WRITE_RATES=shopify=18/360);
  // shopify.dev/docs/api/admin-rest/usage/rate-limits. Paced at 90 %: the pulls draw on the same bucket.
  writeRate: { perSecond: 1.8, burst: 36, limit: { perSecond: 2, burst: 40 }, basis: 'documented' },

  parsePulled(rawBody) {
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    if (!isOrder(body)) fail('the stored body is not an order (id, currency, line_items and total_price are required)');
    return [normalizeShopifyOrder(body)];
  },
};
