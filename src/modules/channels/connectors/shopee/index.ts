// Shopee Open Platform v2. Pushes: Authorization = hex(HMAC-SHA256(push key, callback URL + "|" + raw body)),
// answered 2xx with an empty body within 3 s. A push never carries a whole order (code 3 is {ordersn, status,
// update_time}), so pushes are kept as raw events and the order itself comes from the API: get_order_list (update_time
// window) → get_order_detail → get_escrow_detail_batch, the escrow giving who paid for which discount, to the cent.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import type { NormalizedOrder, OrderLineInput } from '../../../orders/domain/order.ts';
import { headerValue, meaningOf, PullError, type ChannelAdapter, type PullContext, type PulledOrder, apiBaseProblems } from '../types.ts';
import { shopeeStatusDictionary } from './status.ts';
import { pullShopeeListings } from './listings.ts';
import { setStockShopee } from './stock.ts';
import { shipBackShopee } from './ship-back.ts';
import { distinctNumbers } from '../tracking-numbers.ts';

export interface ShopeeCredentials {
  partnerId: string;
  /** The app's (Live API) partner key: signs API requests, and pushes of apps that have no separate push key. */
  partnerKey: string;
  shopId: string;
  /** The shop's access token (valid 4 hours; refreshed with the refresh token outside the adapter). */
  accessToken: string;
  /**
   * The console's Live Push Partner Key (Push Mechanism page), which signs pushes where the console has one. When set,
   * it alone verifies pushes: the API key does not, so that neither key can stand in for the other.
   */
  pushPartnerKey?: string;
  /** Replaces https://partner.shopeemobile.com (China: https://openplatform.shopee.cn, Brazil: https://openplatform.shopee.com.br). */
  apiBase?: string;
}

const defaultApiBase = 'https://partner.shopeemobile.com';
const label = 'Shopee';
const day = 86_400_000;

// ---------------------------------------------------------------------------------------------------------------
// Push

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max = 64): v is string => typeof v === 'string' && /^[\x21-\x7e]+$/.test(v) && v.length <= max;

function signedBy(key: string, url: string, rawBody: Buffer, given: Buffer): boolean {
  // The message is the URL, "|", then the body's bytes exactly as sent (never re-serialised).
  const expected = createHmac('sha256', key).update(`${url}|`, 'utf8').update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function parseJson(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new HubError('BODY_INVALID_JSON', 'body is not valid JSON');
  }
}

/**
 * One id per delivery, repeated by a redelivery: for an order status push the change itself (shop, order, status,
 * update_time), for a tracking number push the number, for anything else the body's digest.
 */
function pushEventId(b: Json, rawBody: Buffer): string {
  const shop = b.shop_id === undefined ? 'app' : String(b.shop_id);
  const d = isObject(b.data) ? b.data : {};
  if (b.code === 3) {
    if (!isText(d.ordersn) || !isText(d.status) || !isWhole(d.update_time)) {
      throw new HubError('EVENT_ID_MISSING', 'an order status push (code 3) needs data.ordersn, data.status and data.update_time');
    }
    return `${shop}:3:${d.ordersn}:${d.status}:${d.update_time}`;
  }
  if (b.code === 4) {
    if (!isText(d.ordersn) || !isText(d.tracking_no, 100)) throw new HubError('EVENT_ID_MISSING', 'a tracking number push (code 4) needs data.ordersn and data.tracking_no');
    const pkg = isText(d.package_number) ? d.package_number : d.forder_id !== undefined ? String(d.forder_id).slice(0, 64) : '';
    return `${shop}:4:${d.ordersn}:${pkg}:${d.tracking_no}`;
  }
  const code = isWhole(b.code) ? b.code : 'x';
  return `${shop}:${code}:${String(b.timestamp)}:${createHash('sha256').update(rawBody).digest('hex').slice(0, 32)}`;
}

/** What a push says about an order: enough for the hub to fetch that order now instead of at the next poll. */
export interface ShopeeOrderChange {
  /** 3 = order status push, 4 = tracking number push. */
  code: 3 | 4;
  shopId: string;
  platformOrderId: string;
  /** Code 3 only: the new raw status and when Shopee changed it (epoch ms). */
  platformStatus?: string;
  sourceUpdatedAt?: number;
}

/** The order a verified push is about, or null for a push about no order (authorisation, promotions …). */
export function shopeeOrderChange(rawBody: Buffer): ShopeeOrderChange | null {
  let b: unknown;
  try {
    b = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(b) || !isObject(b.data) || (b.code !== 3 && b.code !== 4) || !isText(b.data.ordersn)) return null;
  const change: ShopeeOrderChange = { code: b.code, shopId: b.shop_id === undefined ? '' : String(b.shop_id), platformOrderId: b.data.ordersn };
  if (b.code === 3 && isText(b.data.status) && isWhole(b.data.update_time)) {
    change.platformStatus = b.data.status;
    change.sourceUpdatedAt = b.data.update_time * 1000;
  }
  return change;
}

// ---------------------------------------------------------------------------------------------------------------
// The order as the API gives it

interface ShopeeAddress {
  name?: string;
  phone?: string;
  town?: string;
  district?: string;
  city?: string;
  state?: string;
  region?: string;
  zipcode?: string;
  full_address?: string;
}
interface ShopeeItemBase {
  item_id?: number;
  item_name?: string;
  item_sku?: string;
  model_id?: number;
  model_name?: string;
  model_sku?: string;
}
interface ShopeeDetailItem extends ShopeeItemBase {
  model_quantity_purchased?: number;
  model_original_price?: number | string;
  model_discounted_price?: number | string;
}
/** get_order_detail's order_list entry, with the optional fields the pull asks for. */
export interface ShopeeOrderDetail {
  order_sn: string;
  currency: string;
  order_status: string;
  create_time: number;
  update_time: number;
  cod?: boolean;
  pay_time?: number | null;
  total_amount?: number | string;
  buyer_user_id?: number | string;
  buyer_username?: string;
  recipient_address?: ShopeeAddress;
  item_list?: ShopeeDetailItem[];
  /** The order's packages (asked for in response_optional_fields): what a shipment is arranged for. */
  package_list?: { package_number?: string; logistics_status?: string }[];
}
interface ShopeeEscrowItem extends ShopeeItemBase {
  quantity_purchased?: number;
  /** Line subtotal before any promotion (price × quantity). */
  original_price?: number | string;
  /** Item promotion borne by the seller / by Shopee, for the whole line. */
  seller_discount?: number | string;
  shopee_discount?: number | string;
}
type Amount = number | string | undefined;
interface ShopeeOrderIncome {
  items?: ShopeeEscrowItem[];
  buyer_total_amount?: Amount;
  buyer_paid_shipping_fee?: Amount;
  voucher_from_seller?: Amount;
  voucher_from_shopee?: Amount;
  coins?: Amount;
  payment_promotion?: Amount;
  buyer_transaction_fee?: Amount;
  cross_border_tax?: Amount;
}
/** get_escrow_detail's response (one entry's escrow_detail in the batch call). */
export interface ShopeeEscrowDetail {
  order_sn: string;
  order_income?: ShopeeOrderIncome;
}

function fail(sn: string, message: string): never {
  throw new HubError('VALIDATION_FAILED', `Shopee order ${sn}: ${message}`);
}

const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The seller's SKU for a line: the model's, else the item's when it has no models, else Shopee's own ids. */
function lineSku(i: ShopeeItemBase): string {
  const modelId = i.model_id ?? 0;
  return trimmed(i.model_sku) || (modelId === 0 ? trimmed(i.item_sku) : '') || `${i.item_id ?? '?'}:${modelId}`;
}

const lineTitle = (i: ShopeeItemBase) => [trimmed(i.item_name), trimmed(i.model_name)].filter(Boolean).join(' · ') || lineSku(i);

function quantity(sn: string, q: unknown, field: string): number {
  return typeof q === 'number' && Number.isSafeInteger(q) && q > 0 ? q : fail(sn, `${field} must be a positive integer`);
}

/** Shopee masks receiver data in some markets (TW "****", partially elsewhere): kept as given, marked. */
const masked = (a: ShopeeAddress) => [a.name, a.phone, a.full_address].some((v) => typeof v === 'string' && /\*{3,}/.test(v));

/**
 * One Shopee order as the hub's order. With the escrow detail (any order past payment), the parts are Shopee's own:
 * line subtotals before promotions, seller item promotions as line discounts, Shopee item promotions + Shopee
 * vouchers + coins + payment promotions as platform discounts, seller vouchers as seller discounts, the shipping the
 * buyer paid, buyer transaction fee and cross-border tax on top; they must add up to buyer_total_amount (what the
 * buyer paid at checkout), else the hub holds the order. Without it (unpaid orders) only the lines are known: list
 * price and item promotion, no shipping, and no total to check against.
 */
export function normalizeShopeeOrder(d: ShopeeOrderDetail, escrow: ShopeeEscrowDetail | null, trackingNos: readonly string[] = []): NormalizedOrder {
  const sn = d.order_sn;
  const c = d.currency;
  const minor = (v: Amount, field: string, required = false): number => {
    if (v === undefined || v === null) return required ? fail(sn, `${field} is missing`) : 0;
    return decimalToMinor(v, c, `Shopee order ${sn} ${field}`);
  };
  const meaning = meaningOf(shopeeStatusDictionary, d.order_status, label);
  const income = escrow?.order_income;
  let lines: OrderLineInput[];
  let shippingFee = 0;
  let discountPlatform = 0;
  let discountSeller = 0;
  let tax = 0;
  let platformTotal: number | undefined;
  if (income) {
    if (!Array.isArray(income.items) || income.items.length === 0) fail(sn, 'escrow order_income.items is empty');
    lines = income.items.map((it, i) => {
      const f = `order_income.items[${i}]`;
      const qty = quantity(sn, it.quantity_purchased, `${f}.quantity_purchased`);
      const subtotal = minor(it.original_price, `${f}.original_price`, true);
      // A subtotal that does not split evenly: round the unit price up and put the difference in the discount.
      const unitPrice = Math.ceil(subtotal / qty);
      discountPlatform += minor(it.shopee_discount, `${f}.shopee_discount`);
      return { sku: lineSku(it), title: lineTitle(it), quantity: qty, unitPrice, discount: unitPrice * qty - subtotal + minor(it.seller_discount, `${f}.seller_discount`) };
    });
    shippingFee = minor(income.buyer_paid_shipping_fee, 'buyer_paid_shipping_fee');
    // Coins and payment promotions reduce what the buyer pays and are not taken from the seller's escrow.
    discountPlatform += minor(income.voucher_from_shopee, 'voucher_from_shopee') + minor(income.coins, 'coins') + minor(income.payment_promotion, 'payment_promotion');
    discountSeller = minor(income.voucher_from_seller, 'voucher_from_seller');
    // Charged to the buyer on top of the goods, like a tax.
    tax = minor(income.buyer_transaction_fee, 'buyer_transaction_fee') + minor(income.cross_border_tax, 'cross_border_tax');
    platformTotal = minor(income.buyer_total_amount, 'buyer_total_amount', true);
  } else {
    if (!Array.isArray(d.item_list) || d.item_list.length === 0) fail(sn, 'item_list is empty (ask for it in response_optional_fields)');
    lines = d.item_list.map((it, i) => {
      const f = `item_list[${i}]`;
      const qty = quantity(sn, it.model_quantity_purchased, `${f}.model_quantity_purchased`);
      const unitPrice = minor(it.model_original_price, `${f}.model_original_price`, true);
      // 0 for a bundle deal (Shopee does not split it per item): no item discount known then.
      const discounted = minor(it.model_discounted_price, `${f}.model_discounted_price`);
      return { sku: lineSku(it), title: lineTitle(it), quantity: qty, unitPrice, discount: discounted > 0 && discounted < unitPrice ? (unitPrice - discounted) * qty : 0 };
    });
  }
  // pay_time is when the order went from UNPAID to paid; a cancelled order's money went back.
  const paid = typeof d.pay_time === 'number' && d.pay_time > 0 && d.order_status !== 'CANCELLED';
  const paidAmount = !paid ? 0 : platformTotal ?? minor(d.total_amount, 'total_amount');
  const a = d.recipient_address ?? {};
  return {
    platformOrderId: sn,
    status: meaning.status,
    hold: meaning.hold,
    platformStatus: d.order_status,
    platformTotal,
    receiverProtection: masked(a) ? 'masked' : undefined,
    // The numbers Shopee holds for the order's packages: a ship-back is confirmed when its number shows here.
    platformTrackingNos: trackingNos.length ? distinctNumbers(trackingNos) : undefined,
    platformCreatedAt: d.create_time * 1000,
    sourceUpdatedAt: d.update_time * 1000,
    currency: c,
    buyer: { id: d.buyer_user_id !== undefined ? String(d.buyer_user_id) : undefined, name: trimmed(d.buyer_username) || undefined },
    receiver: {
      name: trimmed(a.name) || '-',
      phone: trimmed(a.phone),
      province: trimmed(a.state),
      city: trimmed(a.city),
      district: trimmed(a.district) || trimmed(a.town),
      address: trimmed(a.full_address) || [a.town, a.district, a.city, a.state, a.zipcode].map(trimmed).filter(Boolean).join(', ') || '-',
    },
    lines,
    shippingFee,
    discountPlatform,
    discountSeller,
    tax,
    paidAmount,
  };
}

function checkDetail(o: unknown): ShopeeOrderDetail {
  const x = o as Partial<ShopeeOrderDetail> | null;
  if (!isObject(x) || !isText(x.order_sn) || !isText(x.currency, 3) || typeof x.order_status !== 'string' || !isWhole(x.create_time) || !isWhole(x.update_time)) {
    throw new PullError('VALIDATION_FAILED', `get_order_detail returned an order without order_sn, currency, order_status, create_time or update_time: ${JSON.stringify(o).slice(0, 200)}`);
  }
  return x as ShopeeOrderDetail;
}

// ---------------------------------------------------------------------------------------------------------------
// API calls

/** What a call to the API needs: a pull's context without its window. */
export type ShopeeApiContext = Pick<PullContext<ShopeeCredentials>, 'credentials' | 'fetch' | 'now' | 'signal'>;

/** Errors that mean the credentials (key, token, shop link) are wrong: retrying will not help. */
const authErrors = new Set([
  'error_auth',
  'error_sign',
  'invalid_access_token',
  'invalid_acceess_token',
  'invalid_partner_id',
  'partner_shop_no_link',
  'shop_no_linked',
  'error_partner_key_expired',
]);

/** Milliseconds until the next 00:00 UTC+8, when Shopee resets an app's daily call quota. */
function untilQuotaReset(now: number): number {
  const h8 = 8 * 3_600_000;
  return day - ((now + h8) % day);
}

/** Shop-level API signature: hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id). */
export function apiSign(c: ShopeeCredentials, path: string, timestamp: number): string {
  return createHmac('sha256', c.partnerKey).update(`${c.partnerId}${path}${timestamp}${c.accessToken}${c.shopId}`, 'utf8').digest('hex');
}

async function call(ctx: ShopeeApiContext, path: string, params: Record<string, string>, body?: unknown): Promise<Json> {
  const c = ctx.credentials;
  const timestamp = Math.floor(ctx.now() / 1000);
  const query = new URLSearchParams({ partner_id: c.partnerId, timestamp: String(timestamp), access_token: c.accessToken, shop_id: c.shopId, sign: apiSign(c, path, timestamp), ...params });
  const url = `${(c.apiBase || defaultApiBase).replace(/\/+$/, '')}${path}?${query.toString()}`;
  let res: Response;
  try {
    res = await ctx.fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (e) {
    throw new PullError('NETWORK', `Shopee ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const error = isObject(json) && typeof json.error === 'string' ? json.error : '';
  const message = isObject(json) && typeof json.message === 'string' ? json.message : text.slice(0, 200);
  // Codes may come namespaced ("common.error_auth"); the bare name decides.
  const bare = error.replace(/^common\./, '');
  if (res.status === 429 || bare === 'error_rate_limit') {
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new PullError(error || 'HTTP_429', `Shopee ${path}: ${message || 'rate limited'}`, { rateLimited: true, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : 60_000 });
  }
  if (bare === 'error_limit') throw new PullError(error, `Shopee ${path}: ${message}`, { rateLimited: true, retryAfterMs: untilQuotaReset(ctx.now()) });
  if (error) throw new PullError(error, `Shopee ${path}: ${message}`, authErrors.has(bare) ? { authFailed: true } : {});
  if (!res.ok) throw new PullError(`HTTP_${res.status}`, `Shopee ${path}: ${message}`, res.status === 401 || res.status === 403 ? { authFailed: true } : {});
  if (!isObject(json)) throw new PullError(`HTTP_${res.status}`, `Shopee ${path}: the answer is not a JSON object`);
  return json;
}

const detailFields = ['buyer_user_id', 'buyer_username', 'recipient_address', 'item_list', 'pay_time', 'total_amount', 'shipping_carrier', 'payment_method', 'package_list'].join(',');

/** Order statuses whose packages have a shipment arranged, and so a tracking number to read for the ship-back's loop. */
const arrangedStatuses = new Set(['PROCESSED', 'RETRY_SHIP', 'SHIPPED', 'TO_CONFIRM_RECEIVE']);

/**
 * The tracking numbers of the arranged packages among these orders, by package number: get_mass_tracking_number, 50
 * packages a call (no call per order). Best effort: a package without a number yet is left out, and a failure other
 * than a rate limit leaves every number out (the order is still pulled; the ship-back waits for a later pull).
 */
async function trackingNumbers(ctx: ShopeeApiContext, details: readonly ShopeeOrderDetail[]): Promise<Map<string, string>> {
  const packages = details.filter((d) => arrangedStatuses.has(d.order_status)).flatMap((d) => (d.package_list ?? []).map((p) => p.package_number).filter((n): n is string => isText(n)));
  const out = new Map<string, string>();
  for (const part of chunks([...new Set(packages)], 50)) {
    try {
      const r = await call(ctx, '/api/v2/logistics/get_mass_tracking_number', {}, { package_list: part.map((package_number) => ({ package_number })) });
      const ok = isObject(r.response) && Array.isArray(r.response.success_list) ? (r.response.success_list as unknown[]) : [];
      for (const x of ok) if (isObject(x) && isText(x.package_number) && typeof x.tracking_number === 'string' && x.tracking_number.trim()) out.set(x.package_number, x.tracking_number.trim());
    } catch (e) {
      if (e instanceof PullError && e.opts.rateLimited) throw e;
      return new Map();
    }
  }
  return out;
}
const chunks = <T>(xs: readonly T[], n: number): T[][] => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** Whether Shopee has money to account for: past UNPAID, and not an order cancelled before it was ever paid. */
const hasEscrow = (d: ShopeeOrderDetail) => d.order_status !== 'UNPAID' && (d.order_status !== 'CANCELLED' || Boolean(d.pay_time) || d.cod === true);

/**
 * These orders as they are now, each with its escrow detail: what a pull yields for them. Exported so that the hub
 * can fetch the order a status push names at once instead of waiting for the next poll.
 */
export async function fetchShopeeOrders(ctx: ShopeeApiContext, orderSns: readonly string[]): Promise<PulledOrder[]> {
  const details: ShopeeOrderDetail[] = [];
  for (const part of chunks([...new Set(orderSns)], 50)) {
    const r = await call(ctx, '/api/v2/order/get_order_detail', { order_sn_list: part.join(','), response_optional_fields: detailFields });
    const list = isObject(r.response) ? r.response.order_list : undefined;
    if (!Array.isArray(list)) throw new PullError('VALIDATION_FAILED', 'get_order_detail: response.order_list is missing');
    details.push(...list.map(checkDetail));
  }
  const escrows = new Map<string, { raw: unknown; detail: ShopeeEscrowDetail }>();
  // Shopee recommends at most 20 orders per batch call.
  for (const part of chunks(details.filter(hasEscrow).map((d) => d.order_sn), 20)) {
    const r = await call(ctx, '/api/v2/payment/get_escrow_detail_batch', {}, { order_sn_list: part });
    if (!Array.isArray(r.response)) throw new PullError('VALIDATION_FAILED', 'get_escrow_detail_batch: response is not a list');
    for (const entry of r.response as unknown[]) {
      // An order Shopee has no escrow for comes back with fail_error: its lines still come from the detail.
      const e = isObject(entry) && !entry.fail_error && isObject(entry.escrow_detail) ? entry.escrow_detail : undefined;
      if (e && isText(e.order_sn) && isObject(e.order_income)) escrows.set(e.order_sn, { raw: e, detail: e as unknown as ShopeeEscrowDetail });
    }
  }
  const tracking = await trackingNumbers(ctx, details);
  return details.map((d) => {
    const escrow = escrows.get(d.order_sn);
    const numbers = (d.package_list ?? []).flatMap((p) => (isText(p.package_number) && tracking.has(p.package_number) ? [tracking.get(p.package_number) as string] : []));
    let order: NormalizedOrder;
    try {
      order = normalizeShopeeOrder(d, escrow?.detail ?? null, numbers);
    } catch (e) {
      if (e instanceof HubError) throw new PullError(e.code, e.message);
      throw e;
    }
    return {
      // A number Shopee gives after the order last changed is a new version of what the hub saw (update_time may not move).
      eventId: `${d.order_sn}@${order.sourceUpdatedAt}${numbers.length ? `+${numbers.join(',')}` : ''}`,
      // Both answers for this one order, as fetched: the detail and the escrow that the amounts come from.
      rawBody: Buffer.from(JSON.stringify({ order_detail: d, escrow_detail: escrow?.raw ?? null, ...(numbers.length ? { tracking_numbers: numbers } : {}) }), 'utf8'),
      order,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The adapter

const digits = (v: unknown, max: number) => (typeof v === 'string' && new RegExp(`^[1-9][0-9]{0,${max - 1}}$`).test(v)) || false;

export const shopee: ChannelAdapter<ShopeeCredentials> = {
  platform: 'shopee',
  label,
  statusDictionary: shopeeStatusDictionary,
  credentialFields: [
    { name: 'partnerId', label: 'Partner ID', hint: 'the app’s partner_id' },
    { name: 'partnerKey', label: 'Live API partner key', secret: true, hint: 'signs API calls' },
    { name: 'shopId', label: 'Shop ID', hint: 'the authorised shop’s shop_id' },
    { name: 'accessToken', label: 'Access token', secret: true, hint: 'the shop’s access_token (valid 4 hours)' },
    { name: 'pushPartnerKey', label: 'Live push partner key', secret: true, optional: true, hint: 'Push Mechanism page; without it the API partner key must sign pushes' },
    { name: 'apiBase', label: 'API base URL', optional: true, hint: `default ${defaultApiBase}` },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof ShopeeCredentials, unknown>> | null;
    const problems: string[] = [];
    if (!digits(x?.partnerId, 10)) problems.push('credentials.partnerId must be the partner_id (digits)');
    if (typeof x?.partnerKey !== 'string' || x.partnerKey.length < 16) problems.push('credentials.partnerKey must be the partner key (16 characters or more)');
    if (!digits(x?.shopId, 12)) problems.push('credentials.shopId must be the shop_id (digits)');
    if (typeof x?.accessToken !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(x.accessToken)) problems.push('credentials.accessToken must be the shop’s access_token');
    if (x?.pushPartnerKey !== undefined && (typeof x.pushPartnerKey !== 'string' || x.pushPartnerKey.length < 16)) problems.push('credentials.pushPartnerKey must be a key of 16 characters or more');
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  pushDescription:
    'Shopee push (code 3 order status, 4 tracking number, others kept as raw events): Authorization = ' +
    'hex(HMAC-SHA256(live push partner key, or the partner key where the app has none, callback URL + "|" + raw body)) where the callback URL is this URL exactly as registered (no query string); ' +
    'the body timestamp must be within the tolerance; shop_id must be this account’s shop; answered 200 with an empty body. ' +
    'A push carries no whole order: the order is fetched from the API (at once by the hub, or by the next poll).',

  verifyPush(req, c, toleranceSeconds) {
    // The console checks a new callback URL with an empty POST: answered, nothing stored.
    if (req.rawBody.toString('utf8').trim() === '') return { eventId: 'ping', keptHeaders: {}, ping: true };
    const auth = headerValue(req.headers.authorization)?.trim();
    if (!auth) throw new HubError('SIGNATURE_MISSING', 'Authorization header is required');
    const given = /^[0-9a-fA-F]{64}$/.test(auth) ? Buffer.from(auth, 'hex') : Buffer.alloc(0);
    if (!signedBy(c.pushPartnerKey || c.partnerKey, req.url, req.rawBody, given)) {
      throw new HubError('SIGNATURE_INVALID', 'Authorization does not match the callback URL and the body');
    }
    const b = parseJson(req.rawBody);
    if (!isObject(b)) throw new HubError('VALIDATION_FAILED', 'a Shopee push is a JSON object');
    // The timestamp is inside the signed body: a replay of an old push is refused.
    if (!isWhole(b.timestamp) || b.timestamp === 0) throw new HubError('TIMESTAMP_INVALID', 'timestamp must be unix seconds');
    if (Math.abs(req.now - b.timestamp * 1000) > toleranceSeconds * 1000) {
      throw new HubError('TIMESTAMP_OUT_OF_WINDOW', `timestamp ${b.timestamp} is more than ${toleranceSeconds} s from now`);
    }
    // One key signs for every shop of the app: a push for another shop is not this account's.
    if (b.shop_id !== undefined && String(b.shop_id) !== c.shopId) {
      throw new HubError('SIGNATURE_INVALID', `the push is for shop ${String(b.shop_id)}, but this account is shop ${c.shopId}`);
    }
    const keptHeaders: Record<string, string> = {};
    for (const n of ['content-type', 'user-agent']) {
      const v = headerValue(req.headers[n]);
      if (v) keptHeaders[n] = v.slice(0, 200);
    }
    return { eventId: pushEventId(b, req.rawBody), keptHeaders, shape: `code:${isWhole(b.code) ? b.code : 'none'}` };
  },

  /**
   * No push yields an order: the status push names an order and its new status but has no lines, amounts or
   * receiver, and the hub's order is the whole order. The push is kept as a raw event; `shopeeOrderChange` tells the
   * hub which order changed so that it can fetch it (`fetchShopeeOrders`), and the poller finds it anyway.
   */
  parsePush() {
    return [];
  },

  announcedOrders(rawBody) {
    const c = shopeeOrderChange(rawBody);
    return c ? { ids: [c.platformOrderId], at: c.sourceUpdatedAt } : null;
  },

  fetchOrders(ctx, ids) {
    return fetchShopeeOrders(ctx, ids);
  },

  successBody() {
    return null;
  },

  /** A stored pulled order read again (replay after a mapping fix). */
  parsePulled(rawBody) {
    let o: unknown;
    try {
      o = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    const x = o as { order_detail?: unknown; escrow_detail?: unknown; tracking_numbers?: unknown } | null;
    const escrow = x?.escrow_detail ? (x.escrow_detail as ShopeeEscrowDetail) : null;
    const numbers = Array.isArray(x?.tracking_numbers) ? x.tracking_numbers.filter((n): n is string => typeof n === 'string') : [];
    return [normalizeShopeeOrder(checkDetail(x?.order_detail), escrow, numbers)];
  },

  pullDescription:
    'GET /api/v2/order/get_order_list (time_range_field=update_time, page_size 100, cursor), then get_order_detail (50 at a time), ' +
    'POST /api/v2/payment/get_escrow_detail_batch (20 at a time) for the amounts and POST /api/v2/logistics/get_mass_tracking_number (50 packages at a time) for the numbers of arranged packages; every call carries partner_id, timestamp (unix s), ' +
    'access_token, shop_id and sign = hex(HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id)).',
  // get_order_list takes at most 15 days; the window is widened to whole seconds at both ends, so keep 2 s spare.
  maxPullWindowMs: 15 * day - 2_000,

  async *pull(ctx) {
    if (ctx.to <= ctx.from) return;
    const timeFrom = Math.floor(ctx.from / 1000);
    const timeTo = Math.ceil(ctx.to / 1000);
    let cursor = '';
    for (;;) {
      const r = await call(ctx, '/api/v2/order/get_order_list', {
        time_range_field: 'update_time',
        time_from: String(timeFrom),
        time_to: String(timeTo),
        page_size: '100',
        cursor,
      });
      const page = isObject(r.response) ? r.response : undefined;
      if (!page || !Array.isArray(page.order_list)) throw new PullError('VALIDATION_FAILED', 'get_order_list: response.order_list is missing');
      const sns = (page.order_list as unknown[]).map((o) => (isObject(o) && isText(o.order_sn) ? o.order_sn : null));
      if (sns.some((s) => s === null)) throw new PullError('VALIDATION_FAILED', 'get_order_list: an entry has no order_sn');
      // Seconds are coarser than the window: what falls outside [from, to) belongs to a neighbouring pull.
      const found = (await fetchShopeeOrders(ctx, sns as string[])).filter((p) => p.order.sourceUpdatedAt >= ctx.from && p.order.sourceUpdatedAt < ctx.to);
      if (found.length) yield found;
      if (page.more !== true) return;
      const next = page.next_cursor;
      if (typeof next !== 'string' || next === '' || next === cursor) throw new PullError('VALIDATION_FAILED', 'get_order_list: more is true but next_cursor does not move');
      cursor = next;
    }
  },
  // Shopee issues the number itself (v2.logistics.ship_order, then get_tracking_number): there is no typed number to correct.
  trackingCorrectionRefused: 'Shopee issues the tracking number itself (v2.logistics.get_tracking_number): it cannot be corrected from the hub; if the parcel left with another carrier, settle it in Shopee Seller Centre',
  pullListings: pullShopeeListings,
  setStock: setStockShopee,
  shipBack: shipBackShopee,
  // Shopee limits per partner and shop (error_rate_limit / 429) without a public per-second figure for product calls.
  // Assumed 5 requests/s; paced at 4
  // (80 %: room for the network's jitter), evenly spaced (override: ORDERHUB_PLATFORM_WRITE_RATES).
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
};
