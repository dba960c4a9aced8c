// A Shopify store: REST Admin orders as Shopify writes them (amount strings with price_set twins, times with the
// shop's offset, financial/fulfillment status and cancelled_at consistent with the phase), webhooks signed as Shopify
// signs them (X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256 of the body with the app secret), and
// GET /admin/api/{version}/orders.json behind X-Shopify-Access-Token with Link-header cursor pages; the catalogue with
// its inventory levels per location, on REST and on POST graphql.json (shopify-inventory.ts). Written apart from the
// hub's adapter.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { PlatformSimulator, SimListing, SimOrder, SimPush, SimRequest, SimResponse, SimulatorFactory } from './types.ts';
import { ShopifyInventory } from './shopify-inventory.ts';

const apiVersion = '2025-10';
const shopZone = 'America/New_York';
const bucketSize = 40;

function decimals(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

function money(minor: number, currency: string): string {
  const d = decimals(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(d + 1, '0');
  return d === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -d)}.${abs.slice(-d)}`;
}

/** Shopify's amount with its `_set` twin (shop and presentment currency are the same here). */
function withSet(minor: number, currency: string) {
  const amount = money(minor, currency);
  return { amount, set: { shop_money: { amount, currency_code: currency }, presentment_money: { amount, currency_code: currency } } };
}

/** ISO 8601 in the shop's time zone with its offset, whole seconds: 2026-11-21T20:00:05-05:00. */
function shopTime(ms: number): string {
  const at = Math.floor(ms / 1000) * 1000;
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: shopZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  const wall = `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  const offsetMin = Math.round((Date.parse(`${wall}Z`) - at) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

const smallId = (s: string, mod: number) => (createHash('sha256').update(s).digest().readUInt32BE(0) % mod) + 1;

/** Spreads an order-level discount over the lines in proportion to what is left of each, never beyond it. */
function allocate(total: number, capacities: number[]): number[] {
  const sum = capacities.reduce((a, b) => a + b, 0);
  if (total <= 0 || sum <= 0) return capacities.map(() => 0);
  const shares = capacities.map((c) => Math.min(c, Math.floor((total * c) / sum)));
  let left = Math.min(total, sum) - shares.reduce((a, b) => a + b, 0);
  for (let i = shares.length - 1; left > 0; i = (i - 1 + shares.length) % shares.length) {
    if ((shares[i] ?? 0) < (capacities[i] ?? 0)) {
      shares[i] = (shares[i] ?? 0) + 1;
      left--;
    }
  }
  return shares;
}

interface Stored {
  body: Record<string, unknown>;
  id: number;
  createdSec: number;
  updatedSec: number;
  processedSec: number;
  cancelled: boolean;
  closed: boolean;
}

interface Cursor {
  status: string;
  updated_at_min?: number;
  updated_at_max?: number;
  created_at_min?: number;
  created_at_max?: number;
  order: string;
  last_id?: number;
  last_value?: number;
  direction: 'next' | 'prev';
}

const unauthorized: SimResponse = { status: 401, body: JSON.stringify({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' }) };

export const shopifySimulator: SimulatorFactory = ({ apiBase, seed = 'shopify' }) => {
  const base = apiBase.replace(/\/+$/, '');
  const derive = (what: string) => createHash('sha256').update(`shopify:${seed}:${what}`).digest('hex');
  const handle = `sim-${derive('shop').slice(0, 8)}`;
  const credentials = {
    shopDomain: `${handle}.myshopify.com`,
    apiSecret: `shpss_${derive('secret').slice(0, 32)}`,
    accessToken: `shpat_${derive('token').slice(0, 32)}`,
    apiBase: base,
  };
  const orders = new Map<number, Stored>();
  const paidBefore = new Set<number>();
  const phases = new Map<number, SimOrder['phase']>();
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttle = 0;
  let bucket = 0;

  const numericId = (id: string) => (/^\d{1,15}$/.test(id) ? Number(id) : 5_000_000_000_000 + smallId(id, 999_999_999));

  function statuses(o: SimOrder, id: number): { financial: string; fulfillment: string | null } {
    if (o.rawStatus) {
      const [financial = '', fulfillment = null] = o.rawStatus.split('/');
      return { financial, fulfillment: fulfillment === 'unfulfilled' ? null : fulfillment };
    }
    const shippedLike = o.phase === 'shipped' || o.phase === 'delivered' || o.phase === 'completed';
    if (o.phase === 'created') return { financial: 'pending', fulfillment: null };
    // A cancelled order that had been paid is refunded; one that never was has its payment voided.
    if (o.phase === 'cancelled') return { financial: paidBefore.has(id) ? 'refunded' : 'voided', fulfillment: null };
    return { financial: 'paid', fulfillment: shippedLike ? 'fulfilled' : null };
  }

  function build(o: SimOrder, id: number): Stored {
    const c = o.currency;
    const { financial, fulfillment } = statuses(o, id);
    const cancelled = o.phase === 'cancelled';
    const closed = cancelled || o.phase === 'completed';
    const orderDiscount = o.discountSeller + o.discountPlatform;
    const shares = allocate(
      orderDiscount,
      o.lines.map((l) => l.unitPrice * l.quantity - l.discount),
    );
    let lineId = id * 100;
    const lineItems = o.lines.map((l, i) => {
      const allocations = [
        ...(l.discount ? [{ ...withSet(l.discount, c), application: 0 }] : []),
        ...(shares[i] ? [{ ...withSet(shares[i] ?? 0, c), application: 1 }] : []),
      ].map((a) => ({ amount: a.amount, amount_set: a.set, discount_application_index: a.application }));
      const price = withSet(l.unitPrice, c);
      const discount = withSet(l.discount + (shares[i] ?? 0), c);
      const variant = smallId(l.sku, 9_999_999) + 40_000_000_000;
      return {
        id: ++lineId,
        admin_graphql_api_id: `gid://shopify/LineItem/${lineId}`,
        variant_id: variant,
        product_id: smallId(`p:${l.sku}`, 9_999_999) + 8_000_000_000,
        sku: l.sku,
        title: l.title,
        name: l.title,
        variant_title: null,
        vendor: 'Sim Goods',
        quantity: l.quantity,
        current_quantity: cancelled ? 0 : l.quantity,
        fulfillable_quantity: fulfillment === 'fulfilled' || cancelled ? 0 : l.quantity,
        fulfillment_status: fulfillment === 'fulfilled' ? 'fulfilled' : null,
        requires_shipping: true,
        taxable: true,
        gift_card: false,
        grams: 250,
        price: price.amount,
        price_set: price.set,
        total_discount: discount.amount,
        total_discount_set: discount.set,
        discount_allocations: allocations,
        tax_lines: [],
        duties: [],
        properties: [],
      };
    });
    const goods = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
    const discounts = o.lines.reduce((a, l) => a + l.discount, 0) + orderDiscount;
    const totalMinor = goods - discounts + o.shippingFee;
    const total = withSet(totalMinor, c);
    const subtotal = withSet(goods - discounts, c);
    const zero = withSet(0, c);
    const refunded = financial === 'refunded';
    const when = shopTime(o.updatedAt);
    const [first = '', ...rest] = o.receiver.name.split(' ');
    const address = {
      first_name: first,
      last_name: rest.join(' '),
      name: o.receiver.name,
      address1: o.receiver.address,
      address2: o.receiver.district,
      city: o.receiver.city,
      province: o.receiver.province,
      zip: '200000',
      country: 'China',
      country_code: 'CN',
      phone: o.receiver.phone,
      company: null,
    };
    const body: Record<string, unknown> = {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${1000 + (id % 100000)}`,
      order_number: 1000 + (id % 100000),
      email: `buyer${o.buyer.id}@example.com`,
      contact_email: `buyer${o.buyer.id}@example.com`,
      phone: null,
      created_at: shopTime(o.createdAt),
      updated_at: when,
      processed_at: shopTime(o.createdAt),
      cancelled_at: cancelled ? when : null,
      cancel_reason: cancelled ? 'customer' : null,
      closed_at: closed ? when : null,
      confirmed: true,
      test: false,
      currency: c,
      presentment_currency: c,
      financial_status: financial,
      fulfillment_status: fulfillment,
      taxes_included: false,
      tax_exempt: false,
      tax_lines: [],
      source_name: 'web',
      gateway: 'shopify_payments',
      payment_gateway_names: ['shopify_payments'],
      total_line_items_price: money(goods, c),
      total_line_items_price_set: withSet(goods, c).set,
      total_discounts: money(discounts, c),
      total_discounts_set: withSet(discounts, c).set,
      subtotal_price: subtotal.amount,
      subtotal_price_set: subtotal.set,
      total_shipping_price_set: withSet(o.shippingFee, c).set,
      total_tax: zero.amount,
      total_tax_set: zero.set,
      total_tip_received: zero.amount,
      total_price: total.amount,
      total_price_set: total.set,
      current_total_price: refunded ? zero.amount : total.amount,
      current_total_price_set: refunded ? zero.set : total.set,
      total_outstanding: financial === 'pending' ? total.amount : zero.amount,
      discount_codes: orderDiscount ? [{ code: 'WELCOME', amount: money(orderDiscount, c), type: 'fixed_amount' }] : [],
      discount_applications: [
        ...(o.lines.some((l) => l.discount) ? [{ target_type: 'line_item', type: 'manual', value_type: 'fixed_amount', allocation_method: 'each', target_selection: 'explicit', title: 'Line discount' }] : []),
        ...(orderDiscount ? [{ target_type: 'line_item', type: 'discount_code', code: 'WELCOME', value_type: 'fixed_amount', value: money(orderDiscount, c), allocation_method: 'across', target_selection: 'all' }] : []),
      ],
      customer: {
        id: /^\d{1,12}$/.test(o.buyer.id) ? Number(o.buyer.id) : smallId(o.buyer.id, 9_999_999) + 7_000_000_000,
        email: `buyer${o.buyer.id}@example.com`,
        first_name: o.buyer.name,
        last_name: '',
        phone: o.buyer.phone,
        state: 'enabled',
        currency: c,
      },
      billing_address: address,
      shipping_address: address,
      line_items: lineItems,
      shipping_lines: o.shippingFee
        ? [{ id: ++lineId, code: 'Standard', title: 'Standard', source: 'shopify', price: money(o.shippingFee, c), price_set: withSet(o.shippingFee, c).set, discounted_price: money(o.shippingFee, c), discount_allocations: [], tax_lines: [] }]
        : [],
      fulfillments:
        fulfillment === 'fulfilled'
          ? [{ id: id + 1, status: 'success', shipment_status: o.phase === 'shipped' ? 'in_transit' : 'delivered', tracking_company: 'SF Express', tracking_number: `SF${String(id).slice(-10)}`, created_at: when }]
          : [],
      refunds: refunded ? [{ id: id + 2, created_at: when, note: 'Order cancelled', transactions: [{ kind: 'refund', status: 'success', amount: total.amount, currency: c }], refund_line_items: [] }] : [],
      tags: '',
      note: null,
    };
    return {
      body,
      id,
      createdSec: Math.floor(o.createdAt / 1000),
      updatedSec: Math.floor(o.updatedAt / 1000),
      processedSec: Math.floor(o.createdAt / 1000),
      cancelled,
      closed,
    };
  }

  function webhook(topic: string, body: string): SimPush {
    return {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Shopify-Captain-Hook',
        'x-shopify-topic': topic,
        'x-shopify-hmac-sha256': createHmac('sha256', credentials.apiSecret).update(body, 'utf8').digest('base64'),
        'x-shopify-shop-domain': credentials.shopDomain,
        'x-shopify-api-version': apiVersion,
        'x-shopify-webhook-id': randomUUID(),
        'x-shopify-event-id': randomUUID(),
        'x-shopify-triggered-at': new Date().toISOString(),
      },
      body,
    };
  }

  function record(o: SimOrder): SimPush[] {
    const id = numericId(o.id);
    for (const l of o.lines) if (!catalogue.has(l.sku)) putListing(l.sku, { title: l.title });
    const previous = phases.get(id);
    const stored = build(o, id);
    orders.set(id, stored);
    phases.set(id, o.phase);
    if (o.phase !== 'created' && o.phase !== 'cancelled') paidBefore.add(id);
    const body = JSON.stringify(stored.body);
    if (previous === undefined) return [webhook('orders/create', body)];
    // One change, several subscriptions: the topic that names it, then orders/updated (each its own delivery).
    const specific =
      previous === o.phase
        ? null
        : o.phase === 'paid'
          ? 'orders/paid'
          : o.phase === 'cancelled'
            ? 'orders/cancelled'
            : o.phase === 'shipped' && previous !== 'delivered' && previous !== 'completed'
              ? 'orders/fulfilled'
              : null;
    return [...(specific ? [webhook(specific, body)] : []), webhook('orders/updated', body)];
  }

  const sortFields: Record<string, (s: Stored) => number> = {
    updated_at: (s) => s.updatedSec,
    created_at: (s) => s.createdSec,
    processed_at: (s) => s.processedSec,
    id: (s) => s.id,
  };

  function time(v: string | null): number | undefined | null {
    if (v === null) return undefined;
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? ms / 1000 : null;
  }

  function listOrders(req: SimRequest): SimResponse {
    const q = req.query;
    const limitRaw = q.get('limit');
    const limit = limitRaw === null ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) return { status: 400, body: JSON.stringify({ errors: { limit: 'must be between 1 and 250' } }) };
    let cursor: Cursor;
    const pageInfo = q.get('page_info');
    if (pageInfo !== null) {
      // A page_info request takes only limit and fields: its filters are inside the token.
      const extra = [...q.keys()].filter((k) => k !== 'page_info' && k !== 'limit' && k !== 'fields');
      if (extra.length) return { status: 400, body: JSON.stringify({ errors: { page_info: `cannot be combined with ${extra.join(', ')}` } }) };
      try {
        cursor = JSON.parse(Buffer.from(pageInfo, 'base64url').toString('utf8')) as Cursor;
        if (!sortFields[cursor.order.split(' ')[0] ?? '']) throw new Error('order');
      } catch {
        return { status: 400, body: JSON.stringify({ errors: { page_info: 'Invalid value.' } }) };
      }
    } else {
      const status = q.get('status') ?? 'open';
      if (!['open', 'closed', 'cancelled', 'any'].includes(status)) return { status: 400, body: JSON.stringify({ errors: { status: 'is invalid' } }) };
      const order = q.get('order') ?? 'id desc';
      const [field = '', dir = 'asc'] = order.split(' ');
      if (!sortFields[field] || !['asc', 'desc'].includes(dir)) return { status: 400, body: JSON.stringify({ errors: { order: 'is invalid' } }) };
      cursor = { status, order: `${field} ${dir}`, direction: 'next' };
      for (const name of ['updated_at_min', 'updated_at_max', 'created_at_min', 'created_at_max'] as const) {
        const t = time(q.get(name));
        if (t === null) return { status: 400, body: JSON.stringify({ errors: { [name]: 'is invalid' } }) };
        if (t !== undefined) cursor[name] = t;
      }
    }
    const [field = 'id', dir = 'desc'] = cursor.order.split(' ');
    const key = sortFields[field] ?? sortFields.id;
    const sign = dir === 'asc' ? 1 : -1;
    const cmp = (a: Stored, b: Stored) => sign * ((key?.(a) ?? 0) - (key?.(b) ?? 0) || a.id - b.id);
    const all = [...orders.values()]
      .filter(
        (s) =>
          (cursor.status === 'any' ||
            (cursor.status === 'open' && !s.cancelled && !s.closed) ||
            (cursor.status === 'closed' && s.closed) ||
            (cursor.status === 'cancelled' && s.cancelled)) &&
          (cursor.updated_at_min === undefined || s.updatedSec >= cursor.updated_at_min) &&
          (cursor.updated_at_max === undefined || s.updatedSec <= cursor.updated_at_max) &&
          (cursor.created_at_min === undefined || s.createdSec >= cursor.created_at_min) &&
          (cursor.created_at_max === undefined || s.createdSec <= cursor.created_at_max),
      )
      .sort(cmp);
    // Keyset pages: after (or before) the last row the previous page showed, in the same order.
    let page: Stored[];
    let hasBefore: boolean;
    let hasAfter: boolean;
    if (cursor.last_id === undefined) {
      page = all.slice(0, limit);
      hasBefore = false;
      hasAfter = all.length > limit;
    } else {
      const anchor = { id: cursor.last_id, updatedSec: cursor.last_value ?? 0, createdSec: cursor.last_value ?? 0, processedSec: cursor.last_value ?? 0 } as Stored;
      if (cursor.direction === 'next') {
        const after = all.filter((s) => cmp(s, anchor) > 0);
        page = after.slice(0, limit);
        hasAfter = after.length > limit;
        hasBefore = true;
      } else {
        const before = all.filter((s) => cmp(s, anchor) < 0);
        page = before.slice(Math.max(0, before.length - limit));
        hasBefore = before.length > limit;
        hasAfter = true;
      }
    }
    const token = (at: Stored | undefined, direction: 'next' | 'prev') =>
      at ? Buffer.from(JSON.stringify({ ...cursor, last_id: at.id, last_value: key?.(at), direction })).toString('base64url') : null;
    const links: string[] = [];
    const link = (t: string | null, rel: string) => {
      if (t) links.push(`<${base}/admin/api/${apiVersion}/orders.json?limit=${limit}&page_info=${t}>; rel="${rel}"`);
    };
    if (hasBefore) link(token(page[0], 'prev'), 'previous');
    if (hasAfter) link(token(page[page.length - 1], 'next'), 'next');
    bucket = Math.min(bucketSize, bucket + 1);
    return {
      status: 200,
      headers: {
        'x-shopify-api-version': apiVersion,
        'x-shopify-shop-api-call-limit': `${bucket}/${bucketSize}`,
        'x-request-id': randomUUID(),
        ...(links.length ? { link: links.join(', ') } : {}),
      },
      body: JSON.stringify({ orders: page.map((s) => s.body) }),
    };
  }

  // ── Fulfillment orders and fulfillments (what a ship-back reads and creates) ──

  interface SimFulfillment {
    id: number;
    order_id: number;
    location_id: number;
    status: string;
    tracking_company: string;
    tracking_number: string;
    tracking_numbers: string[];
    tracking_url: string | null;
    tracking_urls: string[];
    line_items: { id: number; quantity: number }[];
    created_at: string;
  }
  /** Every line ships from one location unless the test put its SKU elsewhere (a multi-location shop). */
  const locationOfSku = new Map<string, number>();
  const defaultLocation = 70_000_000_001;
  /** Locations and the available quantity of each inventory item at each (the primary location is the default one). */
  const inventory = new ShopifyInventory(defaultLocation);
  const fulfillmentsOf = new Map<number, SimFulfillment[]>();
  /** Units fulfilled per line item id. */
  const fulfilledUnits = new Map<number, number>();
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;

  // The shop's catalogue: one product per key (or per parent key, its variants grouped), ids derived from the keys as
  // the orders' line items derive theirs, so an order's variant is the listing's variant.
  interface CatalogueEntry extends SimListing {
    productKey: string;
    productTitle: string;
    variantTitle: string | null;
    inventoryItemId: number;
    /** Shopify tracks its stock (inventory_management "shopify"); its levels are in `inventory`. */
    tracked: boolean;
  }
  const catalogue = new Map<string, CatalogueEntry>();
  const productIdOf = (key: string) => smallId(`p:${key}`, 9_999_999) + 8_000_000_000;

  /** On offer: every location's available added (the variant's inventory_quantity); null when not tracked. */
  const quantityOf = (e: CatalogueEntry) => (e.tracked ? inventory.total(e.inventoryItemId) : null);
  const view = (e: CatalogueEntry): SimListing => ({ key: e.key, itemId: e.itemId, skuId: e.skuId, code: e.code, title: e.title, quantity: quantityOf(e), ...(e.location !== undefined ? { location: e.location } : {}) });

  function putListing(key: string, patch: { code?: string | null; title?: string; quantity?: number | null; parent?: string } = {}): SimListing {
    const was = catalogue.get(key);
    const productKey = patch.parent ?? was?.productKey ?? key;
    const inventoryItemId = smallId(`i:${key}`, 9_999_999) + 45_000_000_000;
    const location = locationOfSku.get(key) ?? was?.location ?? defaultLocation;
    // A quantity given is the level at the item's location (its other locations keep theirs); a new item has 100 there.
    if (patch.quantity !== undefined && patch.quantity !== null) inventory.stock(inventoryItemId, location, patch.quantity);
    else if (!was || inventory.available(inventoryItemId, location) === undefined) inventory.stock(inventoryItemId, location, patch.quantity === null ? 0 : 100);
    const entry: CatalogueEntry = {
      key,
      productKey,
      itemId: String(productIdOf(productKey)),
      skuId: String(smallId(key, 9_999_999) + 40_000_000_000),
      code: patch.code !== undefined ? patch.code : (was?.code ?? key),
      title: patch.title ?? was?.title ?? key,
      productTitle: patch.parent ? patch.parent : (patch.title ?? was?.productTitle ?? key),
      variantTitle: patch.parent ? (patch.title ?? key) : (was?.variantTitle ?? null),
      quantity: null,
      inventoryItemId,
      location,
      tracked: patch.quantity !== undefined ? patch.quantity !== null : (was?.tracked ?? true),
    };
    catalogue.set(key, entry);
    return view(entry);
  }

  function productsBody(req: SimRequest): SimResponse {
    const limitRaw = req.query.get('limit');
    const limit = limitRaw === null ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 250) return { status: 400, body: JSON.stringify({ errors: { limit: 'must be between 1 and 250' } }) };
    const since = Number(req.query.get('since_id') ?? '0');
    const byProduct = new Map<number, CatalogueEntry[]>();
    for (const e of catalogue.values()) byProduct.set(Number(e.itemId), [...(byProduct.get(Number(e.itemId)) ?? []), e]);
    const products = [...byProduct]
      .filter(([id]) => id > since)
      .sort((a, b) => a[0] - b[0])
      .slice(0, limit)
      .map(([id, entries]) => ({
        id,
        title: entries[0]?.productTitle ?? '',
        status: 'active',
        variants: entries.map((e, i) => ({
          id: Number(e.skuId),
          product_id: id,
          title: e.variantTitle ?? 'Default Title',
          sku: e.code ?? '',
          position: i + 1,
          inventory_item_id: e.inventoryItemId,
          inventory_quantity: quantityOf(e) ?? 0,
          inventory_management: e.tracked ? 'shopify' : null,
        })),
      }));
    const fields = req.query.get('fields');
    const shaped = fields ? products.map((p) => Object.fromEntries(fields.split(',').map((f) => [f.trim(), (p as Record<string, unknown>)[f.trim()]]))) : products;
    return { status: 200, body: JSON.stringify({ products: shaped }) };
  }

  function inventoryLevels(req: SimRequest): SimResponse {
    const ids = (req.query.get('inventory_item_ids') ?? '').split(',').filter(Boolean).map(Number);
    if (ids.length === 0) return { status: 422, body: JSON.stringify({ errors: { base: ['inventory_item_ids or location_ids is required'] } }) };
    if (ids.length > 50) return { status: 422, body: JSON.stringify({ errors: { inventory_item_ids: ['must have at most 50 ids'] } }) };
    // The item's own location first, as Shopify lists the level it was created with first.
    const levels = [...catalogue.values()]
      .filter((e) => ids.includes(e.inventoryItemId))
      .flatMap((e) =>
        [...inventory.levelsOf(e.inventoryItemId)]
          .sort((a, b) => (a[0] === e.location ? -1 : b[0] === e.location ? 1 : a[0] - b[0]))
          .map(([location, available]) => ({ inventory_item_id: e.inventoryItemId, location_id: location, available: e.tracked ? available : null, updated_at: shopTime(Date.now()) })),
      );
    return { status: 200, body: JSON.stringify({ inventory_levels: levels }) };
  }

  function setInventoryLevel(req: SimRequest): SimResponse {
    interface SetBody {
      location_id?: unknown;
      inventory_item_id?: unknown;
      available?: unknown;
    }
    let b: SetBody | null;
    try {
      b = JSON.parse(req.body.toString('utf8')) as SetBody | null;
    } catch {
      return { status: 400, body: JSON.stringify({ errors: { inventory_level: 'Required parameter missing or invalid' } }) };
    }
    if (!b || typeof b.location_id !== 'number' || typeof b.inventory_item_id !== 'number' || typeof b.available !== 'number' || !Number.isInteger(b.available)) {
      return { status: 422, body: JSON.stringify({ errors: { base: ['location_id, inventory_item_id and an integer available are required'] } }) };
    }
    const itemId = b.inventory_item_id;
    const entry = [...catalogue.values()].find((e) => e.inventoryItemId === itemId);
    if (!entry) return { status: 422, body: JSON.stringify({ errors: ['Inventory item does not exist'] }) };
    if (inventory.available(entry.inventoryItemId, b.location_id) === undefined) return { status: 422, body: JSON.stringify({ errors: ['Inventory item is not stocked at the location'] }) };
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return { status: f.status, body: JSON.stringify({ errors: [f.message ?? 'Refused'] }) };
    inventory.stock(entry.inventoryItemId, b.location_id, b.available);
    if (f) return { status: f.status, body: JSON.stringify({ errors: 'Internal Server Error' }) };
    return { status: 200, body: JSON.stringify({ inventory_level: { inventory_item_id: entry.inventoryItemId, location_id: b.location_id, available: b.available, updated_at: shopTime(Date.now()) } }) };
  }
  let nextFulfillmentId = 6_000_000_000;

  type LineItem = { id: number; sku: string; quantity: number; fulfillable_quantity: number; fulfillment_status: string | null };
  const lineItemsOf = (stored: Stored) => stored.body.line_items as LineItem[];

  function fulfillmentOrders(stored: Stored) {
    const byLocation = new Map<number, LineItem[]>();
    for (const l of lineItemsOf(stored)) {
      const at = locationOfSku.get(l.sku) ?? defaultLocation;
      byLocation.set(at, [...(byLocation.get(at) ?? []), l]);
    }
    return [...byLocation].map(([location, lines]) => {
      const left = lines.map((l) => (stored.cancelled ? 0 : l.quantity - (fulfilledUnits.get(l.id) ?? 0)));
      return {
        id: stored.id * 10 + (location % 10),
        order_id: stored.id,
        assigned_location_id: location,
        status: stored.cancelled ? 'closed' : left.every((n) => n === 0) ? 'closed' : 'open',
        request_status: 'unsubmitted',
        line_items: lines.map((l, i) => ({ id: l.id * 10 + 1, shop_id: 1, fulfillment_order_id: stored.id * 10 + (location % 10), line_item_id: l.id, quantity: l.quantity, fulfillable_quantity: left[i] ?? 0, variant_id: null })),
      };
    });
  }

  function readOrder(id: number, what: string, req: SimRequest): SimResponse {
    const stored = orders.get(id);
    if (!stored) return { status: 404, body: JSON.stringify({ errors: 'Not Found' }) };
    if (what === '/fulfillments.json') return { status: 200, body: JSON.stringify({ fulfillments: fulfillmentsOf.get(id) ?? [] }) };
    if (what === '/fulfillment_orders.json') return { status: 200, body: JSON.stringify({ fulfillment_orders: fulfillmentOrders(stored) }) };
    const fields = req.query.get('fields');
    const order = fields ? Object.fromEntries(fields.split(',').map((f) => [f.trim(), stored.body[f.trim()]])) : stored.body;
    return { status: 200, body: JSON.stringify({ order }) };
  }

  function createFulfillment(req: SimRequest): SimResponse {
    const unprocessable = (errors: unknown): SimResponse => ({ status: 422, body: JSON.stringify({ errors }) });
    let input: { line_items_by_fulfillment_order?: unknown; tracking_info?: { number?: unknown; company?: unknown; url?: unknown } } | undefined;
    try {
      input = (JSON.parse(req.body.toString('utf8')) as { fulfillment?: typeof input }).fulfillment;
    } catch {
      return { status: 400, body: JSON.stringify({ errors: { fulfillment: 'Required parameter missing or invalid' } }) };
    }
    if (!input || !Array.isArray(input.line_items_by_fulfillment_order) || input.line_items_by_fulfillment_order.length === 0) {
      return { status: 400, body: JSON.stringify({ errors: { fulfillment: 'Required parameter missing or invalid' } }) };
    }
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return { status: f.status, body: JSON.stringify({ errors: [f.message ?? 'Refused'] }) };
    // Check every line before changing anything: a fulfillment is made whole or not at all.
    const take: { stored: Stored; line: LineItem; quantity: number; location: number }[] = [];
    for (const group of input.line_items_by_fulfillment_order as { fulfillment_order_id?: unknown; fulfillment_order_line_items?: unknown }[]) {
      const foId = Number(group.fulfillment_order_id);
      const stored = orders.get(Math.floor(foId / 10));
      const fo = stored ? fulfillmentOrders(stored).find((x) => x.id === foId) : undefined;
      if (!stored || !fo) return unprocessable([`Fulfillment order ${String(group.fulfillment_order_id)} does not exist.`]);
      if (fo.status !== 'open') return unprocessable([`Fulfillment order ${foId} has an unfulfillable status= ${fo.status}.`]);
      const lines = Array.isArray(group.fulfillment_order_line_items) ? (group.fulfillment_order_line_items as { id?: unknown; quantity?: unknown }[]) : fo.line_items.map((l) => ({ id: l.id, quantity: l.fulfillable_quantity }));
      for (const l of lines) {
        const foLine = fo.line_items.find((x) => x.id === l.id);
        const quantity = Number(l.quantity);
        if (!foLine || !Number.isInteger(quantity) || quantity < 1 || quantity > foLine.fulfillable_quantity) return unprocessable([`Invalid fulfillment order line item quantity requested.`]);
        const line = lineItemsOf(stored).find((x) => x.id === foLine.line_item_id) as LineItem;
        take.push({ stored, line, quantity, location: fo.assigned_location_id });
      }
    }
    const locations = new Set(take.map((t) => t.location));
    const orderIds = new Set(take.map((t) => t.stored.id));
    if (locations.size !== 1 || orderIds.size !== 1) return unprocessable(['All fulfillment orders must belong to the same location.']);
    const stored = take[0]?.stored as Stored;
    const number = typeof input.tracking_info?.number === 'string' ? input.tracking_info.number : '';
    const url = typeof input.tracking_info?.url === 'string' ? input.tracking_info.url : null;
    const made: SimFulfillment = {
      id: ++nextFulfillmentId,
      order_id: stored.id,
      location_id: [...locations][0] ?? defaultLocation,
      status: 'success',
      tracking_company: typeof input.tracking_info?.company === 'string' ? input.tracking_info.company : '',
      tracking_number: number,
      tracking_numbers: number ? [number] : [],
      tracking_url: url,
      tracking_urls: url ? [url] : [],
      line_items: take.map((t) => ({ id: t.line.id, quantity: t.quantity })),
      created_at: shopTime(Date.now()),
    };
    for (const t of take) fulfilledUnits.set(t.line.id, (fulfilledUnits.get(t.line.id) ?? 0) + t.quantity);
    fulfillmentsOf.set(stored.id, [...(fulfillmentsOf.get(stored.id) ?? []), made]);
    // The order as the next pull shows it: its lines' fulfillable quantities, its fulfillment status, a newer updated_at.
    let all = true;
    for (const l of lineItemsOf(stored)) {
      const done = fulfilledUnits.get(l.id) ?? 0;
      l.fulfillable_quantity = Math.max(0, l.quantity - done);
      l.fulfillment_status = done >= l.quantity ? 'fulfilled' : done > 0 ? 'partial' : null;
      if (done < l.quantity) all = false;
    }
    stored.body.fulfillment_status = all ? 'fulfilled' : 'partial';
    stored.body.fulfillments = fulfillmentsOf.get(stored.id);
    stored.updatedSec = Math.max(Math.floor(Date.now() / 1000), stored.updatedSec + 1);
    stored.body.updated_at = shopTime(stored.updatedSec * 1000);
    if (f) return { status: f.status, body: JSON.stringify({ errors: 'Internal Server Error' }) };
    return { status: 201, body: JSON.stringify({ fulfillment: made }) };
  }

  /**
   * POST /fulfillments/{id}/update_tracking.json ({fulfillment: {tracking_info: {number, company, url}, notify_customer}}):
   * a fulfillment's tracking replaced, what the order and the next pull show (a newer updated_at). A cancelled
   * fulfillment cannot be updated.
   */
  function updateTracking(req: SimRequest, fulfillmentId: number): SimResponse {
    let input: { tracking_info?: { number?: unknown; company?: unknown; url?: unknown } } | undefined;
    try {
      input = (JSON.parse(req.body.toString('utf8')) as { fulfillment?: typeof input }).fulfillment;
    } catch {
      return { status: 400, body: JSON.stringify({ errors: { fulfillment: 'Required parameter missing or invalid' } }) };
    }
    const info = input?.tracking_info;
    if (!info || typeof info.number !== 'string' || !info.number) return { status: 400, body: JSON.stringify({ errors: { tracking_info: 'Required parameter missing or invalid' } }) };
    const stored = [...orders.values()].find((o) => (fulfillmentsOf.get(o.id) ?? []).some((f) => f.id === fulfillmentId));
    const made = stored ? (fulfillmentsOf.get(stored.id) ?? []).find((f) => f.id === fulfillmentId) : undefined;
    if (!stored || !made) return { status: 404, body: JSON.stringify({ errors: 'Not Found' }) };
    if (made.status === 'cancelled') return { status: 422, body: JSON.stringify({ errors: ['Cannot update tracking of a cancelled fulfillment.'] }) };
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return { status: f.status, body: JSON.stringify({ errors: [f.message ?? 'Refused'] }) };
    const url = typeof info.url === 'string' ? info.url : null;
    made.tracking_number = info.number;
    made.tracking_numbers = [info.number];
    if (typeof info.company === 'string') made.tracking_company = info.company;
    made.tracking_url = url;
    made.tracking_urls = url ? [url] : [];
    stored.body.fulfillments = fulfillmentsOf.get(stored.id);
    stored.updatedSec = Math.max(Math.floor(Date.now() / 1000), stored.updatedSec + 1);
    stored.body.updated_at = shopTime(stored.updatedSec * 1000);
    if (f) return { status: f.status, body: JSON.stringify({ errors: 'Internal Server Error' }) };
    return { status: 200, body: JSON.stringify({ fulfillment: made }) };
  }

  const sim: PlatformSimulator = {
    platform: 'shopify',
    credentials,
    record: (order) => record(order),
    handle(req) {
      stats.calls++;
      const rest = /^\/admin\/api\/(?:\d{4}-\d{2}|unstable)(\/.*)$/.exec(req.path)?.[1] ?? '';
      const ofOrder = /^\/orders\/(\d+)(\.json|\/fulfillments\.json|\/fulfillment_orders\.json)$/.exec(rest);
      const catalogueCall =
        ((rest === '/products.json' || rest === '/inventory_levels.json') && req.method === 'GET') || (rest === '/inventory_levels/set.json' && req.method === 'POST');
      const graphql = rest === '/graphql.json' && req.method === 'POST';
      const trackingUpdate = req.method === 'POST' ? /^\/fulfillments\/(\d+)\/update_tracking\.json$/.exec(rest) : null;
      const known = (rest === '/orders.json' && req.method === 'GET') || (ofOrder && req.method === 'GET') || (rest === '/fulfillments.json' && req.method === 'POST') || trackingUpdate || catalogueCall || graphql;
      if (!known) return { status: 404, body: JSON.stringify({ errors: 'Not Found' }) };
      const token = req.headers['x-shopify-access-token'];
      const given = Buffer.from(typeof token === 'string' ? token : '');
      const expected = Buffer.from(credentials.accessToken);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        stats.refusedSignature++;
        return unauthorized;
      }
      // GraphQL has its own limit, a bucket of query cost (answered as GraphQL answers it: 200 with THROTTLED).
      if (graphql) {
        const throttled = throttle > 0;
        if (throttled) {
          throttle--;
          stats.throttled++;
        }
        return inventory.graphql(req.body, throttled);
      }
      // The leaky bucket belongs to the app on this shop, so it is looked at once the token is known.
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        bucket = bucketSize;
        return {
          status: 429,
          headers: { 'retry-after': '2.0', 'x-shopify-shop-api-call-limit': `${bucketSize}/${bucketSize}` },
          body: JSON.stringify({ errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.' }),
        };
      }
      bucket = Math.max(0, bucket - 1);
      if (ofOrder) return readOrder(Number(ofOrder[1]), ofOrder[2] ?? '', req);
      if (rest === '/fulfillments.json') return createFulfillment(req);
      if (trackingUpdate) return updateTracking(req, Number(trackingUpdate[1]));
      if (rest === '/products.json') return productsBody(req);
      if (rest === '/inventory_levels.json') return inventoryLevels(req);
      if (rest === '/inventory_levels/set.json') return setInventoryLevel(req);
      return listOrders(req);
    },
    failNextWrite(f) {
      failWrite = f;
    },
    shipmentsOf(platformOrderId) {
      return (fulfillmentsOf.get(numericId(platformOrderId)) ?? []).map((f) => f.tracking_number);
    },
    placeSku(sku, location) {
      locationOfSku.set(sku, location);
      const e = catalogue.get(sku);
      if (e) {
        inventory.move(e.inventoryItemId, e.location ?? defaultLocation, location);
        e.location = location;
      }
    },
    listings: () => [...catalogue.values()].map(view),
    addLocation(id, name, active) {
      inventory.addLocation(id, name, active);
    },
    stockAt(key, location, quantity) {
      const e = catalogue.get(key);
      if (!e) throw new Error(`no listing ${key}`);
      inventory.stock(e.inventoryItemId, location, quantity);
    },
    levelsOf(key) {
      const e = catalogue.get(key);
      return e ? Object.fromEntries([...inventory.levelsOf(e.inventoryItemId)].map(([loc, q]) => [String(loc), q])) : {};
    },
    failNextStockWrite(f) {
      inventory.failNext = f;
    },
    stockWrites: () => [...inventory.writes],
    putListing,
    removeListing(key) {
      catalogue.delete(key);
    },
    throttleNext(n) {
      throttle += n;
    },
    stats,
  };
  return sim;
};
