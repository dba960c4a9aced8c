// A WooCommerce store: REST v3 order JSON as WooCommerce writes it (PHP json_encode escaping, decimal strings,
// local and _gmt times without offset), webhooks signed as WC_Webhook::generate_signature signs them, and
// GET /wp-json/wc/v3/orders checked as WC_REST_Authentication checks a plain-HTTP request (one-legged OAuth 1.0a,
// 15-minute timestamp window, nonces remembered). Written apart from the hub's adapter.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SimListing, SimOrder, SimPush, SimRequest, SimResponse, SimulatorFactory } from './types.ts';

const wcVersion = '9.8.5';
const wpVersion = '6.8.1';
/** The store's WordPress time zone: `date_created` etc. are in it, the `_gmt` twins in UTC. */
const storeZone = 'Asia/Shanghai';
const webhookIds = { 'order.created': 11, 'order.updated': 12, 'order.deleted': 13, 'order.restored': 14 } as const;
type Topic = keyof typeof webhookIds;

/** Statuses the REST `status=any` leaves out (WordPress's exclude_from_search post states). */
const hiddenFromAny = new Set(['trash', 'auto-draft']);

function decimals(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units as WooCommerce's decimal string ("12.50", "-3.00"). */
function money(minor: number, currency: string): string {
  const d = decimals(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(d + 1, '0');
  return d === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -d)}.${abs.slice(-d)}`;
}

/** PHP's json_encode without flags, as wp_json_encode sends it: "\/" for slashes, \uXXXX for anything not ASCII. */
function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function gmt(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

function local(ms: number): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: storeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(ms)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

/** Minutes the store zone is ahead of UTC at an instant. */
function zoneOffsetMs(ms: number): number {
  return Date.parse(`${local(ms)}Z`) - Math.floor(ms / 1000) * 1000;
}

/** PHP rawurlencode: every byte but A–Z a–z 0–9 - _ . ~ as %XX (upper case), over UTF-8. */
function rawurlencode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function rawurldecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const smallId = (s: string, mod: number) => (createHash('sha256').update(s).digest().readUInt32BE(0) % mod) + 1;

interface Stored {
  body: Record<string, unknown>;
  id: number;
  status: string;
  createdSec: number;
  modifiedSec: number;
}

interface OrderMemory {
  paidAt: number | null;
  completedAt: number | null;
  lastStatus: string;
}

function wooError(status: number, code: string, message: string, extra: Record<string, unknown> = {}): SimResponse {
  return { status, body: phpJson({ code, message, data: { status, ...extra } }) };
}

export const woocommerceSimulator: SimulatorFactory = ({ apiBase, seed = 'woocommerce' }) => {
  const base = apiBase.replace(/\/+$/, '');
  const derive = (what: string) => createHash('sha256').update(`woocommerce:${seed}:${what}`).digest('hex');
  const credentials = {
    storeUrl: base,
    apiBase: base,
    webhookSecret: `whsec-${derive('webhook').slice(0, 32)}`,
    consumerKey: `ck_${derive('ck').slice(0, 40)}`,
    consumerSecret: `cs_${derive('cs').slice(0, 40)}`,
  };
  // WordPress salts wp_hash() per site; the delivery id is wp_hash(webhook id . unix seconds).
  const salt = derive('salt');
  const orders = new Map<number, Stored>();
  const memory = new Map<number, OrderMemory>();
  const nonces = new Map<string, number>();
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;

  const numericId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : smallId(id, 9_000_000) + 1000);

  function statusOf(o: SimOrder): string {
    if (o.rawStatus) return o.rawStatus;
    // WooCommerce core has no "shipped": a shop marks the order completed when it sends the goods.
    return { created: 'pending', paid: 'processing', shipped: 'completed', delivered: 'completed', completed: 'completed', cancelled: 'cancelled' }[o.phase];
  }

  function build(o: SimOrder, id: number, status: string, mem: OrderMemory): Record<string, unknown> {
    const c = o.currency;
    const modified = Math.floor(o.updatedAt / 1000) * 1000;
    const created = Math.floor(o.createdAt / 1000) * 1000;
    let itemId = id * 10;
    const lineItems = o.lines.map((l) => {
      const subtotal = l.unitPrice * l.quantity;
      const total = subtotal - l.discount;
      return {
        id: ++itemId,
        name: l.title,
        product_id: smallId(l.sku, 90_000) + 10,
        variation_id: 0,
        quantity: l.quantity,
        tax_class: '',
        subtotal: money(subtotal, c),
        subtotal_tax: money(0, c),
        total: money(total, c),
        total_tax: money(0, c),
        taxes: [],
        meta_data: [],
        sku: l.sku,
        // WooCommerce's `price` is a PHP float: the line total over the quantity, however many decimals that takes.
        price: Number(money(total, c)) / l.quantity,
        image: { id: '', src: '' },
        parent_name: null,
      };
    });
    const lineDiscounts = o.lines.reduce((a, l) => a + l.discount, 0);
    // WooCommerce has no platform-borne discount: order-level discounts are negative fees the shop adds.
    const feeLines = [
      ...(o.discountSeller ? [{ name: 'Loyalty discount', amount: -o.discountSeller }] : []),
      ...(o.discountPlatform ? [{ name: 'Partner voucher', amount: -o.discountPlatform }] : []),
    ].map((f) => ({
      id: ++itemId,
      name: f.name,
      tax_class: '',
      tax_status: 'none',
      amount: money(f.amount, c),
      total: money(f.amount, c),
      total_tax: money(0, c),
      taxes: [],
      meta_data: [],
    }));
    const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
    const total = goods - lineDiscounts + o.shippingFee - o.discountSeller - o.discountPlatform;
    const addr = {
      last_name: '',
      company: '',
      address_1: o.receiver.address,
      address_2: o.receiver.district,
      city: o.receiver.city,
      state: o.receiver.province,
      postcode: '200000',
      country: 'CN',
    };
    const customerId = /^\d{1,9}$/.test(o.buyer.id) ? Number(o.buyer.id) : 0;
    return {
      id,
      parent_id: 0,
      status,
      currency: c,
      version: wcVersion,
      prices_include_tax: false,
      date_created: local(created),
      date_modified: local(modified),
      discount_total: money(lineDiscounts, c),
      discount_tax: money(0, c),
      shipping_total: money(o.shippingFee, c),
      shipping_tax: money(0, c),
      cart_tax: money(0, c),
      total: money(total, c),
      total_tax: money(0, c),
      customer_id: customerId,
      order_key: `wc_order_${derive(`key:${id}`).slice(0, 13)}`,
      billing: { first_name: o.buyer.name, ...addr, email: `buyer${o.buyer.id}@example.com`, phone: o.buyer.phone },
      shipping: { first_name: o.receiver.name, ...addr, phone: o.receiver.phone },
      payment_method: 'stripe',
      payment_method_title: 'Credit card (Stripe)',
      transaction_id: mem.paidAt ? `pi_${derive(`pi:${id}`).slice(0, 24)}` : '',
      customer_ip_address: '203.0.113.7',
      customer_user_agent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)',
      created_via: 'checkout',
      customer_note: '',
      date_completed: mem.completedAt ? local(mem.completedAt) : null,
      date_paid: mem.paidAt ? local(mem.paidAt) : null,
      cart_hash: derive(`cart:${id}`).slice(0, 32),
      number: String(id),
      meta_data: [{ id: id * 7, key: '_wc_order_attribution_source_type', value: 'typein' }],
      line_items: lineItems,
      tax_lines: [],
      shipping_lines: o.shippingFee
        ? [{ id: ++itemId, method_title: 'Flat rate', method_id: 'flat_rate', instance_id: '1', total: money(o.shippingFee, c), total_tax: money(0, c), taxes: [], meta_data: [] }]
        : [],
      fee_lines: feeLines,
      coupon_lines: lineDiscounts
        ? [{ id: ++itemId, code: 'welcome10', discount: money(lineDiscounts, c), discount_tax: money(0, c), meta_data: [], discount_type: 'fixed_cart', nominal_amount: lineDiscounts / 10 ** decimals(c), free_shipping: false }]
        : [],
      refunds: [],
      payment_url: `${base}/checkout/order-pay/${id}/?pay_for_order=true&key=wc_order_${derive(`key:${id}`).slice(0, 13)}`,
      is_editable: ['pending', 'on-hold', 'auto-draft'].includes(status),
      needs_payment: ['pending', 'failed'].includes(status),
      needs_processing: true,
      date_created_gmt: gmt(created),
      date_modified_gmt: gmt(modified),
      date_completed_gmt: mem.completedAt ? gmt(mem.completedAt) : null,
      date_paid_gmt: mem.paidAt ? gmt(mem.paidAt) : null,
      currency_symbol: c === 'CNY' ? '¥' : c === 'EUR' ? '€' : '$',
      _links: {
        self: [{ href: `${base}/wp-json/wc/v3/orders/${id}`, targetHints: { allow: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] } }],
        collection: [{ href: `${base}/wp-json/wc/v3/orders` }],
        ...(customerId ? { customer: [{ href: `${base}/wp-json/wc/v3/customers/${customerId}` }] } : {}),
      },
    };
  }

  function push(topic: Topic, body: string): SimPush {
    const [resource = '', event = ''] = topic.split('.');
    const webhookId = webhookIds[topic];
    return {
      headers: {
        'content-type': 'application/json',
        'user-agent': `WooCommerce/${wcVersion} Hookshot (WordPress/${wpVersion})`,
        'x-wc-webhook-source': `${base}/`,
        'x-wc-webhook-topic': topic,
        'x-wc-webhook-resource': resource,
        'x-wc-webhook-event': event,
        'x-wc-webhook-signature': createHmac('sha256', credentials.webhookSecret).update(body, 'utf8').digest('base64'),
        'x-wc-webhook-id': String(webhookId),
        'x-wc-webhook-delivery-id': createHmac('md5', salt).update(`${webhookId}${Math.floor(Date.now() / 1000)}`).digest('hex'),
      },
      body,
    };
  }

  function record(o: SimOrder): SimPush[] {
    const id = numericId(o.id);
    for (const l of o.lines) if (!catalogue.has(l.sku)) putListing(l.sku, { title: l.title });
    const status = statusOf(o);
    const before = memory.get(id);
    const mem: OrderMemory = before ?? { paidAt: null, completedAt: null, lastStatus: '' };
    const modified = Math.floor(o.updatedAt / 1000) * 1000;
    if (!mem.paidAt && ['processing', 'completed', 'on-hold', 'refunded'].includes(status) && o.phase !== 'created') mem.paidAt = modified;
    if (status === 'completed' && !mem.completedAt) mem.completedAt = modified;
    const body = build(o, id, status, mem);
    orders.set(id, { body, id, status, createdSec: Math.floor(o.createdAt / 1000), modifiedSec: modified / 1000 });
    const wasTrashed = mem.lastStatus === 'trash';
    mem.lastStatus = status;
    memory.set(id, mem);
    // Drafts are not delivered (WC_Webhook::is_valid_resource); trashing sends order.deleted with the id alone.
    if (status === 'draft' || status === 'auto-draft') return [];
    if (status === 'trash') return [push('order.deleted', phpJson({ id }))];
    const topic: Topic = !before ? 'order.created' : wasTrashed ? 'order.restored' : 'order.updated';
    return [push(topic, phpJson(body))];
  }

  /** WC_REST_Authentication::perform_oauth_authentication for a request that came over plain HTTP. */
  function authenticate(req: SimRequest): SimResponse | null {
    const params = new Map<string, string>();
    // PHP's $_GET: the last of repeated names wins.
    for (const [k, v] of req.query) params.set(k, v);
    const auth = typeof req.headers.authorization === 'string' ? req.headers.authorization.trim() : '';
    if (auth.startsWith('OAuth ')) {
      for (const m of auth.matchAll(/(oauth_[a-z_-]*)=(?:"([^"]*)"|([^,]*))/g)) params.set(m[1] ?? '', rawurldecode(m[2] || m[3] || ''));
    }
    const required = ['oauth_consumer_key', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method'];
    const missing = required.filter((n) => !params.get(n));
    // No OAuth at all (Basic credentials are ignored over plain HTTP): the request is anonymous.
    if (missing.length === required.length) return wooError(401, 'woocommerce_rest_cannot_view', 'Sorry, you cannot list resources.');
    if (missing.length) {
      return wooError(401, 'woocommerce_rest_authentication_missing_parameter', `Missing OAuth parameter${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
    if (params.get('oauth_consumer_key') !== credentials.consumerKey) return wooError(401, 'woocommerce_rest_authentication_error', 'Consumer key is invalid.');

    const given = rawurldecode((params.get('oauth_signature') ?? '').replace(/ /g, '+'));
    params.delete('oauth_signature');
    const keys = [...params.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const joined = keys.map((k) => rawurlencode(`${rawurlencode(k)}=${rawurlencode(params.get(k) ?? '')}`)).join('%26');
    const stringToSign = `${req.method.toUpperCase()}&${rawurlencode(`${base}${req.path}`)}&${joined}`;
    const method = params.get('oauth_signature_method');
    if (method !== 'HMAC-SHA1' && method !== 'HMAC-SHA256') {
      stats.refusedSignature++;
      return wooError(401, 'woocommerce_rest_authentication_error', 'Invalid signature - signature method is invalid.');
    }
    const expected = createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', `${credentials.consumerSecret}&`).update(stringToSign).digest('base64');
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      stats.refusedSignature++;
      return wooError(401, 'woocommerce_rest_authentication_error', 'Invalid signature - provided signature does not match.');
    }
    const now = Math.floor(Date.now() / 1000);
    const ts = Number(params.get('oauth_timestamp'));
    if (!(ts >= now - 900 && ts <= now + 900)) return wooError(401, 'woocommerce_rest_authentication_error', 'Invalid timestamp.');
    for (const [n, at] of nonces) if (at < now - 900) nonces.delete(n);
    const nonce = params.get('oauth_nonce') ?? '';
    if (nonces.has(nonce)) return wooError(401, 'woocommerce_rest_authentication_error', 'Invalid nonce - nonce has already been used.');
    nonces.set(nonce, ts);
    return null;
  }

  /** rest_parse_date's shape; without an offset the time is UTC (dates_are_gmt) or the store's local time. */
  function parseFilterDate(v: string, gmtDates: boolean): number | null {
    const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(v);
    if (!m) return null;
    const wall = `${m[1]}T${m[2]}`;
    if (m[3]) return Math.floor(Date.parse(`${wall}${m[3] === 'Z' ? 'Z' : m[3].length === 3 ? `${m[3]}:00` : m[3]}`) / 1000);
    const asUtc = Date.parse(`${wall}Z`);
    return Math.floor((gmtDates ? asUtc : asUtc - zoneOffsetMs(asUtc)) / 1000);
  }

  // ── Writes: the Shipment Tracking extension's items and an order's status (what a ship-back sends) ──

  interface TrackingItem {
    tracking_provider: string;
    custom_tracking_provider: string;
    custom_tracking_link: string;
    tracking_number: string;
    date_shipped: string;
    tracking_id: string;
  }
  const trackingOf = new Map<number, TrackingItem[]>();

  // The store's catalogue: a simple product per key, or a variation of a variable product (its parent key).
  interface CatalogueEntry extends SimListing {
    parentKey: string | null;
  }
  const catalogue = new Map<string, CatalogueEntry>();
  const productIdOf = (key: string) => smallId(`p:${key}`, 900_000) + 20_000;

  function putListing(key: string, patch: { code?: string | null; title?: string; quantity?: number | null; parent?: string } = {}): SimListing {
    const was = catalogue.get(key);
    const parentKey = patch.parent ?? was?.parentKey ?? null;
    const entry: CatalogueEntry = {
      key,
      parentKey,
      itemId: String(productIdOf(parentKey ?? key)),
      skuId: parentKey ? String(smallId(`v:${key}`, 900_000) + 1_000_000) : '',
      code: patch.code !== undefined ? patch.code : (was?.code ?? key),
      title: patch.title ?? was?.title ?? key,
      quantity: patch.quantity !== undefined ? patch.quantity : (was?.quantity ?? 100),
    };
    catalogue.set(key, entry);
    return { ...entry };
  }

  const stockFields = (e: CatalogueEntry) => ({
    sku: e.code ?? '',
    manage_stock: e.quantity !== null,
    stock_quantity: e.quantity,
    stock_status: e.quantity === null || e.quantity > 0 ? 'instock' : 'outofstock',
  });

  function paged<T>(req: SimRequest, all: T[]): SimResponse {
    const page = Number(req.query.get('page') ?? '1');
    const perPage = Number(req.query.get('per_page') ?? '10');
    if (!Number.isInteger(page) || page < 1) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): page', { params: { page: 'page must be greater than or equal to 1' } });
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): per_page', { params: { per_page: 'per_page must be between 1 (inclusive) and 100 (inclusive)' } });
    const slice = all.slice((page - 1) * perPage, page * perPage);
    return { status: 200, headers: { 'x-wp-total': String(all.length), 'x-wp-totalpages': String(Math.ceil(all.length / perPage)) }, body: phpJson(slice) };
  }

  function listProducts(req: SimRequest): SimResponse {
    const products = new Map<number, Record<string, unknown>>();
    for (const e of catalogue.values()) {
      const id = Number(e.itemId);
      if (e.parentKey) {
        const p = products.get(id) ?? { id, name: e.parentKey, type: 'variable', status: 'publish', sku: '', manage_stock: false, stock_quantity: null, variations: [] as number[] };
        (p.variations as number[]).push(Number(e.skuId));
        products.set(id, p);
      } else {
        products.set(id, { id, name: e.title, type: 'simple', status: 'publish', ...stockFields(e), variations: [] });
      }
    }
    return paged(req, [...products.values()].sort((a, b) => Number(a.id) - Number(b.id)));
  }

  function listVariations(req: SimRequest, productId: number): SimResponse {
    const vs = [...catalogue.values()].filter((e) => e.parentKey && Number(e.itemId) === productId);
    if (vs.length === 0) return wooError(404, 'woocommerce_rest_product_invalid_id', 'Invalid ID.');
    return paged(
      req,
      vs.map((e) => ({ id: Number(e.skuId), parent_id: productId, ...stockFields(e), attributes: [{ id: 0, name: 'Option', option: e.title }] })).sort((a, b) => a.id - b.id),
    );
  }

  function updateStock(req: SimRequest, productId: number, variationId: number | null): SimResponse {
    const e = [...catalogue.values()].find((x) => Number(x.itemId) === productId && (variationId === null ? !x.parentKey : Number(x.skuId) === variationId));
    if (!e) return wooError(404, variationId === null ? 'woocommerce_rest_product_invalid_id' : 'woocommerce_rest_product_variation_invalid_id', 'Invalid ID.');
    const b = jsonBody(req);
    const q = b?.stock_quantity;
    if (q !== undefined && (typeof q !== 'number' || !Number.isInteger(q))) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): stock_quantity', { params: { stock_quantity: 'stock_quantity is not of type integer.' } });
    return write(() => {
      if (typeof q === 'number' && (b?.manage_stock === true || e.quantity !== null)) e.quantity = q;
      const body = variationId === null ? { id: productId, name: e.title, type: 'simple', ...stockFields(e) } : { id: variationId, parent_id: productId, ...stockFields(e) };
      return { status: 200, body: phpJson(body) };
    });
  }
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;

  function jsonBody(req: SimRequest): Record<string, unknown> | null {
    try {
      const v: unknown = JSON.parse(req.body.toString('utf8'));
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** A change to a stored order: its modified time moves on, so the next pull by modified time sees it. */
  function touch(stored: Stored): void {
    const nowSec = Math.max(Math.floor(Date.now() / 1000), stored.modifiedSec + 1);
    stored.modifiedSec = nowSec;
    stored.body.date_modified_gmt = gmt(nowSec * 1000);
    stored.body.date_modified = local(nowSec * 1000);
  }

  /** Applies a write, or fails it as the test asked: refused before applying, or a 5xx after (the answer lost). */
  function write(apply: () => SimResponse): SimResponse {
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return wooError(f.status, f.code ?? 'woocommerce_rest_invalid', f.message ?? 'Refused.');
    const answer = apply();
    if (f) return { status: f.status, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return answer;
  }

  function trackingItems(req: SimRequest, id: number): SimResponse {
    const stored = orders.get(id);
    if (!stored) return wooError(404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
    const items = trackingOf.get(id) ?? [];
    if (req.method === 'GET') return { status: 200, body: phpJson(items) };
    const b = jsonBody(req);
    const number = typeof b?.tracking_number === 'string' ? b.tracking_number.trim() : '';
    const provider = typeof b?.tracking_provider === 'string' ? b.tracking_provider : '';
    const customProvider = typeof b?.custom_tracking_provider === 'string' ? b.custom_tracking_provider : '';
    const customLink = typeof b?.custom_tracking_link === 'string' ? b.custom_tracking_link : '';
    if (!number) return wooError(400, 'rest_missing_callback_param', 'Missing parameter(s): tracking_number', { params: ['tracking_number'] });
    // A custom provider needs both its name and its link (the extension documents both as required for it).
    if (!provider && (!customProvider || !customLink)) return wooError(400, 'rest_missing_callback_param', 'Missing parameter(s): tracking_provider or custom_tracking_provider and custom_tracking_link', { params: ['tracking_provider'] });
    const shipped = typeof b?.date_shipped === 'string' ? b.date_shipped : '';
    if (shipped && !/^\d{4}-\d{2}-\d{2}$/.test(shipped)) return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): date_shipped', { params: { date_shipped: 'date_shipped is not a date.' } });
    return write(() => {
      const item: TrackingItem = { tracking_provider: provider, custom_tracking_provider: provider ? '' : customProvider, custom_tracking_link: provider ? '' : customLink, tracking_number: number, date_shipped: shipped, tracking_id: derive(`trk:${id}:${items.length}:${number}`).slice(0, 32) };
      items.push(item);
      trackingOf.set(id, items);
      stored.body.meta_data = [...((stored.body.meta_data as unknown[]) ?? []).filter((m) => (m as { key?: string }).key !== '_wc_shipment_tracking_items'), { id: id * 7 + 1, key: '_wc_shipment_tracking_items', value: items }];
      touch(stored);
      return { status: 201, body: phpJson(item) };
    });
  }

  /** DELETE …/shipment-trackings/{tracking_id}: the item gone from the order (answered with the item, as the extension does). */
  function deleteTrackingItem(id: number, trackingId: string): SimResponse {
    const stored = orders.get(id);
    if (!stored) return wooError(404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
    const items = trackingOf.get(id) ?? [];
    const item = items.find((t) => t.tracking_id === trackingId);
    if (!item) return wooError(404, 'woocommerce_rest_order_invalid_id', 'Invalid tracking ID.');
    return write(() => {
      const left = items.filter((t) => t !== item);
      trackingOf.set(id, left);
      stored.body.meta_data = [...((stored.body.meta_data as unknown[]) ?? []).filter((m) => (m as { key?: string }).key !== '_wc_shipment_tracking_items'), { id: id * 7 + 1, key: '_wc_shipment_tracking_items', value: left }];
      touch(stored);
      return { status: 200, body: phpJson(item) };
    });
  }

  function updateOrder(req: SimRequest, id: number): SimResponse {
    const stored = orders.get(id);
    if (!stored) return wooError(404, 'woocommerce_rest_shop_order_invalid_id', 'Invalid ID.');
    const b = jsonBody(req);
    const status = b?.status;
    const known = ['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed'];
    if (status !== undefined && (typeof status !== 'string' || !known.includes(status))) {
      return wooError(400, 'rest_invalid_param', 'Invalid parameter(s): status', { params: { status: `status is not one of ${known.join(', ')}.` } });
    }
    return write(() => {
      if (typeof status === 'string' && status !== stored.status) {
        stored.status = status;
        stored.body.status = status;
        if (status === 'completed') {
          const at = Date.now();
          stored.body.date_completed = local(at);
          stored.body.date_completed_gmt = gmt(at);
        }
        touch(stored);
      }
      return { status: 200, body: phpJson(stored.body) };
    });
  }

  function listOrders(req: SimRequest): SimResponse {
    const q = req.query;
    const invalid: Record<string, string> = {};
    const int = (name: string, dflt: number, min: number, max: number) => {
      const raw = q.get(name);
      if (raw === null) return dflt;
      const n = Number(raw);
      if (!/^\d+$/.test(raw) || n < min || n > max) {
        invalid[name] = max === Infinity ? `${name} must be greater than or equal to ${min}` : `${name} must be between ${min} (inclusive) and ${max} (inclusive)`;
      }
      return n;
    };
    const perPage = int('per_page', 10, 1, 100);
    const page = int('page', 1, 1, Infinity);
    const gmtRaw = q.get('dates_are_gmt');
    if (gmtRaw !== null && !['true', 'false', '1', '0'].includes(gmtRaw)) invalid.dates_are_gmt = 'dates_are_gmt is not of type boolean.';
    const gmtDates = gmtRaw === 'true' || gmtRaw === '1';
    const bounds: Record<string, number | null> = {};
    for (const name of ['modified_after', 'modified_before', 'after', 'before']) {
      const raw = q.get(name);
      bounds[name] = raw === null ? null : parseFilterDate(raw, gmtDates);
      if (raw !== null && bounds[name] === null) invalid[name] = 'Invalid date.';
    }
    const orderby = q.get('orderby') ?? 'date';
    if (!['date', 'id', 'include', 'title', 'slug', 'modified'].includes(orderby)) invalid.orderby = 'orderby is not one of date, id, include, title, slug, and modified.';
    const order = q.get('order') ?? 'desc';
    if (!['asc', 'desc'].includes(order)) invalid.order = 'order is not one of asc and desc.';
    const statusFilter = q.get('status') ?? 'any';
    if (Object.keys(invalid).length) {
      return wooError(400, 'rest_invalid_param', `Invalid parameter(s): ${Object.keys(invalid).join(', ')}`, { params: invalid });
    }
    const { modified_after: mAfter, modified_before: mBefore, after, before } = bounds;
    const hits = [...orders.values()].filter(
      (o) =>
        (statusFilter === 'any' ? !hiddenFromAny.has(o.status) : statusFilter.split(',').includes(o.status)) &&
        (mAfter == null || o.modifiedSec > mAfter) &&
        (mBefore == null || o.modifiedSec < mBefore) &&
        (after == null || o.createdSec > after) &&
        (before == null || o.createdSec < before),
    );
    const key = (o: Stored) => (orderby === 'modified' ? o.modifiedSec : orderby === 'date' ? o.createdSec : o.id);
    const dir = order === 'asc' ? 1 : -1;
    // WooCommerce appends ID to date and modified orderings so pages stay stable.
    hits.sort((a, b) => dir * (key(a) - key(b) || a.id - b.id));
    const totalPages = Math.ceil(hits.length / perPage);
    const slice = hits.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {
      'x-wp-total': String(hits.length),
      'x-wp-totalpages': String(totalPages),
      allow: 'GET, POST',
    };
    const links: string[] = [];
    const pageUrl = (n: number) => {
      const p = new URLSearchParams(q);
      p.set('page', String(n));
      return `${base}${req.path}?${p.toString()}`;
    };
    if (page > 1) links.push(`<${pageUrl(Math.min(page - 1, Math.max(totalPages, 1)))}>; rel="prev"`);
    if (totalPages > page) links.push(`<${pageUrl(page + 1)}>; rel="next"`);
    if (links.length) headers.link = links.join(', ');
    return { status: 200, headers, body: phpJson(slice.map((o) => o.body)) };
  }

  return {
    platform: 'woocommerce',
    credentials,
    record: (order) => record(order),
    handle(req) {
      stats.calls++;
      // The limiter sits in front of WordPress (a host or firewall): it answers before WooCommerce looks at the request.
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return {
          status: 429,
          headers: { 'retry-after': '3' },
          body: phpJson({ code: 'rate_limit_exceeded', message: 'Too many requests. Please wait 3 seconds before trying again.', data: { status: 429 } }),
        };
      }
      const path = req.path.replace(/\/+$/, '');
      const tracking = /^\/wp-json\/wc-shipment-tracking\/v3\/orders\/(\d+)\/shipment-trackings$/.exec(path);
      const one = /^\/wp-json\/wc\/v3\/orders\/(\d+)$/.exec(path);
      if (tracking && (req.method === 'GET' || req.method === 'POST')) return authenticate(req) ?? trackingItems(req, Number(tracking[1]));
      const trackingItem = /^\/wp-json\/wc-shipment-tracking\/v3\/orders\/(\d+)\/shipment-trackings\/([A-Za-z0-9_-]+)$/.exec(path);
      if (trackingItem && req.method === 'DELETE') return authenticate(req) ?? deleteTrackingItem(Number(trackingItem[1]), trackingItem[2] ?? '');
      if (one && (req.method === 'PUT' || req.method === 'POST')) return authenticate(req) ?? updateOrder(req, Number(one[1]));
      const product = /^\/wp-json\/wc\/v3\/products\/(\d+)$/.exec(path);
      const variations = /^\/wp-json\/wc\/v3\/products\/(\d+)\/variations$/.exec(path);
      const variation = /^\/wp-json\/wc\/v3\/products\/(\d+)\/variations\/(\d+)$/.exec(path);
      if (path === '/wp-json/wc/v3/products' && req.method === 'GET') return authenticate(req) ?? listProducts(req);
      if (variations && req.method === 'GET') return authenticate(req) ?? listVariations(req, Number(variations[1]));
      if (product && (req.method === 'PUT' || req.method === 'POST')) return authenticate(req) ?? updateStock(req, Number(product[1]), null);
      if (variation && (req.method === 'PUT' || req.method === 'POST')) return authenticate(req) ?? updateStock(req, Number(variation[1]), Number(variation[2]));
      if (req.method !== 'GET' || path !== '/wp-json/wc/v3/orders') {
        return wooError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
      }
      return authenticate(req) ?? listOrders(req);
    },
    failNextWrite(f) {
      failWrite = f;
    },
    shipmentsOf(platformOrderId) {
      return (trackingOf.get(numericId(platformOrderId)) ?? []).map((t) => t.tracking_number);
    },
    listings: () => [...catalogue.values()].map((e) => ({ key: e.key, itemId: e.itemId, skuId: e.skuId, code: e.code, title: e.title, quantity: e.quantity })),
    putListing,
    removeListing(key) {
      catalogue.delete(key);
    },
    throttleNext(n) {
      throttle += n;
    },
    stats,
  };
};
