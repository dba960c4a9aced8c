// JD POP (京东 JOS): pull here; ship-back and seller remarks in ./ship-back.ts and ./remark.ts. JD's message service (JMQ) is not an HTTP webhook, so there is no push to verify.
// The pull calls jingdong.pop.order.enSearch on the JOS router (https://api.jd.com/routerjson), signed the way JOS
// signs: sign = UPPER(hex(MD5(appSecret + k1v1k2v2… + appSecret))) over every parameter but sign, sorted by name,
// empty values left out, 360buy_param_json included (official SDK: DefaultJdClient / AbstractSign.signature4Jos).
// System parameters travel in the query string and 360buy_param_json in the form body, as the official SDK sends them.
import { formatBeijingTime, parseBeijingTime } from '../../../../kernel/time.ts';
import { createHash } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import type { NormalizedOrder, OrderLineInput } from '../../../orders/domain/order.ts';
import { meaningOf, PullError, type ChannelAdapter, type PulledOrder, type PullContext, apiBaseProblems } from '../types.ts';
import { jdQueryStates, jdStatuses } from './status.ts';
import { setRemarkJd } from './remark.ts';
import { shipBackJd } from './ship-back.ts';
import { pullJdListings } from './listings.ts';
import { setJdStock } from './stock.ts';

export interface JdCredentials {
  /** The JOS app's key (app_key). */
  appKey: string;
  /** The JOS app's secret: signs every call. */
  appSecret: string;
  /** The shop's OAuth access_token for this app. */
  accessToken: string;
  /** Replaces https://api.jd.com (tests point it at a simulator). */
  apiBase?: string;
}

const productionBase = 'https://api.jd.com';
const searchMethod = 'jingdong.pop.order.enSearch';
/** enSearch: 每页的条数（最大page_size 100条）. */
const pageSize = 100;
/**
 * enSearch: start and end may not be more than one month apart (不得相差超过1个月). A calendar month can be 28 days,
 * so 28 days is the widest window that is inside the cap whatever day it starts on.
 */
const maxWindowMs = 28 * 86_400_000;
/** How long to wait after JD's call-limit answer (code 2, App Call Limited): JD gives no figure. */
const callLimitedBackoffMs = 60_000;

/** The orderInfo fields the hub reads; enSearch returns only the fields named in optional_fields. */
const optionalFields = [
  'orderId',
  'venderId',
  'orderType',
  'payType',
  'orderTotalPrice',
  'orderSellerPrice',
  'orderPayment',
  'freightPrice',
  'sellerDiscount',
  'balanceUsed',
  'orderState',
  'orderStateRemark',
  'orderRemark',
  'orderStartTime',
  'orderEndTime',
  'paymentConfirmTime',
  'modified',
  'consigneeInfo',
  'itemInfoList',
  'couponDetailList',
  'pin',
  'open_id_buyer',
  'xid_buyer',
].join(',');

/** JOS gateway error codes (网关系统错误码) that mean the app, the token or the signature is wrong. */
const authCodes = new Set(['11', '12', '18', '19', '20', '21', '24']);

export interface JdConsignee {
  fullname?: string;
  telephone?: string;
  mobile?: string;
  fullAddress?: string;
  province?: string;
  city?: string;
  county?: string;
  town?: string;
  desen_mobile?: string;
  desen_telephone?: string;
}

export interface JdItem {
  skuId?: string | number;
  outerSkuId?: string;
  skuName?: string;
  jdPrice?: string;
  itemTotal?: string | number;
  wareId?: string;
}

export interface JdCoupon {
  skuId?: string | number;
  couponType?: string;
  couponPrice?: string;
}

/** One orderInfo of enSearch (amounts are decimal strings in yuan, times 'yyyy-MM-dd HH:mm:ss' Beijing time). */
export interface JdOrder {
  orderId: string | number;
  orderState: string;
  payType?: string;
  orderTotalPrice?: string;
  orderSellerPrice?: string;
  orderPayment?: string;
  freightPrice?: string;
  sellerDiscount?: string;
  balanceUsed?: string;
  orderStartTime?: string;
  modified?: string;
  consigneeInfo?: JdConsignee | null;
  itemInfoList?: JdItem[];
  couponDetailList?: unknown;
  pin?: string;
  open_id_buyer?: string;
  xid_buyer?: string;
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `JD order: ${message}`);
}

/** JD writes times as 'yyyy-MM-dd HH:mm:ss' in Beijing time. */
export const jdTime = formatBeijingTime;
export const parseJdTime = parseBeijingTime;

/** JOS MD5 signing: UPPER(hex(MD5(secret + k1v1k2v2… + secret))), names sorted, empty values skipped. */
export function jdSign(appSecret: string, params: Readonly<Record<string, string>>): string {
  const body = Object.keys(params)
    .filter((k) => k !== 'sign' && k !== '' && params[k] !== '')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  return createHash('md5').update(`${appSecret}${body}${appSecret}`, 'utf8').digest('hex').toUpperCase();
}

/** Looks like JD's field encryption (TDE): base64 ciphertext, or the `~…~` wrapped form. */
function looksEncrypted(v: string | undefined): boolean {
  if (!v) return false;
  return /^[A-Za-z0-9+/]{24,}={0,2}$/.test(v) || /^~[A-Za-z0-9+/=]{8,}~/.test(v);
}

function couponCode(t: unknown): number | null {
  const m = typeof t === 'string' || typeof t === 'number' ? /^\s*(\d+)/.exec(String(t)) : null;
  return m ? Number(m[1]) : null;
}

/** Per-SKU promotions (30-单品促销优惠, the only coupon type with a skuId), as the coupon list gives them. */
function skuPromotions(list: unknown): { skuId: string; amount: number }[] {
  if (!Array.isArray(list)) return [];
  const out: { skuId: string; amount: number }[] = [];
  list.forEach((c: unknown, i) => {
    if (!c || typeof c !== 'object' || Array.isArray(c)) return;
    const x = c as JdCoupon;
    if (couponCode(x.couponType) !== 30 || x.skuId === undefined || x.skuId === '' || x.couponPrice === undefined) return;
    out.push({ skuId: String(x.skuId), amount: decimalToMinor(x.couponPrice, 'CNY', `couponDetailList[${i}].couponPrice`) });
  });
  return out;
}

/**
 * One enSearch orderInfo as the hub's order, to the fen. JD documents:
 *   orderTotalPrice  = 订单总金额: the goods at JD price, before any discount, without freight;
 *   orderSellerPrice = 订单货款金额 = orderTotalPrice − sellerDiscount (商家优惠金额);
 *   orderPayment     = 用户应付金额 = 货款 − 用户优惠 − 余额 + 运费 + 税费 + 服务费.
 * balanceUsed (余额) is the buyer's own JD balance: money the buyer pays, not a discount. So the buyer's total is
 * orderPayment + balanceUsed (the platformTotal), and 用户优惠 (JD-borne: 京东券, 京豆, 红包 …) is what is left:
 * 货款 + 运费 − (orderPayment + balanceUsed). Were that negative, tax or a service fee was added on top (JD's formula
 * has no other term), so it is kept as tax. Per-SKU promotions in couponDetailList move from the seller's order-level
 * discount onto their lines; their sum stays in sellerDiscount's total.
 */
export function normalizeJdOrder(o: JdOrder): NormalizedOrder {
  if (!o || typeof o !== 'object') fail('not an object');
  if ((typeof o.orderId !== 'string' && typeof o.orderId !== 'number') || String(o.orderId) === '') fail('orderId is required');
  const id = String(o.orderId);
  if (typeof o.orderState !== 'string' || o.orderState === '') fail(`${id}: orderState is required`);
  if (!Array.isArray(o.itemInfoList) || o.itemInfoList.length === 0) fail(`${id}: itemInfoList is required`);
  const yuan = (v: string | undefined, field: string) => decimalToMinor(v ?? '0', 'CNY', `${id} ${field}`);

  const lines: (OrderLineInput & { jdSkuId: string })[] = o.itemInfoList.map((it, i) => {
    const q = typeof it.itemTotal === 'number' ? it.itemTotal : /^\d+$/.test(it.itemTotal ?? '') ? Number(it.itemTotal) : NaN;
    if (!Number.isSafeInteger(q) || q < 1) fail(`${id}: itemInfoList[${i}].itemTotal must be a whole number of items`);
    if (it.jdPrice === undefined) fail(`${id}: itemInfoList[${i}].jdPrice is required`);
    const jdSkuId = it.skuId === undefined ? '' : String(it.skuId);
    const sku = it.outerSkuId || jdSkuId;
    if (!sku) fail(`${id}: itemInfoList[${i}] has neither outerSkuId nor skuId`);
    return { sku, jdSkuId, title: it.skuName ?? sku, quantity: q, unitPrice: yuan(it.jdPrice, `itemInfoList[${i}].jdPrice`), discount: 0 };
  });

  const goods = yuan(o.orderTotalPrice, 'orderTotalPrice');
  const sellerDiscount = yuan(o.sellerDiscount, 'sellerDiscount');
  const sellerPrice = o.orderSellerPrice !== undefined ? yuan(o.orderSellerPrice, 'orderSellerPrice') : goods - sellerDiscount;
  const freight = yuan(o.freightPrice, 'freightPrice');
  const payment = yuan(o.orderPayment, 'orderPayment');
  const balance = yuan(o.balanceUsed, 'balanceUsed');
  const buyerTotal = payment + balance;
  const jdBorne = sellerPrice + freight - buyerTotal;

  let onLines = 0;
  for (const p of skuPromotions(o.couponDetailList)) {
    const line = lines.find((l) => l.jdSkuId === p.skuId && l.discount + p.amount <= l.quantity * l.unitPrice);
    if (!line || onLines + p.amount > sellerDiscount) continue; // left at order level: the total is what counts
    line.discount += p.amount;
    onLines += p.amount;
  }

  const meaning = meaningOf(jdStatuses, o.orderState, 'JD');
  const status = meaning.status;
  const created = parseJdTime(o.orderStartTime) ?? fail(`${id}: orderStartTime must be 'yyyy-MM-dd HH:mm:ss'`);
  const modified = parseJdTime(o.modified) ?? fail(`${id}: modified must be 'yyyy-MM-dd HH:mm:ss'`);
  // 货到付款: nothing but the balance part is paid until the courier collects (JD then reports it received).
  const cashOnDelivery = /^\s*1(\D|$)/.test(o.payType ?? '');
  const collected = status === 'delivered' || status === 'completed';
  const paidAmount = status === 'cancelled' ? 0 : cashOnDelivery && !collected ? balance : buyerTotal;

  // Locked and cancelled orders come without consignee data (锁定/取消的订单不返回收货人基本信息).
  const c = o.consigneeInfo ?? {};
  const given = [c.fullname, c.fullAddress, c.mobile, c.telephone];
  const protection = given.some(looksEncrypted) ? 'encrypted' : given.some((v) => typeof v === 'string' && v.includes('*')) ? 'masked' : undefined;

  return {
    platformOrderId: id,
    status,
    platformStatus: o.orderState,
    hold: meaning.hold,
    platformTotal: buyerTotal,
    receiverProtection: protection,
    platformCreatedAt: created,
    sourceUpdatedAt: modified,
    currency: 'CNY',
    buyer: { id: o.open_id_buyer || o.xid_buyer || o.pin || undefined },
    receiver: {
      name: c.fullname || '-',
      phone: c.mobile || c.telephone || '',
      province: c.province ?? '',
      city: c.city ?? '',
      district: c.county ?? '',
      address: c.fullAddress || [c.town].filter(Boolean).join('') || '-',
    },
    lines: lines.map(({ jdSkuId, ...l }) => (jdSkuId ? { ...l, platformLineId: jdSkuId } : l)),
    shippingFee: freight,
    discountPlatform: Math.max(jdBorne, 0),
    discountSeller: sellerDiscount - onLines,
    tax: Math.max(-jdBorne, 0),
    paidAmount,
  };
}

interface SearchPage {
  orders: Record<string, unknown>[];
  total: number;
}

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** One signed enSearch call: the page's orders and JD's total, or the JOS error as a PullError. */
async function searchPage(ctx: PullContext<JdCredentials>, base: string, start: string, end: string, page: number): Promise<SearchPage> {
  const c = ctx.credentials;
  const business = JSON.stringify({
    start_date: start,
    end_date: end,
    order_state: jdQueryStates.join(','),
    optional_fields: optionalFields,
    page: String(page),
    page_size: String(pageSize),
    sortType: 0, // ascending
    dateType: 0, // 0 = by modified time (订单状态、修改运单号的修改时间)
  });
  const system: Record<string, string> = {
    method: searchMethod,
    access_token: c.accessToken,
    app_key: c.appKey,
    timestamp: jdTime(ctx.now()),
    format: 'json',
    v: '2.0',
  };
  const sign = jdSign(c.appSecret, { ...system, '360buy_param_json': business });
  const url = `${base}/routerjson?${new URLSearchParams({ ...system, sign }).toString()}`;
  let res: Response;
  try {
    res = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: new URLSearchParams({ '360buy_param_json': business }).toString(),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (e) {
    throw new PullError('NETWORK', `JD ${searchMethod}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new PullError(`HTTP_${res.status}`, `JD ${searchMethod} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new PullError('BAD_RESPONSE', `JD ${searchMethod} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  const err = body.error_response as Record<string, unknown> | undefined;
  if (err && typeof err === 'object') {
    const code = str(err.code) || 'UNKNOWN';
    const message = `JD error ${code}: ${str(err.zh_desc)}${err.en_desc ? ` (${str(err.en_desc)})` : ''}`;
    if (code === '2') throw new PullError(code, message, { rateLimited: true, retryAfterMs: callLimitedBackoffMs });
    throw new PullError(code, message, authCodes.has(code) ? { authFailed: true } : {});
  }
  // JD spells it "responce".
  const r = body.jingdong_pop_order_enSearch_responce as Record<string, unknown> | undefined;
  if (!r || typeof r !== 'object') throw new PullError('BAD_RESPONSE', `JD ${searchMethod}: no jingdong_pop_order_enSearch_responce in the answer`);
  if (str(r.code) !== '0') throw new PullError(str(r.code) || 'UNKNOWN', `JD ${searchMethod} answered code ${str(r.code)}`);
  const result = r.searchorderinfo_result as Record<string, unknown> | undefined;
  const api = (result?.apiResult ?? {}) as Record<string, unknown>;
  if (!result || api.success !== true) {
    const code = str(api.numberCode) || str(api.englishErrCode) || 'UNKNOWN';
    throw new PullError(code, `JD ${searchMethod} failed: ${str(api.chineseErrCode) || str(api.englishErrCode) || 'no apiResult'}`);
  }
  const list = result.orderInfoList ?? [];
  const total = Number(result.orderTotal ?? 0);
  if (!Array.isArray(list) || !Number.isSafeInteger(total) || total < 0) throw new PullError('BAD_RESPONSE', `JD ${searchMethod}: orderInfoList/orderTotal malformed`);
  return { orders: list as Record<string, unknown>[], total };
}

export const jd: ChannelAdapter<JdCredentials> = {
  platform: 'jd',
  label: 'JD',
  statusDictionary: jdStatuses,
  /** A stored pulled order read again (replay after a mapping fix). */
  parsePulled(rawBody) {
    let o: unknown;
    try {
      o = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    return [normalizeJdOrder(o as JdOrder)];
  },

  pullDescription:
    `POST https://api.jd.com/routerjson, method=${searchMethod}: system parameters (method, access_token, app_key, ` +
    "timestamp 'yyyy-MM-dd HH:mm:ss' GMT+8 within ±6 min, format=json, v=2.0, sign) in the query, 360buy_param_json in the form body; " +
    'sign = UPPER(hex(MD5(appSecret + k1v1k2v2… (all but sign, sorted by name, empty values skipped) + appSecret))). ' +
    'Orders modified in the window (dateType=0), ascending, 100 a page, windows of at most 28 days (JD: one month).',
  maxPullWindowMs: maxWindowMs,
  credentialFields: [
    { name: 'appKey', label: 'App key', hint: 'JOS app_key' },
    { name: 'appSecret', label: 'App secret', secret: true, hint: 'signs every call' },
    { name: 'accessToken', label: 'Access token', secret: true, hint: "the shop's OAuth access_token for this app" },
    { name: 'apiBase', label: 'API base', optional: true, hint: 'defaults to https://api.jd.com' },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof JdCredentials, unknown>> | null;
    const problems: string[] = [];
    const token = (v: unknown) => typeof v === 'string' && /^[\x21-\x7e]{1,256}$/.test(v);
    if (!token(x?.appKey)) problems.push('credentials.appKey must be the JOS app key');
    if (!token(x?.appSecret)) problems.push('credentials.appSecret must be the JOS app secret');
    if (!token(x?.accessToken)) problems.push('credentials.accessToken must be the shop access_token');
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  async *pull(ctx) {
    if (ctx.to - ctx.from > maxWindowMs) throw new PullError('WINDOW_TOO_WIDE', `JD windows are at most ${maxWindowMs / 86_400_000} days`);
    if (ctx.to <= ctx.from) return;
    const base = (ctx.credentials.apiBase ?? productionBase).replace(/\/+$/, '');
    // JD's times have whole seconds: ask for every second the window touches, keep only [from, to) by `modified`.
    const start = jdTime(Math.floor(ctx.from / 1000) * 1000);
    const end = jdTime(Math.ceil(ctx.to / 1000) * 1000);
    let page = 1;
    let total: number | null = null;
    let restarts = 0;
    for (;;) {
      const r = await searchPage(ctx, base, start, end, page);
      if (total !== null && r.total !== total) {
        // An order changed while paging moved out of the window and shifted the pages: read them again (the same
        // version of an order is the same event id, so reading one twice does no harm).
        if (++restarts > 2) throw new PullError('PAGING_UNSTABLE', 'JD order total kept changing while paging; try the window again');
        page = 1;
        total = null;
        continue;
      }
      total = r.total;
      const out: PulledOrder[] = [];
      for (const raw of r.orders) {
        let order: NormalizedOrder;
        try {
          order = normalizeJdOrder(raw as unknown as JdOrder);
        } catch (e) {
          throw new PullError('INVALID_ORDER', e instanceof Error ? e.message : String(e));
        }
        if (order.sourceUpdatedAt < ctx.from || order.sourceUpdatedAt >= ctx.to) continue;
        out.push({ eventId: `${order.platformOrderId}@${order.sourceUpdatedAt}`, rawBody: Buffer.from(JSON.stringify(raw), 'utf8'), order });
      }
      if (out.length > 0) yield out;
      if (r.orders.length === 0 || page * pageSize >= r.total) return;
      page += 1;
    }
  },
  shipBack: shipBackJd,
  // jingdong.pop.order.shipment sends an order once; no JOS method that changes a POP order's waybill afterwards could
  // be confirmed (jingdong.pop.order.modifyWaybill is named in hearsay only, in no SDK or document found).
  trackingCorrectionRefused: 'JD takes no correction of a shipped order’s waybill through its open platform (no documented method): correct it in the JD seller back office (京麦), then here',
  setRemark: setRemarkJd,
  pullListings: pullJdListings,
  setStock: setJdStock,
  // JOS flow-controls per app and API (code 2 / isp.*-flow-control); no public per-second figure was found for these
  // methods. Assumed 5 requests/s; paced at 4
  // (80 %: room for the network's jitter), evenly spaced (override: ORDERHUB_PLATFORM_WRITE_RATES).
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
};
