// WooCommerce (woocommerce/woocommerce includes/class-wc-webhook.php, includes/class-wc-rest-authentication.php):
// webhooks carry X-WC-Webhook-Signature = base64(HMAC-SHA256(webhook secret, raw body)) and no timestamp; the
// creation ping is an unsigned form body `webhook_id=N`. The pull reads REST v3 /orders by modified time, signed
// with HTTP Basic over HTTPS and one-legged OAuth 1.0a (HMAC-SHA256) over plain HTTP, as WooCommerce checks them.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import type { NormalizedOrder, OrderLineInput } from '../../../orders/domain/order.ts';
import { parseIsoInstant } from '../../../../kernel/time.ts';
import { headerValue, meaningOf, PullError, type ChannelAdapter, type PullContext, type PulledOrder, apiBaseProblems } from '../types.ts';
import { wooStatusDictionary } from './status.ts';
import { wooAuthorized } from './auth.ts';
import { shipBackWoo } from './ship-back.ts';
import { distinctNumbers } from '../tracking-numbers.ts';
import { pullWooListings } from './listings.ts';
import { setStockWoo } from './stock.ts';

export { oauthBaseString, rfc3986 } from './auth.ts';

export interface WooCommerceCredentials {
  /** The store's home URL (what X-WC-Webhook-Source names), e.g. https://shop.example.com. */
  storeUrl: string;
  /** The secret the store's webhooks were created with. */
  webhookSecret: string;
  /** REST API key (WooCommerce → Settings → Advanced → REST API), read access; needed to pull. */
  consumerKey?: string;
  consumerSecret?: string;
  /** Replaces storeUrl for API calls (a simulator, a staging copy). */
  apiBase?: string;
}

interface WooAddress {
  first_name?: string | null;
  last_name?: string | null;
  company?: string | null;
  address_1?: string | null;
  address_2?: string | null;
  city?: string | null;
  state?: string | null;
  postcode?: string | null;
  country?: string | null;
  phone?: string | null;
}
interface WooLine {
  id: number;
  name?: string;
  product_id?: number;
  variation_id?: number;
  quantity: number;
  subtotal: string;
  subtotal_tax?: string;
  total: string;
  total_tax?: string;
  sku?: string | null;
  /** A float (total ÷ quantity, after coupons): not used, the amounts come from subtotal and total. */
  price?: number | string;
}
interface WooCharge {
  total: string;
  total_tax?: string;
}
/** The REST v3 order, as far as the hub reads it. Amounts are decimal strings in the order's currency. */
export interface WooOrder {
  id: number;
  status: string;
  currency: string;
  date_created_gmt: string;
  date_modified_gmt: string;
  date_paid_gmt?: string | null;
  prices_include_tax?: boolean;
  shipping_total: string;
  shipping_tax?: string;
  total: string;
  total_tax: string;
  customer_id?: number;
  billing?: WooAddress | null;
  shipping?: WooAddress | null;
  line_items: WooLine[];
  fee_lines?: WooCharge[];
  /** The Shipment Tracking extension keeps its tracking items in the order's meta (_wc_shipment_tracking_items). */
  meta_data?: { key?: string; value?: unknown }[];
}

/** The tracking numbers of the Shipment Tracking extension's items on the order. */
function wooTrackingNumbers(o: WooOrder): string[] {
  const items = (o.meta_data ?? []).filter((m) => m.key === '_wc_shipment_tracking_items').flatMap((m) => (Array.isArray(m.value) ? (m.value as unknown[]) : []));
  return distinctNumbers(items.map((i) => (i && typeof i === 'object' ? (i as { tracking_number?: unknown }).tracking_number : undefined)));
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `WooCommerce order: ${message}`);
}

const gmtPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** The `_gmt` fields carry no offset and are UTC (wc_rest_prepare_date_response). */
export function wooGmt(v: unknown, field: string): number {
  if (typeof v === 'string' && gmtPattern.test(v)) {
    const ms = Date.parse(`${v}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  const withOffset = typeof v === 'string' ? parseIsoInstant(v) : null;
  return withOffset ?? fail(`${field} must be a UTC time like 2026-11-21T20:00:05`);
}

function isWooOrder(x: unknown): x is WooOrder {
  const o = x as Partial<WooOrder> | null;
  return Boolean(
    o &&
      typeof o === 'object' &&
      Number.isSafeInteger(o.id) &&
      typeof o.status === 'string' &&
      typeof o.currency === 'string' &&
      typeof o.total === 'string' &&
      Array.isArray(o.line_items),
  );
}

const fullName = (a: WooAddress | null | undefined) => [a?.first_name, a?.last_name].filter(Boolean).join(' ').trim();

/** Statuses in which a set date_paid is stale (staff moved a paid order back): the buyer owes the money again. */
const unpaidStatuses = new Set(['pending', 'failed', 'checkout-draft']);

/**
 * The REST order as the hub's order, to the cent of WooCommerce's `total`.
 *
 * WooCommerce keeps every line, shipping and fee amount before tax and adds the taxes (`total_tax`) on top, whatever
 * `prices_include_tax` says. Where the shop enters prices with tax included, the hub shows them that way too: each
 * amount with its tax, and tax 0 (as Shopify's `taxes_included`). Otherwise the amounts are without tax and `tax` is
 * the order's total_tax.
 *
 * - Lines: `subtotal` is before coupons, `total` after; `price` (a float, total ÷ quantity) is not used. The unit
 *   price is ceil(subtotal ÷ quantity) and the line discount is unit × quantity − total, so a subtotal that does not
 *   divide by the quantity puts its cents into the discount and the line still adds up. Coupons are already spread
 *   over the lines' totals by WooCommerce, so they are line discounts, not an order discount.
 * - Fees (fee_lines) are positive or negative amounts the shop adds at checkout. A positive fee (gift wrap, payment
 *   surcharge, handling) is money charged beyond the goods, shown with shipping in `shippingFee`; a negative fee is a
 *   discount the shop gives, `discountSeller`. WooCommerce has no platform-borne discounts: discountPlatform is 0.
 * - platformTotal is `total`, what the buyer is charged; refunds do not lower it (they are listed beside it).
 */
export function normalizeWooOrder(o: WooOrder): NormalizedOrder {
  const c = o.currency;
  const minor = (v: unknown, field: string) => {
    if (v === undefined || v === null || v === '') return 0;
    if (typeof v !== 'string' && typeof v !== 'number') fail(`${field} must be a decimal amount`);
    return decimalToMinor(v, c, field);
  };
  const withTax = o.prices_include_tax === true;
  const gross = (net: unknown, tax: unknown, field: string) => minor(net, field) + (withTax ? minor(tax, `${field}_tax`) : 0);

  const lines: OrderLineInput[] = o.line_items.map((l, i) => {
    const f = `line_items[${i}]`;
    if (!Number.isSafeInteger(l.quantity) || l.quantity <= 0) fail(`${f}.quantity must be a positive integer`);
    const before = gross(l.subtotal, l.subtotal_tax, `${f}.subtotal`);
    const after = gross(l.total, l.total_tax, `${f}.total`);
    if (before < 0 || after < 0) fail(`${f} has a negative amount`);
    // A total above the subtotal (a plugin raising the price) still yields a non-negative discount.
    const unitPrice = Math.ceil(Math.max(before, after) / l.quantity);
    const product = l.variation_id || l.product_id;
    return {
      sku: l.sku || (product ? `product-${product}` : `item-${l.id}`),
      title: l.name ?? '',
      quantity: l.quantity,
      unitPrice,
      discount: unitPrice * l.quantity - after,
    };
  });

  let fees = 0;
  let feeDiscounts = 0;
  (o.fee_lines ?? []).forEach((fee, i) => {
    const amount = gross(fee.total, fee.total_tax, `fee_lines[${i}].total`);
    if (amount >= 0) fees += amount;
    else feeDiscounts -= amount;
  });

  const total = minor(o.total, 'total');
  const rawStatus = o.status;
  const meaning = meaningOf(wooStatusDictionary, rawStatus, 'WooCommerce');
  const paid = Boolean(o.date_paid_gmt) && !unpaidStatuses.has(rawStatus);
  const shipTo = o.shipping && (o.shipping.address_1 || o.shipping.first_name) ? o.shipping : (o.billing ?? o.shipping ?? null);
  const buyerName = fullName(o.billing);

  return {
    platformOrderId: String(o.id),
    status: meaning.status,
    hold: meaning.hold,
    platformStatus: rawStatus,
    platformTotal: total,
    platformTrackingNos: wooTrackingNumbers(o),
    platformCreatedAt: wooGmt(o.date_created_gmt, 'date_created_gmt'),
    sourceUpdatedAt: wooGmt(o.date_modified_gmt, 'date_modified_gmt'),
    currency: c,
    buyer: {
      id: o.customer_id ? String(o.customer_id) : undefined,
      name: buyerName || undefined,
      phone: o.billing?.phone || undefined,
    },
    receiver: {
      name: fullName(shipTo) || shipTo?.company || buyerName || '-',
      phone: shipTo?.phone || o.billing?.phone || '',
      province: shipTo?.state ?? '',
      city: shipTo?.city ?? '',
      district: '',
      address: [shipTo?.address_1, shipTo?.address_2, shipTo?.postcode, shipTo?.country].filter(Boolean).join(', ') || '-',
    },
    lines,
    shippingFee: gross(o.shipping_total, o.shipping_tax, 'shipping_total') + fees,
    discountPlatform: 0,
    discountSeller: feeDiscounts,
    tax: withTax ? 0 : minor(o.total_tax, 'total_tax'),
    paidAmount: paid ? total : 0,
  };
}

/** wp_specialchars_decode(…, ENT_QUOTES): WooCommerce signs with the secret decoded from HTML entities. */
function specialcharsDecode(s: string): string {
  const map: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#039;': "'", '&#39;': "'", '&#x27;': "'", '&#034;': '"', '&#34;': '"', '&#x22;': '"' };
  return s.replace(/&(?:amp|lt|gt|quot|#0?39|#x27|#0?34|#x22);/gi, (e) => map[e.toLowerCase()] ?? e);
}

/** Host and path of a store URL, for comparing X-WC-Webhook-Source with the account (scheme and slash aside). */
function storeKey(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

const pingBody = /^webhook_id=(\d{1,20})$/;
const deliveryIdPattern = /^[\x21-\x7e]{1,200}$/;
const orderEvents = new Set(['created', 'updated', 'restored']);

function parseBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HubError('BODY_INVALID_JSON', 'body is not valid JSON');
  }
}

// ── The pull ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** The time format WooCommerce's date filters take; with dates_are_gmt=true it is read as UTC. */
function wpDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

const perPage = 100;
/** A runaway guard: more pages than this for one window means something loops. */
const maxRequests = 5000;

interface WooErrorBody {
  code?: unknown;
  message?: unknown;
}

function retryAfterMs(res: Response, now: number): number | undefined {
  const v = res.headers.get('retry-after') ?? res.headers.get('ratelimit-retry-after');
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.ceil(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

async function wooGet(ctx: PullContext<WooCommerceCredentials>, endpoint: string, query: [string, string][]): Promise<{ list: unknown[]; totalPages?: number }> {
  const { consumerKey: key, consumerSecret: secret } = ctx.credentials;
  if (!key || !secret) throw new PullError('CREDENTIALS_MISSING', 'consumerKey and consumerSecret are needed to pull WooCommerce orders', { authFailed: true });
  // Basic over HTTPS, one-legged OAuth 1.0a over plain HTTP (auth.ts).
  const { url, headers } = wooAuthorized('GET', endpoint, query, key, secret, ctx.now());
  let res: Response;
  try {
    res = await ctx.fetch(url, { headers, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (e) {
    throw new PullError('NETWORK', `WooCommerce API unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const err = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as WooErrorBody;
  const code = typeof err.code === 'string' ? err.code : `HTTP_${res.status}`;
  const message = typeof err.message === 'string' ? err.message : `HTTP ${res.status}`;
  // WooCommerce's own REST API has no rate limiter: a 429 comes from the host or a firewall in front of it.
  if (res.status === 429 || code === 'rate_limit_exceeded') {
    const after = retryAfterMs(res, ctx.now());
    throw new PullError(code, message, { rateLimited: true, ...(after !== undefined ? { retryAfterMs: after } : {}) });
  }
  if (!res.ok) {
    const authFailed = res.status === 401 || res.status === 403 || code.startsWith('woocommerce_rest_authentication') || code === 'woocommerce_rest_cannot_view';
    throw new PullError(code, message, authFailed ? { authFailed: true } : {});
  }
  if (!Array.isArray(body)) throw new PullError('INVALID_RESPONSE', 'WooCommerce answered the order list with something other than a JSON array');
  const totalPages = Number(res.headers.get('x-wp-totalpages') ?? Number.NaN);
  return Number.isSafeInteger(totalPages) ? { list: body, totalPages } : { list: body };
}

/**
 * Orders modified in [from, to), oldest first. WooCommerce's date filters are exclusive and whole seconds, so the
 * request asks a second wider and the window is applied to date_modified_gmt here. Paging walks a cursor on the
 * modified time rather than page numbers alone: an order modified while the pages are read moves to the end of the
 * list, and with page numbers alone the order after it would slide onto a page already read and be missed.
 */
async function* pullWoo(ctx: PullContext<WooCommerceCredentials>): AsyncGenerator<PulledOrder[], void, void> {
  const base = (ctx.credentials.apiBase ?? ctx.credentials.storeUrl).replace(/\/+$/, '');
  const endpoint = `${base}/wp-json/wc/v3/orders`;
  const before = wpDate(Math.ceil(ctx.to / 1000) * 1000);
  const seen = new Set<string>();
  let cursor = Math.floor(ctx.from / 1000) * 1000;
  let page = 1;
  for (let requests = 0; ; requests++) {
    if (requests >= maxRequests) throw new PullError('TOO_MANY_PAGES', `more than ${maxRequests} pages for one window`);
    const { list, totalPages } = await wooGet(ctx, endpoint, [
      ['modified_after', wpDate(cursor - 1000)],
      ['modified_before', before],
      ['dates_are_gmt', 'true'],
      ['per_page', String(perPage)],
      ['page', String(page)],
      ['orderby', 'modified'],
      ['order', 'asc'],
    ]);
    const out: PulledOrder[] = [];
    let last = cursor;
    for (const raw of list) {
      if (!isWooOrder(raw)) throw new PullError('INVALID_RESPONSE', 'an element of the order list is not an order (id, status, currency, total, line_items)');
      let order: NormalizedOrder;
      try {
        order = normalizeWooOrder(raw);
      } catch (e) {
        throw new PullError('ORDER_INVALID', `order ${raw.id}: ${e instanceof Error ? e.message : String(e)}`);
      }
      last = Math.max(last, order.sourceUpdatedAt);
      const eventId = `${order.platformOrderId}@${order.sourceUpdatedAt}`;
      if (order.sourceUpdatedAt < ctx.from || order.sourceUpdatedAt >= ctx.to || seen.has(eventId)) continue;
      seen.add(eventId);
      out.push({ eventId, rawBody: Buffer.from(JSON.stringify(raw)), order });
    }
    if (out.length) yield out;
    // X-WP-TotalPages counts the pages of this query (this cursor); a store that caps per_page lower still pages right.
    if (totalPages !== undefined ? page >= totalPages : list.length < perPage) return;
    // Next: from the last second seen (read again, the seen set drops repeats); a full page within one second walks on.
    if (last > cursor) {
      cursor = last;
      page = 1;
    } else {
      page += 1;
    }
  }
}

export const woocommerce: ChannelAdapter<WooCommerceCredentials> = {
  platform: 'woocommerce',
  label: 'WooCommerce',
  pushDescription:
    'WooCommerce webhooks (order.created, order.updated, order.restored; order.deleted is kept as a raw event): ' +
    'X-WC-Webhook-Signature = base64(HMAC-SHA256(webhook secret, raw body)), no timestamp. The creation ping ' +
    '(form body webhook_id=N, unsigned) is answered 200 and stores nothing. A delivery is identified by order id, ' +
    'date_modified_gmt and a hash of the body (X-WC-Webhook-Delivery-ID repeats within a second and changes on redelivery).',
  pullDescription:
    'GET {store}/wp-json/wc/v3/orders?modified_after&modified_before&dates_are_gmt=true&orderby=modified&order=asc&per_page=100&page=N; ' +
    'HTTPS: HTTP Basic with consumer key and secret; plain HTTP: OAuth 1.0a one-legged, HMAC-SHA256, key "consumer_secret&".',
  // WooCommerce documents no cap on the modified-date filters; one day keeps a window's pages few and a retry cheap.
  maxPullWindowMs: 24 * 60 * 60 * 1000,
  statusDictionary: wooStatusDictionary,
  credentialFields: [
    { name: 'storeUrl', label: 'Store URL', hint: 'https://shop.example.com (the site address)' },
    { name: 'webhookSecret', label: 'Webhook secret', secret: true, hint: 'the secret entered when creating the webhooks' },
    { name: 'consumerKey', label: 'REST API consumer key', optional: true, hint: 'ck_…, read access to pull, read/write to ship back' },
    { name: 'consumerSecret', label: 'REST API consumer secret', secret: true, optional: true, hint: 'cs_…' },
    { name: 'apiBase', label: 'API base URL', optional: true, hint: 'replaces the store URL for API calls' },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof WooCommerceCredentials, unknown>> | null;
    const problems: string[] = [];
    const httpUrl = (v: unknown) => {
      if (typeof v !== 'string') return false;
      try {
        const u = new URL(v);
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash && !u.username;
      } catch {
        return false;
      }
    };
    if (!httpUrl(x?.storeUrl)) problems.push('credentials.storeUrl must be the store address, e.g. https://shop.example.com');
    if (typeof x?.webhookSecret !== 'string' || x.webhookSecret.length === 0 || x.webhookSecret.length > 512) {
      problems.push('credentials.webhookSecret must be the webhook secret (1–512 characters)');
    }
    if ((x?.consumerKey === undefined) !== (x?.consumerSecret === undefined)) problems.push('credentials.consumerKey and consumerSecret go together');
    if (x?.consumerKey !== undefined && (typeof x.consumerKey !== 'string' || !/^ck_[A-Za-z0-9]{8,200}$/.test(x.consumerKey))) {
      problems.push('credentials.consumerKey must look like ck_…');
    }
    if (x?.consumerSecret !== undefined && (typeof x.consumerSecret !== 'string' || !/^cs_[A-Za-z0-9]{8,200}$/.test(x.consumerSecret))) {
      problems.push('credentials.consumerSecret must look like cs_…');
    }
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  verifyPush(req, credentials) {
    const h = (n: string) => headerValue(req.headers[`x-wc-webhook-${n}`]);
    const sig = h('signature');
    if (!sig) {
      // Only the exact creation ping comes unsigned, and it carries none of the webhook headers.
      const ping = pingBody.exec(req.rawBody.toString('latin1'));
      const wcHeaders = Object.keys(req.headers).some((k) => k.toLowerCase().startsWith('x-wc-webhook-'));
      if (ping && !wcHeaders) return { eventId: `ping:${ping[1]}`, keptHeaders: { 'x-wc-webhook-id': ping[1] ?? '' }, ping: true };
      throw new HubError('SIGNATURE_MISSING', 'X-WC-Webhook-Signature header is required (only the creation ping webhook_id=N comes unsigned)');
    }
    const given = /^[A-Za-z0-9+/]{43}=$/.test(sig) ? Buffer.from(sig, 'base64') : Buffer.alloc(0);
    const secrets = new Set([credentials.webhookSecret, specialcharsDecode(credentials.webhookSecret)]);
    const ok = [...secrets].some((s) => {
      const expected = createHmac('sha256', s).update(req.rawBody).digest();
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!ok) throw new HubError('SIGNATURE_INVALID', 'X-WC-Webhook-Signature does not match the body');

    const source = h('source');
    if (source && storeKey(source) !== storeKey(credentials.storeUrl)) {
      throw new HubError('SIGNATURE_INVALID', `the webhook comes from ${source.slice(0, 200)}, but this account is ${credentials.storeUrl}`);
    }
    const topic = h('topic');
    if (!topic || !/^[a-z0-9_]+\.[a-z0-9_]+$/i.test(topic)) throw new HubError('VALIDATION_FAILED', 'X-WC-Webhook-Topic header is required (e.g. order.updated)');
    const deliveryId = h('delivery-id');
    if (!deliveryId || !deliveryIdPattern.test(deliveryId)) throw new HubError('EVENT_ID_MISSING', 'X-WC-Webhook-Delivery-ID header is required');
    const [resource = '', event = ''] = topic.split('.');

    // The delivery id is wp_hash(webhook id . unix seconds): the same for two orders sent by one webhook within a
    // second, and new when a delivery is sent again. So an order delivery is known by the order version it carries
    // (id, date_modified_gmt) plus a hash of its bytes: a resend of the same version is one event, two orders are two.
    // The hash keeps it apart from a pull's id for the same version, whose bytes differ.
    const bodyHash = createHash('sha256').update(req.rawBody).digest('hex').slice(0, 16);
    let eventId = `${topic}:${deliveryId}#${bodyHash}`;
    if (resource === 'order' && orderEvents.has(event)) {
      const body = parseBody(req.rawBody) as { id?: unknown; date_modified_gmt?: unknown } | null;
      if (!body || !Number.isSafeInteger(body.id)) throw new HubError('VALIDATION_FAILED', 'WooCommerce order: id is required');
      eventId = `${String(body.id)}@${wooGmt(body.date_modified_gmt, 'date_modified_gmt')}#${bodyHash}`;
    }
    const kept: Record<string, string> = { 'x-wc-webhook-topic': topic, 'x-wc-webhook-delivery-id': deliveryId };
    for (const n of ['resource', 'event', 'id', 'source']) {
      const v = h(n);
      if (v) kept[`x-wc-webhook-${n}`] = v.slice(0, 200);
    }
    return { eventId, keptHeaders: kept, shape: topic };
  },

  parsePush(rawBody, verified) {
    const [resource, event = ''] = (verified.keptHeaders['x-wc-webhook-topic'] ?? '').split('.');
    // order.deleted carries only {id} (the order went to the trash): kept as a raw event, the order is not touched.
    if (resource !== 'order' || !orderEvents.has(event)) return [];
    const body = parseBody(rawBody);
    if (!isWooOrder(body)) fail('the body is not an order (id, status, currency, total and line_items are required)');
    return [normalizeWooOrder(body)];
  },

  successBody() {
    return null;
  },

  shipBack: shipBackWoo,
  trackingCorrection: 'Shipment Tracking: POST shipment-trackings with the new number, then DELETE shipment-trackings/{tracking_id} of the old one',
  pullListings: pullWooListings,
  setStock: setStockWoo,
  // WooCommerce's REST API has no limiter of its own: a host or firewall in front of the shop may have one (429). The
  // shop is the seller's own server, often shared hosting: assumed 5 requests/s, paced at 4 (80 %: room for the
  // network's jitter), evenly spaced.
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
  pullConfigured: (c) => Boolean(c.consumerKey && c.consumerSecret),
  pull: pullWoo,

  parsePulled(rawBody) {
    const body = parseBody(rawBody);
    if (!isWooOrder(body)) fail('the stored body is not an order (id, status, currency, total and line_items are required)');
    return [normalizeWooOrder(body)];
  },
};
