// Pinduoduo (拼多多开放平台): pull, and ship-back in ./ship-back.ts. PDD's message service is a WebSocket push, not an HTTP webhook, so there is no
// push to verify. The pull calls pdd.order.number.list.increment.get on https://gw-api.pinduoduo.com/api/router, signed
// as PDD signs: sign = UPPER(hex(MD5(client_secret + k1v1k2v2… + client_secret))) over every parameter but sign, sorted
// by name; timestamp is unix seconds.
import { parseBeijingTime } from '../../../../kernel/time.ts';
import { createHash } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import type { NormalizedOrder, OrderLineInput } from '../../../orders/domain/order.ts';
import { meaningOf, PullError, type ChannelAdapter, type PulledOrder, type PullContext, apiBaseProblems } from '../types.ts';
import { shipBackPinduoduo } from './ship-back.ts';
import { setRemarkPinduoduo } from './remark.ts';
import { distinctNumbers } from '../tracking-numbers.ts';
import { pullPinduoduoListings } from './listings.ts';
import { setPinduoduoStock } from './stock.ts';
import { pinduoduoRawStatus, pinduoduoStatusDictionary, type PddStateFields } from './status.ts';

export interface PinduoduoCredentials {
  /** The app's client_id. */
  clientId: string;
  /** The app's client_secret: signs every call. */
  clientSecret: string;
  /** The shop's access_token for this app. */
  accessToken: string;
  /** Replaces https://gw-api.pinduoduo.com (tests point it at a simulator). */
  apiBase?: string;
}

const productionBase = 'https://gw-api.pinduoduo.com';
const routerPath = '/api/router';
const listType = 'pdd.order.number.list.increment.get';
const responseKey = 'order_sn_increment_get_response';
/** 返回数量，默认 100。最大 100. */
const pageSize = 100;
/** 一次请求只能查询时间跨度为30分钟的增量交易记录 (end_updated_at - start_updated_at <= 30min). */
const maxWindowMs = 30 * 60_000;
/** PDD's limit answers name no duration. */
const callLimitedBackoffMs = 10_000;

/** 70031/70032 调用过于频繁, 52101 当前接口被限流. */
const limitCodes = new Set(['70031', '70032', '52101']);
/** 10014 授权已被取消, 10016 client_id不正确, 10019/10035 access_token已过期, 20004 签名sign校验失败, 20032 access_token或client_id错误. */
const authCodes = new Set(['10014', '10016', '10019', '10035', '20004', '20032']);

interface PddItem {
  goods_id?: number | string;
  sku_id?: number | string;
  outer_id?: string;
  outer_goods_id?: string;
  goods_name?: string;
  goods_spec?: string;
  goods_count?: number | string;
  goods_price?: number | string;
}

export interface PddOrder extends PddStateFields {
  order_sn?: string;
  /** 快递单号: the tracking number once the order is sent. */
  tracking_number?: string;
  created_time?: string;
  updated_at?: string;
  pay_amount?: number | string;
  goods_amount?: number | string;
  order_change_amount?: number | string;
  discount_amount?: number | string;
  platform_discount?: number | string;
  seller_discount?: number | string;
  capital_free_discount?: number | string;
  postage?: number | string;
  service_fee_detail?: { service_fee?: number | string; service_name?: string }[] | null;
  step_order_info?: { step_trade_status?: number | string; step_paid_fee?: number | string; advanced_paid_fee?: number | string } | null;
  item_list?: PddItem[];
  receiver_name?: string;
  receiver_phone?: string;
  receiver_address?: string;
  address?: string;
  receiver_name_mask?: string;
  receiver_phone_mask?: string;
  receiver_address_mask?: string;
  address_mask?: string;
  province?: string;
  city?: string;
  town?: string;
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `Pinduoduo order: ${message}`);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A PDD time (yyyy-MM-dd HH:mm:ss, Beijing time) as epoch ms; null when it is not one. */
export const parsePddTime = parseBeijingTime;

/** The PDD signature over every parameter but sign. */
export function pinduoduoSign(params: Readonly<Record<string, string>>, secret: string): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  return createHash('md5').update(`${secret}${text}${secret}`, 'utf8').digest('hex').toUpperCase();
}

/** PDD's ciphertexts look like ~AgAAAA…~…~: present only while the order awaits shipment. */
const isCipher = (s: string) => /^~.+~/.test(s);

/** The order as the hub's order: lines, shipping and discounts add up to PDD's `pay_amount` to the fen. */
export function normalizePinduoduoOrder(o: PddOrder): NormalizedOrder {
  const sn = str(o.order_sn);
  if (!/^[\w-]{6,64}$/.test(sn)) fail('order_sn is missing');
  const c = 'CNY';
  // PDD money is yuan as JSON numbers (DOUBLE); decimalToMinor reads the number's own digits, never a float product.
  const minor = (v: unknown, field: string) => decimalToMinor(str(v) || '0', c, `${field} of order ${sn}`);
  const raw = pinduoduoRawStatus(o);
  const meaning = meaningOf(pinduoduoStatusDictionary, raw, 'Pinduoduo');
  const created = parsePddTime(o.created_time) ?? fail(`created_time of ${sn} must be yyyy-MM-dd HH:mm:ss`);
  const updated = parsePddTime(o.updated_at) ?? fail(`updated_at of ${sn} must be yyyy-MM-dd HH:mm:ss`);
  const items = o.item_list;
  if (!Array.isArray(items) || items.length === 0) fail(`order ${sn} has no item_list`);
  // goods_amount = goods_price * goods_count - order_change_amount (the seller's price change). PDD orders hold one
  // goods line, where the change is that line's discount; spread over several it is an order-level seller discount.
  const change = minor(o.order_change_amount, 'order_change_amount');
  const lines: OrderLineInput[] = items.map((it, i) => {
    const quantity = Number(it.goods_count);
    if (!Number.isSafeInteger(quantity) || quantity <= 0) fail(`item_list[${i}].goods_count of ${sn} must be a positive integer`);
    const sku = str(it.outer_id) || str(it.outer_goods_id) || `sku-${str(it.sku_id) || str(it.goods_id)}`;
    const title = [str(it.goods_name), str(it.goods_spec)].filter(Boolean).join(' ') || sku;
    return { sku, title, quantity, unitPrice: minor(it.goods_price, `item_list[${i}].goods_price`), discount: items.length === 1 ? change : 0 };
  });
  // pay_amount = goods_amount - discount_amount + postage + 服务费; discount_amount = platform_discount +
  // seller_discount + capital_free_discount. 团长免单 (capital_free_discount) is a shop promotion: seller-borne.
  // Services the buyer pays for (顺丰加价, installation) travel with the delivery, so they count as shipping.
  const services = (o.service_fee_detail ?? []).reduce((a, s, i) => a + minor(s.service_fee, `service_fee_detail[${i}].service_fee`), 0);
  const payAmount = minor(o.pay_amount, 'pay_amount');
  const step = str(o.step_order_info?.step_trade_status);
  const paidAmount =
    meaning.status === 'cancelled' ? 0 : step === '0' ? 0 : step === '1' ? minor(o.step_order_info?.step_paid_fee ?? o.step_order_info?.advanced_paid_fee, 'step_paid_fee') : payAmount;
  const name = str(o.receiver_name);
  const phone = str(o.receiver_phone);
  const address = str(o.receiver_address) || str(o.address);
  // Ciphertext while the order awaits shipment, empty afterwards: the masks then stand in (PDD: 其余情况返回空字符串).
  const encrypted = isCipher(name) || isCipher(phone) || isCipher(address);
  return {
    platformOrderId: sn,
    status: meaning.status,
    hold: meaning.hold,
    platformStatus: raw,
    platformTotal: payAmount,
    receiverProtection: encrypted ? 'encrypted' : 'masked',
    platformCreatedAt: created,
    sourceUpdatedAt: updated,
    currency: c,
    buyer: {},
    receiver: {
      name: name || str(o.receiver_name_mask) || '-',
      phone: phone || str(o.receiver_phone_mask),
      province: str(o.province),
      city: str(o.city),
      district: str(o.town),
      address: address || str(o.receiver_address_mask) || str(o.address_mask) || '-',
    },
    lines,
    shippingFee: minor(o.postage, 'postage') + services,
    discountPlatform: minor(o.platform_discount, 'platform_discount'),
    discountSeller: minor(o.seller_discount, 'seller_discount') + minor(o.capital_free_discount, 'capital_free_discount') + (items.length === 1 ? 0 : change),
    platformTrackingNos: distinctNumbers([o.tracking_number]),
    tax: 0,
    paidAmount,
  };
}

interface Page {
  orders: PddOrder[];
  total: number;
}

/** One signed call: the page's orders and PDD's total, or PDD's error_response as a PullError. */
async function listPage(ctx: PullContext<PinduoduoCredentials>, start: number, end: number, page: number): Promise<Page> {
  const c = ctx.credentials;
  const params: Record<string, string> = {
    type: listType,
    client_id: c.clientId,
    access_token: c.accessToken,
    timestamp: String(Math.floor(ctx.now() / 1000)),
    data_type: 'JSON',
    version: 'V1',
    // 0 = every order, lottery (抽奖) ones included: a won lottery order ships like any other.
    is_lucky_flag: '0',
    order_status: '5',
    refund_status: '5',
    start_updated_at: String(start),
    end_updated_at: String(end),
    page: String(page),
    page_size: String(pageSize),
    // The total is needed to page from the last page back, so has_next paging is not asked for.
    use_has_next: 'false',
  };
  params.sign = pinduoduoSign(params, c.clientSecret);
  let res: Response;
  let text: string;
  try {
    res = await ctx.fetch(`${(c.apiBase ?? productionBase).replace(/\/+$/, '')}${routerPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    text = await res.text();
  } catch (e) {
    throw new PullError('NETWORK', `Pinduoduo ${listType}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: Record<string, unknown> | null;
  try {
    body = JSON.parse(text) as Record<string, unknown> | null;
  } catch {
    throw new PullError(res.ok ? 'BAD_RESPONSE' : `HTTP_${res.status}`, `Pinduoduo ${listType} answered HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const err = body?.error_response as { error_code?: unknown; error_msg?: unknown; sub_code?: unknown; sub_msg?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const code = str(err.error_code) || 'UNKNOWN';
    const message = `Pinduoduo ${listType}: ${code} ${str(err.error_msg)}${str(err.sub_code) ? ` (${str(err.sub_code)}: ${str(err.sub_msg)})` : ''}`;
    if (limitCodes.has(code)) throw new PullError(code, message, { rateLimited: true, retryAfterMs: callLimitedBackoffMs });
    throw new PullError(code, message, authCodes.has(code) ? { authFailed: true } : {});
  }
  if (!res.ok) throw new PullError(`HTTP_${res.status}`, `Pinduoduo ${listType} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const r = body?.[responseKey] as { total_count?: unknown; order_sn_list?: unknown } | undefined;
  if (!r || typeof r !== 'object') throw new PullError('BAD_RESPONSE', `Pinduoduo ${listType}: no ${responseKey} in the answer`);
  const total = Number(r.total_count ?? 0);
  const orders = r.order_sn_list ?? [];
  if (!Array.isArray(orders) || !Number.isSafeInteger(total) || total < 0) throw new PullError('BAD_RESPONSE', `Pinduoduo ${listType}: order_sn_list/total_count malformed`);
  return { orders: orders as PddOrder[], total };
}

function toPulled(ctx: PullContext<PinduoduoCredentials>, orders: PddOrder[]): PulledOrder[] {
  const out: PulledOrder[] = [];
  for (const o of orders) {
    const updated = parsePddTime(o.updated_at);
    // PDD's window is whole seconds and inclusive: keep exactly [from, to).
    if (updated !== null && (updated < ctx.from || updated >= ctx.to)) continue;
    let order: NormalizedOrder;
    try {
      order = normalizePinduoduoOrder(o);
    } catch (e) {
      throw new PullError('INVALID_ORDER', e instanceof Error ? e.message : String(e));
    }
    out.push({ eventId: `${order.platformOrderId}@${order.sourceUpdatedAt}`, rawBody: Buffer.from(JSON.stringify(o), 'utf8'), order });
  }
  return out;
}

export const pinduoduo: ChannelAdapter<PinduoduoCredentials> = {
  platform: 'pinduoduo',
  label: 'Pinduoduo',
  statusDictionary: pinduoduoStatusDictionary,
  credentialFields: [
    { name: 'clientId', label: 'Client ID', hint: 'the PDD app client_id' },
    { name: 'clientSecret', label: 'Client secret', secret: true, hint: 'signs every call' },
    { name: 'accessToken', label: 'Access token', secret: true, hint: "the shop's access_token for this app" },
    { name: 'apiBase', label: 'API base', optional: true, hint: 'default https://gw-api.pinduoduo.com' },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof PinduoduoCredentials, unknown>> | null;
    const problems: string[] = [];
    if (typeof x?.clientId !== 'string' || !/^[0-9a-zA-Z]{8,64}$/.test(x.clientId)) problems.push('credentials.clientId must be the PDD client_id');
    if (typeof x?.clientSecret !== 'string' || x.clientSecret.length < 16) problems.push('credentials.clientSecret must be the PDD client_secret (16 characters or more)');
    if (typeof x?.accessToken !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(x.accessToken)) problems.push("credentials.accessToken must be the shop's PDD access_token");
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  /** A stored pulled order read again (replay after a mapping fix). */
  parsePulled(rawBody) {
    let o: unknown;
    try {
      o = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    return [normalizePinduoduoOrder(o as PddOrder)];
  },

  pullDescription:
    `${listType} (start_updated_at/end_updated_at unix seconds, at most 30 minutes; order_status=5, refund_status=5; ` +
    `page_size ${pageSize}, read from the last page back) on ${productionBase}${routerPath}, JSON body. ` +
    'sign = UPPER(hex(MD5(client_secret + k1v1k2v2… sorted by name + client_secret))).',
  maxPullWindowMs: maxWindowMs,

  async *pull(ctx) {
    if (ctx.to - ctx.from > maxWindowMs) throw new PullError('WINDOW_TOO_WIDE', 'Pinduoduo windows are at most 30 minutes');
    // PDD reads whole seconds, both ends inclusive: [ceil(from), to − 1 ms] asks for exactly [from, to).
    const start = Math.ceil(ctx.from / 1000);
    const end = Math.floor((ctx.to - 1) / 1000);
    if (end < start) return;
    const first = await listPage(ctx, start, end, 1);
    yield toPulled(ctx, first.orders);
    if (first.total <= pageSize) return;
    // Newest-updated first: read from the last page back (PDD: 必须采用倒序的分页方式…才能避免漏单), so an order that
    // moves out of the window while we page makes a repeat, never a miss; page 1 again last, as it was read first.
    for (let page = Math.ceil(first.total / pageSize); page >= 2; page--) {
      yield toPulled(ctx, (await listPage(ctx, start, end, page)).orders);
    }
    yield toPulled(ctx, (await listPage(ctx, start, end, 1)).orders);
  },

  shipBack: shipBackPinduoduo,
  trackingCorrection: 'pdd.logistics.online.send with redelivery_type=2 (修改发货: overwrites the order’s carrier and number); an extra parcel’s number cannot be changed',
  setRemark: setRemarkPinduoduo,
  pullListings: pullPinduoduoListings,
  setStock: setPinduoduoStock,
  // PDD limits calls per app and API (70031/70032 调用过于频繁, 52101 限流); the figures are in the app's console, none
  // public. Assumed 5 requests/s; paced at 4
  // (80 %: room for the network's jitter), evenly spaced (override: ORDERHUB_PLATFORM_WRITE_RATES).
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
};
