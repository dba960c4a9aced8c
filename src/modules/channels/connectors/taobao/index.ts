// Taobao/Tmall (TOP): pull, and ship-back in ./ship-back.ts. Taobao's message service (TMC) is no HTTP webhook, so there
// is no push to verify; the hub consumes it over HTTP instead (./tmc.ts, channels/tmc-consumer.ts). The pull calls taobao.trades.sold.increment.get on the TOP router (…/router/rest), and
// taobao.trade.fullinfo.get for a trade the list gave only in part. Every call is signed the way TOP signs: every
// parameter but sign, sorted by name, concatenated k1v1k2v2…, then by sign_method
//   md5:         UPPER(hex(MD5(secret + str + secret)))
//   hmac:        UPPER(hex(HmacMD5(secret, str)))
//   hmac-sha256: UPPER(hex(HmacSHA256(secret, str)))
// (official SDKs: TaobaoUtils.signTopRequest / Constants.SIGN_METHOD_*; timestamp yyyy-MM-dd HH:mm:ss GMT+8, ±10 min).
import { formatBeijingTime, parseBeijingTime } from '../../../../kernel/time.ts';
import { createHash, createHmac } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import { decimalToMinor } from '../../../../kernel/money.ts';
import type { NormalizedOrder, OrderLineInput } from '../../../orders/domain/order.ts';
import { distinctNumbers } from '../tracking-numbers.ts';
import { meaningOf, PullError, type ChannelAdapter, type PulledOrder, type PullContext, apiBaseProblems } from '../types.ts';
import { shipBackTaobao } from './ship-back.ts';
import { setRemarkTaobao } from './remark.ts';
import { pullTaobaoListings } from './listings.ts';
import { setTaobaoStock } from './stock.ts';
import { taobaoPaidStatuses, taobaoStatusDictionary } from './status.ts';

export const taobaoSignMethods = ['md5', 'hmac', 'hmac-sha256'] as const;
export type TaobaoSignMethod = (typeof taobaoSignMethods)[number];

export interface TaobaoCredentials {
  /** The TOP app's key (app_key). */
  appKey: string;
  /** The TOP app's secret: signs every call. */
  appSecret: string;
  /** The seller's authorisation for this app (TOP's `session`, the OAuth access token). */
  session: string;
  /** How calls are signed; md5 when absent. */
  signMethod?: TaobaoSignMethod;
  /** Replaces https://eco.taobao.com (tests point it at a simulator). */
  apiBase?: string;
}

const productionBase = 'https://eco.taobao.com';
const routerPath = '/router/rest';
const listMethod = 'taobao.trades.sold.increment.get';
const detailMethod = 'taobao.trade.fullinfo.get';
/** increment.get: page_size 1~100. */
const pageSize = 100;
/** increment.get: 一次请求只能查询时间跨度为一天的增量交易记录 (end_modified - start_modified <= 1天). */
const maxWindowMs = 86_400_000;
/** How long to back off after a call limit that names no duration. */
const callLimitedBackoffMs = 60_000;

/**
 * The trade fields the hub reads. receiver_name, receiver_address, created, receiver_mobile and receiver_phone must all
 * be asked for, or TOP cannot produce the oaid (the handle that decrypts the masked receiver later).
 */
const tradeFields = [
  'tid',
  'tid_str',
  'type',
  'status',
  'step_trade_status',
  'step_paid_fee',
  'created',
  'modified',
  'pay_time',
  'payment',
  'total_fee',
  'post_fee',
  'discount_fee',
  'adjust_fee',
  'platform_subsidy_fee',
  'coupon_fee',
  'point_fee',
  'buyer_nick',
  'buyer_open_uid',
  'receiver_name',
  'receiver_state',
  'receiver_city',
  'receiver_district',
  'receiver_town',
  'receiver_address',
  'receiver_zip',
  'receiver_mobile',
  'receiver_phone',
  'oaid',
  'promotion_details',
  'orders',
].join(',');

/**
 * Without `type` the list returns only a few trade types (默认同时查询guarantee_trade,auto_delivery,ec,cod,step这5种类型),
 * so the types the Trade.type documentation lists are named.
 */
const tradeTypes = [
  'fixed',
  'auction',
  'guarantee_trade',
  'step',
  'independent_simple_trade',
  'independent_shop_trade',
  'auto_delivery',
  'ec',
  'cod',
  'fenxiao',
  'game_equipment',
  'shopex_trade',
  'netcn_trade',
  'external_trade',
  'o2o_offlinetrade',
  'nopaid',
  'pre_auth_type',
].join(',');

/** TOP error codes that mean the app key, secret or seller session is wrong (not worth retrying as is). */
const authCodes = new Set(['25', '26', '27', '28', '29', '53']);
const authSubCodes = new Set(['invalid-sessionkey', 'session-expired', 'session-not-exist']);

interface TopOrder {
  /** The tracking number of a sent sub-order (运单号), with its logistics company. */
  invoice_no?: string;
  oid?: string | number;
  oid_str?: string;
  num_iid?: string | number;
  sku_id?: string | number;
  outer_sku_id?: string;
  outer_iid?: string;
  title?: string;
  num?: number | string;
  price?: string;
  total_fee?: string;
  payment?: string;
  discount_fee?: string;
  adjust_fee?: string;
  part_mjz_discount?: string;
  divide_order_fee?: string;
}

export interface TopTrade {
  tid?: string | number;
  tid_str?: string;
  type?: string;
  status?: string;
  step_trade_status?: string;
  step_paid_fee?: string;
  created?: string;
  modified?: string;
  pay_time?: string;
  payment?: string;
  total_fee?: string;
  post_fee?: string;
  platform_subsidy_fee?: string;
  buyer_nick?: string;
  buyer_open_uid?: string;
  receiver_name?: string;
  receiver_state?: string;
  receiver_city?: string;
  receiver_district?: string;
  receiver_town?: string;
  receiver_address?: string;
  receiver_mobile?: string;
  receiver_phone?: string;
  oaid?: string;
  orders?: { order?: TopOrder[] };
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `Taobao trade: ${message}`);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** TOP writes and reads times as yyyy-MM-dd HH:mm:ss in Beijing time. */
export const formatTaobaoTime = formatBeijingTime;
export const parseTaobaoTime = parseBeijingTime;

/** The TOP signature over every parameter but sign (empty ones are not sent and not signed). */
export function taobaoSign(params: Readonly<Record<string, string>>, secret: string, method: TaobaoSignMethod): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  const digest =
    method === 'hmac'
      ? createHmac('md5', secret).update(text, 'utf8').digest()
      : method === 'hmac-sha256'
        ? createHmac('sha256', secret).update(text, 'utf8').digest()
        : createHash('md5').update(`${secret}${text}${secret}`, 'utf8').digest();
  return digest.toString('hex').toUpperCase();
}

/**
 * JSON.parse, keeping integers too long for a double (tid, oid: 19 digits) as their digits in a string. Strings are
 * matched first so digits inside them are never touched.
 */
export function parseTopJson(text: string): unknown {
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|(?<![\w.])-?\d{16,}(?![\d.eE])/g, (m) => (m.startsWith('"') ? m : `"${m}"`)));
}

const containsMask = (s: string | undefined) => typeof s === 'string' && s.includes('*');

/** The trade as the hub's order: lines, shipping and discounts add up to Taobao's `payment` to the fen. */
export function normalizeTaobaoTrade(t: TopTrade): NormalizedOrder {
  const tid = str(t.tid_str) || str(t.tid);
  if (!/^\d{1,30}$/.test(tid)) fail('tid is missing');
  const c = 'CNY';
  const minor = (v: unknown, field: string) => decimalToMinor(str(v) || '0', c, `${field} of trade ${tid}`);
  const status = str(t.status);
  const meaning = meaningOf(taobaoStatusDictionary, status, 'Taobao');
  const created = parseTaobaoTime(t.created) ?? fail(`created of ${tid} must be yyyy-MM-dd HH:mm:ss`);
  const modified = parseTaobaoTime(t.modified) ?? fail(`modified of ${tid} must be yyyy-MM-dd HH:mm:ss`);
  const orders = t.orders?.order;
  if (!Array.isArray(orders) || orders.length === 0) fail(`trade ${tid} has no orders`);
  let sellerOrderLevel = 0;
  const lines: OrderLineInput[] = orders.map((o, i) => {
    const quantity = Number(o.num);
    if (!Number.isSafeInteger(quantity) || quantity <= 0) fail(`orders[${i}].num of ${tid} must be a positive integer`);
    const unitPrice = minor(o.price, `orders[${i}].price`);
    // Order.total_fee = price * num + adjust_fee - discount_fee (the line after its own promotions and the seller's
    // manual price change). A manual increase comes out as a negative discount, so the parts still add up.
    const lineTotal =
      o.total_fee !== undefined
        ? minor(o.total_fee, `orders[${i}].total_fee`)
        : unitPrice * quantity + minor(o.adjust_fee, `orders[${i}].adjust_fee`) - minor(o.discount_fee, `orders[${i}].discount_fee`);
    // part_mjz_discount: the trade-level shop promotions (满减, shop coupons) apportioned to this line.
    sellerOrderLevel += minor(o.part_mjz_discount, `orders[${i}].part_mjz_discount`);
    const sku = str(o.outer_sku_id) || str(o.outer_iid) || (str(o.sku_id) ? `sku-${str(o.sku_id)}` : `item-${str(o.num_iid) || str(o.oid_str) || str(o.oid)}`);
    const oid = str(o.oid_str) || str(o.oid);
    return { sku, title: str(o.title) || sku, quantity, unitPrice, discount: unitPrice * quantity - lineTotal, ...(oid ? { platformLineId: oid } : {}) };
  });
  const payment = minor(t.payment, 'payment');
  // Taobao's `payment` (实付金额) is what the buyer pays: goods after line promotions, plus post_fee, less the shop's
  // trade-level promotions (Σ part_mjz_discount, seller-borne) and less what the platform subsidises
  // (platform_subsidy_fee). Points, red packets and 购物金 the buyer spends are means of payment inside `payment`.
  const discountPlatform = minor(t.platform_subsidy_fee, 'platform_subsidy_fee');
  const stepPaid = t.step_trade_status === 'FRONT_PAID_FINAL_NOPAID' ? minor(t.step_paid_fee, 'step_paid_fee') : 0;
  const codUnpaid = t.type === 'cod' && status !== 'TRADE_BUYER_SIGNED' && status !== 'TRADE_FINISHED';
  const paidAmount = taobaoPaidStatuses.has(status) ? (codUnpaid ? 0 : payment) : stepPaid;
  const name = str(t.receiver_name);
  const phone = str(t.receiver_mobile) || str(t.receiver_phone);
  const address = str(t.receiver_address);
  const masked = Boolean(t.oaid) || containsMask(name) || containsMask(phone) || containsMask(address);
  return {
    platformOrderId: tid,
    status: meaning.status,
    hold: meaning.hold,
    platformStatus: status,
    platformTotal: payment,
    // Under Taobao's privacy rules the receiver comes masked (张**, 138****1234) with an oaid to decrypt it: kept as given.
    receiverProtection: masked ? 'masked' : undefined,
    platformCreatedAt: created,
    sourceUpdatedAt: modified,
    currency: c,
    buyer: { id: str(t.buyer_open_uid) || undefined, name: str(t.buyer_nick) || undefined },
    receiver: {
      name: name || '-',
      phone,
      province: str(t.receiver_state),
      // Province-administered counties come in receiver_district only (TOP's note): that is then the city.
      city: str(t.receiver_city) || str(t.receiver_district),
      district: str(t.receiver_district),
      address: address || '-',
    },
    lines,
    shippingFee: minor(t.post_fee, 'post_fee'),
    discountPlatform,
    discountSeller: sellerOrderLevel,
    tax: 0,
    paidAmount,
    platformTrackingNos: distinctNumbers(orders.map((o) => o.invoice_no)),
  };
}

interface TopError {
  code?: unknown;
  msg?: unknown;
  sub_code?: unknown;
  sub_msg?: unknown;
}

function pullErrorFor(method: string, e: TopError): PullError {
  const code = str(e.code) || 'UNKNOWN';
  const sub = str(e.sub_code);
  const message = `Taobao ${method}: ${code} ${str(e.msg)}${sub ? ` (${sub}: ${str(e.sub_msg)})` : ''}`;
  // Code 7 App Call Limited (sub_code accesscontrol.limited-by-*), or isp/isv call limits: "This ban will last for N more seconds".
  if (code === '7' || sub.startsWith('accesscontrol.limited') || /call-limited/.test(sub)) {
    const seconds = /(\d+)\s*more seconds/.exec(str(e.sub_msg));
    return new PullError(code, message, { rateLimited: true, retryAfterMs: seconds ? Number(seconds[1]) * 1000 : callLimitedBackoffMs });
  }
  return new PullError(code, message, authCodes.has(code) || authSubCodes.has(sub) ? { authFailed: true } : {});
}

/** One signed call to the TOP router: the method's response object, or the TOP error as a PullError. */
async function topCall(ctx: PullContext<TaobaoCredentials>, method: string, business: Record<string, string>): Promise<Record<string, unknown>> {
  const c = ctx.credentials;
  const signMethod = c.signMethod ?? 'md5';
  const params: Record<string, string> = {
    method,
    app_key: c.appKey,
    session: c.session,
    timestamp: formatTaobaoTime(ctx.now()),
    format: 'json',
    v: '2.0',
    sign_method: signMethod,
    ...business,
  };
  params.sign = taobaoSign(params, c.appSecret, signMethod);
  let res: Response;
  let text: string;
  try {
    res = await ctx.fetch(`${(c.apiBase ?? productionBase).replace(/\/+$/, '')}${routerPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      body: new URLSearchParams(params).toString(),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    text = await res.text();
  } catch (e) {
    throw new PullError('NETWORK', `Taobao ${method}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let body: unknown;
  try {
    body = parseTopJson(text);
  } catch {
    throw new PullError(res.ok ? 'BAD_RESPONSE' : `HTTP_${res.status}`, `Taobao ${method} answered HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  const b = body as Record<string, unknown> | null;
  const err = b?.error_response;
  if (err && typeof err === 'object') throw pullErrorFor(method, err as TopError);
  if (!res.ok) throw new PullError(`HTTP_${res.status}`, `Taobao ${method} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const key = `${method.replace(/^taobao\./, '').replaceAll('.', '_')}_response`;
  const r = b?.[key];
  if (!r || typeof r !== 'object') throw new PullError('BAD_RESPONSE', `Taobao ${method}: no ${key} in the answer`);
  return r as Record<string, unknown>;
}

interface Page {
  trades: TopTrade[];
  total: number;
}

async function listPage(ctx: PullContext<TaobaoCredentials>, start: string, end: string, page: number): Promise<Page> {
  const r = await topCall(ctx, listMethod, {
    fields: tradeFields,
    start_modified: start,
    end_modified: end,
    type: tradeTypes,
    page_no: String(page),
    page_size: String(pageSize),
    // The total is needed to page from the last page back (below), so has_next paging is not asked for.
    use_has_next: 'false',
  });
  const total = Number(r.total_results ?? 0);
  const wrapped = r.trades as { trade?: unknown } | undefined;
  const trades = wrapped === undefined ? [] : wrapped.trade;
  if (!Array.isArray(trades) || !Number.isSafeInteger(total) || total < 0) throw new PullError('BAD_RESPONSE', `Taobao ${listMethod}: trades/total_results malformed`);
  return { trades: trades as TopTrade[], total };
}

/** A trade the list gave without the fields the hub needs is read in full. */
async function complete(ctx: PullContext<TaobaoCredentials>, t: TopTrade): Promise<TopTrade> {
  if (Array.isArray(t.orders?.order) && t.payment !== undefined && t.status !== undefined && t.modified !== undefined) return t;
  const tid = str(t.tid_str) || str(t.tid);
  if (!tid) throw new PullError('INVALID_ORDER', `Taobao ${listMethod} returned a trade without tid`);
  const r = await topCall(ctx, detailMethod, { tid, fields: tradeFields });
  const full = r.trade;
  if (!full || typeof full !== 'object') throw new PullError('BAD_RESPONSE', `Taobao ${detailMethod}: no trade ${tid} in the answer`);
  return full as TopTrade;
}

async function toPulled(ctx: PullContext<TaobaoCredentials>, trades: TopTrade[]): Promise<PulledOrder[]> {
  const out: PulledOrder[] = [];
  for (const listed of trades) {
    const t = await complete(ctx, listed);
    const modified = parseTaobaoTime(t.modified);
    // The platform's window is whole seconds and inclusive: keep exactly [from, to).
    if (modified !== null && (modified < ctx.from || modified >= ctx.to)) continue;
    let order: NormalizedOrder;
    try {
      order = normalizeTaobaoTrade(t);
    } catch (e) {
      throw new PullError('INVALID_ORDER', e instanceof Error ? e.message : String(e));
    }
    // Big ids were read as strings: the stored body keeps their digits exactly.
    out.push({ eventId: `${order.platformOrderId}@${order.sourceUpdatedAt}`, rawBody: Buffer.from(JSON.stringify(t), 'utf8'), order });
  }
  return out;
}

export const taobao: ChannelAdapter<TaobaoCredentials> = {
  platform: 'taobao',
  label: 'Taobao/Tmall',
  statusDictionary: taobaoStatusDictionary,
  credentialFields: [
    { name: 'appKey', label: 'App key', hint: 'the TOP app key' },
    { name: 'appSecret', label: 'App secret', secret: true, hint: 'signs every TOP call' },
    { name: 'session', label: 'Seller session', secret: true, hint: "the seller's access token (TOP session) for this app" },
    { name: 'signMethod', label: 'Sign method', optional: true, hint: 'md5 (default), hmac or hmac-sha256' },
    { name: 'apiBase', label: 'API base', optional: true, hint: 'default https://eco.taobao.com' },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof TaobaoCredentials, unknown>> | null;
    const problems: string[] = [];
    if (typeof x?.appKey !== 'string' || !/^\d{6,12}$/.test(x.appKey)) problems.push('credentials.appKey must be the TOP app key (digits)');
    if (typeof x?.appSecret !== 'string' || x.appSecret.length < 16) problems.push('credentials.appSecret must be the TOP app secret (16 characters or more)');
    if (typeof x?.session !== 'string' || !/^[\x21-\x7e]{8,200}$/.test(x.session)) problems.push("credentials.session must be the seller's TOP session (access token)");
    if (x?.signMethod !== undefined && !(taobaoSignMethods as readonly unknown[]).includes(x.signMethod)) {
      problems.push(`credentials.signMethod must be one of ${taobaoSignMethods.join(', ')}`);
    }
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  /** Trades named by a TMC message, read in full (taobao.trade.fullinfo.get); a trade TOP no longer has is left out. */
  async fetchOrders(ctx, ids) {
    const out: PulledOrder[] = [];
    for (const tid of ids) {
      if (!/^\d{1,30}$/.test(tid)) continue;
      let full: TopTrade;
      try {
        full = await complete({ ...ctx, from: 0, to: 0 }, { tid } as TopTrade);
      } catch (e) {
        if (e instanceof PullError && e.message.includes('trade-not-exist')) continue;
        throw e;
      }
      const order = normalizeTaobaoTrade(full);
      out.push({ eventId: `${order.platformOrderId}@${order.sourceUpdatedAt}`, rawBody: Buffer.from(JSON.stringify(full), 'utf8'), order });
    }
    return out;
  },

  /** A stored pulled order read again (replay after a mapping fix). */
  parsePulled(rawBody) {
    let o: unknown;
    try {
      o = parseTopJson(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    return [normalizeTaobaoTrade(o as TopTrade)];
  },

  pullDescription:
    `${listMethod} (start_modified/end_modified, GMT+8, at most one day; page_size ${pageSize}, read from the last page back), ` +
    `then ${detailMethod} for a trade the list gave in part, on ${productionBase}${routerPath}. Signed by TOP's rule: ` +
    'every parameter but sign sorted by name as k1v1k2v2…; md5 = UPPER(hex(MD5(secret+str+secret))), hmac = HmacMD5, hmac-sha256 = HmacSHA256 keyed by the app secret.',
  maxPullWindowMs: maxWindowMs,

  async *pull(ctx) {
    if (ctx.to - ctx.from > maxWindowMs) throw new PullError('WINDOW_TOO_WIDE', 'Taobao windows are at most one day');
    // TOP reads whole seconds, both ends inclusive: [ceil(from), to − 1 ms] asks for exactly [from, to).
    const startMs = Math.ceil(ctx.from / 1000) * 1000;
    const endMs = Math.floor((ctx.to - 1) / 1000) * 1000;
    if (endMs < startMs) return;
    const start = formatTaobaoTime(startMs);
    const end = formatTaobaoTime(endMs);
    const first = await listPage(ctx, start, end, 1);
    yield await toPulled(ctx, first.trades);
    if (first.total <= pageSize) return;
    // The list is newest-modified first. A trade modified while we page leaves the window and shifts the later pages
    // up; reading from the last page back (as TOP advises, 从后往前翻页) turns that shift into a repeat, never a miss.
    // Page 1 is read again at the end because it was read before the others.
    for (let page = Math.ceil(first.total / pageSize); page >= 2; page--) {
      yield await toPulled(ctx, (await listPage(ctx, start, end, page)).trades);
    }
    yield await toPulled(ctx, (await listPage(ctx, start, end, 1)).trades);
  },

  shipBack: shipBackTaobao,
  trackingCorrection: 'taobao.logistics.consign.resend (the same tid and sub-orders, the new out_sid and company_code)',
  setRemark: setRemarkTaobao,
  pullListings: pullTaobaoListings,
  setStock: setTaobaoStock,
  // TOP limits calls per app and API from the app's console (流量控制, code 7 / accesscontrol.limited-by-*); no public
  // per-second figure was found. Assumed 5 requests/s per app and shop; paced at 4 (80 %: room for the network's
  // jitter), evenly spaced. Override with ORDERHUB_PLATFORM_WRITE_RATES when the app's console says otherwise.
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
};
