// Douyin shop (抖店, op.jinritemai.com). Facts from the official Go SDK `doudian.com/open/sdk_golang` (vendored in
// github zsmhub/doudian-sdk: utils/sign_util.go, core/doudian_op_api_client.go, message/doudian_sign.go,
// message/doudian_message.go, api/order_searchList) and the platform's error-code table (guide-docs/212/1427).
//
// Push (消息推送): POST of a JSON array [{tag, msg_id, data}] where `data` is itself a JSON string; header
// `event-sign` = hex MD5(app_key + raw body + app_secret), `app-id` = the app key; reply {"code":0,"msg":"success"}.
// The messages say that an order changed (p_id, s_ids, order_status, a few amounts), never what the order is (no
// goods lines, no receiver, no amount breakdown), so a push is kept as a raw event and brings no order: the pull of
// order.searchList brings the whole order. Adding the push URL sends a test message of tag "0", answered and not kept.
//
// Pull: POST {apiBase}/order/searchList?app_key&method&timestamp&v=2&sign&sign_method&access_token, body = param_json
// (the business parameters, keys sorted, no spaces, no HTML escaping); sign over
// app_secret + "app_key"… + "method"… + "param_json"… + "timestamp"… + "v2" + app_secret.
// Amounts are integer fen; buyer data arrives encrypted (encrypt_post_receiver/tel, post_addr.encrypt_detail).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { HubError } from '../../../../kernel/errors.ts';
import type { NormalizedOrder, OrderLineInput, Receiver } from '../../../orders/domain/order.ts';
import { headerValue, meaningOf, PullError, type ChannelAdapter, type PullContext, type PulledOrder, apiBaseProblems } from '../types.ts';
import { douyinRawStatus, douyinStatusDictionary } from './status.ts';
import { shipBackDouyin } from './ship-back.ts';
import { setRemarkDouyin } from './remark.ts';
import { pullDouyinListings } from './listings.ts';
import { setStockDouyin } from './stock.ts';
import { distinctNumbers } from '../tracking-numbers.ts';

export type DouyinSignMethod = 'md5' | 'hmac-sha256';

export interface DouyinCredentials {
  /** The app's app_key (19 digits), sent as `app-id` on pushes. */
  appKey: string;
  /** The app's app_secret: signs API calls and pushes. */
  appSecret: string;
  /** The shop's access_token (expires; refreshing it is the operator's or a token job's concern). */
  accessToken: string;
  /** How API calls are signed; the official SDK uses hmac-sha256. */
  signMethod?: DouyinSignMethod;
  /** The shop id, for people (not used in signing). */
  shopId?: string;
  /** Replaces https://openapi-fxg.jinritemai.com (a simulator or the sandbox). */
  apiBase?: string;
}

const productionApi = 'https://openapi-fxg.jinritemai.com';
/** order.searchList takes at most 100 a page. */
const maxPageSize = 100;

// ---------------------------------------------------------------------------------------------------------------
// JSON as Douyin writes it: ids such as product_id, sku_id and the pushes' p_id are 19-digit JSON numbers, beyond
// what a double holds. They are read as strings, and each order's raw bytes are cut from the response unchanged.

function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (s[i] === ' ' || s[i] === '\n' || s[i] === '\r' || s[i] === '\t')) i++;
  return i;
}

/** Where the JSON value starting at `i` ends (the text is known to be valid JSON). */
function valueEnd(s: string, i: number): number {
  i = skipSpace(s, i);
  const c = s[i];
  if (c === '"') return stringEnd(s, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s[j];
      if (d === '"') j = stringEnd(s, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new SyntaxError('unterminated container');
  }
  let j = i;
  while (j < s.length && !',]} \n\r\t'.includes(s[j] as string)) j++;
  return j;
}

/** JSON.parse, but integers a double cannot hold exactly come back as their decimal text. */
export function parseExactJson(text: string): unknown {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    if (c === '"') {
      i = stringEnd(text, i);
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9.eE+-]/.test(text[j] as string)) j++;
      const token = text.slice(i, j);
      if (/^-?\d{16,}$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += `${text.slice(last, i)}"${token}"`;
        last = j;
      }
      i = j;
    } else {
      i++;
    }
  }
  return JSON.parse(out + text.slice(last)) as unknown;
}

/** The raw text of each element of the array at `path` (object keys) in valid JSON text; null when absent. */
export function rawArrayItems(text: string, path: readonly string[]): string[] | null {
  let i = skipSpace(text, 0);
  for (const key of path) {
    if (text[i] !== '{') return null;
    i = skipSpace(text, i + 1);
    let found = false;
    while (text[i] !== '}') {
      const keyEnd = stringEnd(text, i);
      const name = JSON.parse(text.slice(i, keyEnd)) as string;
      const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
      if (name === key) {
        i = valueStart;
        found = true;
        break;
      }
      i = skipSpace(text, valueEnd(text, valueStart));
      if (text[i] === ',') i = skipSpace(text, i + 1);
    }
    if (!found) return null;
  }
  if (text[i] !== '[') return null;
  const items: string[] = [];
  i = skipSpace(text, i + 1);
  while (text[i] !== ']') {
    const end = valueEnd(text, i);
    items.push(text.slice(i, end));
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return items;
}

// ---------------------------------------------------------------------------------------------------------------
// Request signing (utils/sign_util.go)

function sortedJsonValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedJsonValue);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, sortedJsonValue(o[k])]),
    );
  }
  return v;
}

/**
 * param_json as the SDK writes it: Go's encoding/json over a map (keys sorted at every level, no spaces) with HTML
 * escaping off. Go still writes U+2028/U+2029 escaped, which JSON.stringify does not.
 */
export function douyinParamJson(params: Record<string, unknown>): string {
  return JSON.stringify(sortedJsonValue(params)).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function douyinRequestSign(secret: string, method: DouyinSignMethod, p: { appKey: string; method: string; paramJson: string; timestamp: string }): string {
  const pattern = `${secret}app_key${p.appKey}method${p.method}param_json${p.paramJson}timestamp${p.timestamp}v2${secret}`;
  return method === 'md5' ? createHash('md5').update(pattern, 'utf8').digest('hex') : createHmac('sha256', secret).update(pattern, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// The order (order.searchList shop_order_list item)

interface Region {
  name?: string;
  id?: string;
}
interface DouyinAddress {
  province?: Region | null;
  city?: Region | null;
  town?: Region | null;
  street?: Region | null;
  detail?: string;
  encrypt_detail?: string;
}
interface DouyinSkuOrder {
  order_id?: string | number;
  sku_id?: string | number;
  product_id?: string | number;
  code?: string;
  out_sku_id?: string;
  product_name?: string;
  spec?: { name?: string; value?: string }[] | null;
  item_num?: number;
  origin_amount?: number;
  sum_amount?: number;
}
interface DouyinPhase {
  pay_success?: boolean;
  phase_pay_amount?: number;
}
export interface DouyinShopOrder {
  order_id: string | number;
  order_status: number | string;
  main_status?: number | string;
  create_time: number;
  update_time: number;
  pay_time?: number;
  order_amount: number;
  pay_amount: number;
  post_amount?: number;
  tax_amount?: number;
  promotion_amount?: number;
  promotion_shop_amount?: number;
  promotion_platform_amount?: number;
  promotion_talent_amount?: number;
  promotion_pay_amount?: number;
  shop_cost_amount?: number;
  platform_cost_amount?: number;
  doudian_open_id?: string;
  post_receiver?: string;
  encrypt_post_receiver?: string;
  mask_post_receiver?: string;
  post_tel?: string;
  encrypt_post_tel?: string;
  mask_post_tel?: string;
  post_addr?: DouyinAddress | null;
  mask_post_addr?: DouyinAddress | null;
  sku_order_list: DouyinSkuOrder[];
  order_phase_list?: DouyinPhase[] | null;
  /** The parcels sent (order.logisticsAdd, …MultiPack, as corrected by logisticsEdit): the ship-back's closed loop reads their numbers. */
  logistics_info?: { tracking_no?: unknown }[] | null;
}

function fail(message: string): never {
  throw new HubError('VALIDATION_FAILED', `Douyin order: ${message}`);
}

/** An amount in fen as Douyin sends it (a JSON integer); absent optional amounts are 0. */
function fen(v: unknown, field: string, required = false): number {
  if (v === undefined || v === null) return required ? fail(`${field} is required`) : 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${field} must be a non-negative integer amount in fen`);
  return v;
}

function seconds(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) fail(`${field} must be unix seconds`);
  return v * 1000;
}

function idText(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function isShopOrder(o: unknown): o is DouyinShopOrder {
  const x = o as Partial<DouyinShopOrder> | null;
  return Boolean(x && typeof x === 'object' && idText(x.order_id) && x.order_status !== undefined && Array.isArray(x.sku_order_list));
}

function receiverOf(o: DouyinShopOrder): { receiver: Receiver; protection: 'encrypted' | 'masked' | undefined } {
  const plainAddr = o.post_addr ?? null;
  const region = (a: DouyinAddress | null) => ({ province: a?.province?.name ?? '', city: a?.city?.name ?? '', district: a?.town?.name ?? '' });
  if (o.encrypt_post_receiver || o.encrypt_post_tel || plainAddr?.encrypt_detail) {
    // Stored as given: ciphertexts decrypt only through the platform's decryption API (order.batchDecrypt).
    return {
      receiver: {
        name: o.encrypt_post_receiver ?? '',
        phone: o.encrypt_post_tel ?? '',
        ...region(plainAddr),
        address: plainAddr?.encrypt_detail ?? '',
      },
      protection: 'encrypted',
    };
  }
  if (o.post_receiver || o.post_tel || plainAddr?.detail) {
    return {
      receiver: {
        name: o.post_receiver ?? '',
        phone: o.post_tel ?? '',
        ...region(plainAddr),
        address: `${plainAddr?.street?.name ?? ''}${plainAddr?.detail ?? ''}`,
      },
      protection: undefined,
    };
  }
  const masked = o.mask_post_addr ?? null;
  return {
    receiver: { name: o.mask_post_receiver ?? '', phone: o.mask_post_tel ?? '', ...region(masked), address: `${masked?.street?.name ?? ''}${masked?.detail ?? ''}` },
    protection: 'masked',
  };
}

/**
 * One shop order as the hub's order, in fen, the parts adding up to pay_amount (what the buyer pays).
 *
 * The SDK documents promotion_amount = promotion_shop_amount + promotion_platform_amount + promotion_talent_amount,
 * post_amount as the shipping charged (post_origin_amount − post_promotion_amount), sum_amount = origin_amount ×
 * item_num, and promotion_pay_amount as the payment channel's discount. Taken together: order_amount = Σ sum_amount −
 * promotion_amount + post_amount + tax_amount, and pay_amount = order_amount − promotion_pay_amount. Where an order's
 * numbers do not follow that (a 改价 not reflected in the lines, a packing fee), the hub holds it for AMOUNT_MISMATCH
 * rather than the adapter guessing.
 */
export function normalizeDouyinOrder(o: DouyinShopOrder): NormalizedOrder {
  const orderId = idText(o.order_id) ?? fail('order_id is required');
  const lines: OrderLineInput[] = o.sku_order_list.map((s, i) => {
    const at = `sku_order_list[${i}]`;
    const quantity = s.item_num;
    if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || quantity <= 0) fail(`${at}.item_num must be a positive integer`);
    const goods = s.sum_amount !== undefined ? fen(s.sum_amount, `${at}.sum_amount`) : fen(s.origin_amount, `${at}.origin_amount`, true) * quantity;
    // A line total that does not split evenly over the quantity: round the unit price up, the residue is a discount.
    const unitPrice = Math.ceil(goods / quantity);
    const spec = (s.spec ?? []).map((x) => x.value).filter(Boolean).join('/');
    return {
      sku: s.code || s.out_sku_id || `sku-${idText(s.sku_id) ?? idText(s.order_id) ?? i}`,
      title: `${s.product_name ?? ''}${spec ? `（${spec}）` : ''}` || '-',
      quantity,
      unitPrice,
      discount: unitPrice * quantity - goods,
    };
  });

  const shopPromo = fen(o.promotion_shop_amount, 'promotion_shop_amount');
  const platformPromo = fen(o.promotion_platform_amount, 'promotion_platform_amount');
  const talentPromo = fen(o.promotion_talent_amount, 'promotion_talent_amount');
  const promo = o.promotion_amount === undefined ? shopPromo + platformPromo + talentPromo : fen(o.promotion_amount, 'promotion_amount');
  // Who bears the discounts: shop_cost_amount / platform_cost_amount (platform + talent) when they split the
  // promotion total; otherwise who issued them (a shop's own coupons are the shop's; platform and talent ones are not).
  const bearer =
    o.shop_cost_amount !== undefined && o.platform_cost_amount !== undefined
      ? { seller: fen(o.shop_cost_amount, 'shop_cost_amount'), others: fen(o.platform_cost_amount, 'platform_cost_amount') }
      : null;
  const split = bearer && bearer.seller + bearer.others === promo ? bearer : { seller: shopPromo, others: platformPromo + talentPromo };
  // The payment channel's discount (支付优惠) is not the seller's either: the seller is paid order_amount.
  const discountPlatform = split.others + fen(o.promotion_pay_amount, 'promotion_pay_amount');

  const payAmount = fen(o.pay_amount, 'pay_amount', true);
  // order_amount (what the seller is owed before the payment channel's discount) must be sound, though the total the
  // hub checks against is pay_amount.
  fen(o.order_amount, 'order_amount', true);
  const rawStatus = douyinRawStatus(o.order_status, o.main_status);
  const meaning = meaningOf(douyinStatusDictionary, rawStatus, 'Douyin');
  const orderStatus = String(o.order_status);
  let paidAmount: number;
  if (orderStatus === '1') paidAmount = 0;
  else if (orderStatus === '103') {
    // Presale: the phases paid so far (定金).
    paidAmount = (o.order_phase_list ?? []).reduce((a, p, i) => a + (p.pay_success ? fen(p.phase_pay_amount, `order_phase_list[${i}].phase_pay_amount`) : 0), 0);
  } else if (orderStatus === '4') paidAmount = o.pay_time ? payAmount : 0;
  else paidAmount = Object.hasOwn(douyinStatusDictionary, orderStatus) ? payAmount : o.pay_time ? payAmount : 0;

  const { receiver, protection } = receiverOf(o);
  const sentNumbers = distinctNumbers((Array.isArray(o.logistics_info) ? o.logistics_info : []).map((l) => l?.tracking_no));
  return {
    platformOrderId: orderId,
    ...(sentNumbers.length ? { platformTrackingNos: sentNumbers } : {}),
    status: meaning.status,
    hold: meaning.hold,
    platformStatus: rawStatus,
    platformTotal: payAmount,
    receiverProtection: protection,
    platformCreatedAt: seconds(o.create_time, 'create_time'),
    sourceUpdatedAt: seconds(o.update_time, 'update_time'),
    currency: 'CNY',
    buyer: { id: o.doudian_open_id || undefined },
    receiver,
    lines,
    shippingFee: fen(o.post_amount, 'post_amount'),
    discountPlatform,
    discountSeller: split.seller,
    tax: fen(o.tax_amount, 'tax_amount'),
    paidAmount,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Push

interface PushMessage {
  tag: string;
  msgId: string;
  data: string;
}

const msgIdPattern = /^[\x21-\x7e]{1,128}$/;

function invalidJson(e: unknown): never {
  // V8's message may quote the body around the fault; say where, not what.
  const at = /position (\d+)/.exec((e as Error).message)?.[1];
  throw new HubError('BODY_INVALID_JSON', `body is not valid JSON${at ? ` (at byte ${at})` : ''}`);
}

function pushMessages(rawBody: Buffer): PushMessage[] {
  let body: unknown;
  try {
    body = parseExactJson(rawBody.toString('utf8'));
  } catch (e) {
    invalidJson(e);
  }
  if (!Array.isArray(body) || body.length === 0) throw new HubError('VALIDATION_FAILED', 'a Douyin push is a non-empty JSON array of messages');
  return body.map((m: unknown, i) => {
    const x = m as { tag?: unknown; msg_id?: unknown; data?: unknown } | null;
    const tag = x && (typeof x.tag === 'string' || typeof x.tag === 'number') ? String(x.tag) : null;
    const msgId = x && (typeof x.msg_id === 'string' || typeof x.msg_id === 'number') ? String(x.msg_id) : null;
    if (!tag) throw new HubError('VALIDATION_FAILED', `message ${i} has no tag`);
    if (!msgId || !msgIdPattern.test(msgId)) throw new HubError('EVENT_ID_MISSING', `message ${i} has no usable msg_id`);
    if (typeof x?.data !== 'string') throw new HubError('VALIDATION_FAILED', `message ${i}: data must be a JSON string`);
    return { tag, msgId, data: x.data };
  });
}

/** The order ids (p_id) the messages name, read exactly (they are 19-digit numbers). */
function orderIdsOf(messages: PushMessage[]): string[] {
  const ids = new Set<string>();
  for (const m of messages) {
    try {
      const d = parseExactJson(m.data) as { p_id?: unknown } | null;
      const id = idText(d?.p_id);
      if (id) ids.add(id);
    } catch {
      // A message whose data is not JSON (the test message carries a time string) names no order.
    }
  }
  return [...ids];
}

function digest(method: string, key: string, secret: string, body: Buffer): Buffer | null {
  const signed = Buffer.concat([Buffer.from(key, 'utf8'), body, Buffer.from(secret, 'utf8')]);
  if (method === 'md5') return createHash('md5').update(signed).digest();
  // The HMAC variant third-party integrations report (not in the official SDK): keyed by the secret, same message.
  if (method === 'hmac-sha256') return createHmac('sha256', secret).update(signed).digest();
  return null;
}

function clip(s: string, n = 500): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// ---------------------------------------------------------------------------------------------------------------
// Pull

interface ApiAnswer {
  code?: unknown;
  msg?: unknown;
  sub_code?: unknown;
  sub_msg?: unknown;
  log_id?: unknown;
}

/** Sub-codes under 40001/40003 that mean the app's key, secret, signature or token are wrong (guide-docs/212/1427). */
const authSubCodes = new Set([
  'isv.signature-missing',
  'isv.app-id-missing',
  'isv.access-token-missing',
  'isv.signature-invalid',
  'isv.access-token-expired',
  'isv.access-token-no-existed',
  'isv.access-token-invalid',
  'isv.app-id-invalid',
  'isv.app-id-expired',
  'isv.authorization-type-invalid',
]);

function apiError(a: ApiAnswer): PullError {
  const code = String(a.code ?? 'UNKNOWN');
  const sub = typeof a.sub_code === 'string' ? a.sub_code : '';
  const text = [a.msg, a.sub_msg].filter((x) => typeof x === 'string' && x).join(': ');
  const message = `Douyin answered ${code}${sub ? ` ${sub}` : ''}${text ? ` (${text})` : ''}${typeof a.log_id === 'string' ? ` log_id ${a.log_id}` : ''}`;
  // 60000 触发限流: the platform's limits are per second.
  if (code === '60000') return new PullError(code, message, { rateLimited: true, retryAfterMs: 1000 });
  // 30001 no permission or the shop's authorisation is gone, 30002 the caller's IP is not whitelisted.
  if (code === '30001' || code === '30002' || ((code === '40001' || code === '40003') && authSubCodes.has(sub))) {
    return new PullError(code, message, { authFailed: true });
  }
  return new PullError(sub ? `${code}:${sub}` : code, message);
}

async function callApi(ctx: PullContext<DouyinCredentials>, method: string, params: Record<string, unknown>): Promise<{ text: string }> {
  const c = ctx.credentials;
  const signMethod = c.signMethod ?? 'hmac-sha256';
  const paramJson = douyinParamJson(params);
  // The official SDK sends unix seconds.
  const timestamp = String(Math.floor(ctx.now() / 1000));
  const sign = douyinRequestSign(c.appSecret, signMethod, { appKey: c.appKey, method, paramJson, timestamp });
  const query = new URLSearchParams({ app_key: c.appKey, method, timestamp, v: '2', sign, sign_method: signMethod, access_token: c.accessToken });
  const base = (c.apiBase ?? productionApi).replace(/\/+$/, '');
  let res: Response;
  try {
    res = await ctx.fetch(`${base}/${method.replaceAll('.', '/')}?${query.toString()}`, {
      method: 'POST',
      // x-open-no-old-err-code: the current error codes (60000 rate limit, 40003 …), as the SDK asks for them.
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-open-no-old-err-code': '1' },
      body: paramJson,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (e) {
    throw new PullError('NETWORK', `Douyin ${method}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = await res.text();
  if (!res.ok) {
    throw new PullError(`HTTP_${res.status}`, `Douyin ${method} answered HTTP ${res.status}`, res.status === 429 ? { rateLimited: true, retryAfterMs: 1000 } : {});
  }
  let answer: ApiAnswer;
  try {
    answer = parseExactJson(text) as ApiAnswer;
  } catch {
    throw new PullError('BODY_INVALID_JSON', `Douyin ${method} answered something that is not JSON`);
  }
  if (!answer || typeof answer !== 'object') throw new PullError('BODY_INVALID_JSON', `Douyin ${method} answered something that is not an object`);
  if (answer.code !== 10000) throw apiError(answer);
  return { text };
}

/** Orders modified in [from, to), page by page (order.searchList by update_time, oldest first). */
export async function* pullDouyinOrders(ctx: PullContext<DouyinCredentials>, pageSize = maxPageSize): AsyncGenerator<PulledOrder[], void, void> {
  const size = Math.max(1, Math.min(maxPageSize, Math.floor(pageSize)));
  // Whole seconds on the platform: ask for a window that covers [from, to) and keep exactly what falls in it.
  let start = Math.floor(ctx.from / 1000);
  const end = Math.ceil(ctx.to / 1000);
  // An order changed while we page leaves the result set and would shift the next page past one we never saw. So
  // after each full page the window restarts at the last update_time read (page 0 again); only a full page within
  // one second moves on by page number. Orders already taken are skipped.
  const seen = new Set<string>();
  let page = 0;
  for (;;) {
    const { text } = await callApi(ctx, 'order.searchList', {
      update_time_start: start,
      update_time_end: end,
      order_by: 'update_time',
      order_asc: true,
      page,
      size,
    });
    const items = rawArrayItems(text, ['data', 'shop_order_list']) ?? [];
    const out: PulledOrder[] = [];
    let last = start;
    for (const raw of items) {
      const parsed = parseExactJson(raw);
      if (!isShopOrder(parsed)) throw new PullError('VALIDATION_FAILED', 'Douyin order.searchList returned an item that is not a shop order');
      let order: NormalizedOrder;
      try {
        order = normalizeDouyinOrder(parsed);
      } catch (e) {
        throw new PullError('VALIDATION_FAILED', e instanceof Error ? e.message : String(e));
      }
      last = Math.max(last, order.sourceUpdatedAt / 1000);
      const eventId = `${order.platformOrderId}@${order.sourceUpdatedAt}`;
      if (seen.has(eventId) || order.sourceUpdatedAt < ctx.from || order.sourceUpdatedAt >= ctx.to) continue;
      seen.add(eventId);
      out.push({ eventId, rawBody: Buffer.from(raw, 'utf8'), order });
    }
    if (out.length > 0) yield out;
    if (items.length < size) return;
    if (last > start) {
      start = last;
      page = 0;
    } else {
      page++;
    }
  }
}

export const douyin: ChannelAdapter<DouyinCredentials> = {
  platform: 'douyin',
  label: 'Douyin shop (抖店)',
  statusDictionary: douyinStatusDictionary,
  pushDescription:
    'Douyin shop message push (消息推送): a JSON array of {tag, msg_id, data (a JSON string)}; header event-sign = ' +
    'hex MD5(app_key + raw body + app_secret) (hex HMAC-SHA256 keyed by app_secret over the same text when sign-method: ' +
    'hmac-sha256), app-id = the app key. Deduplicated on msg_id (several messages: their msg_ids joined). Messages ' +
    'carry no whole order: each is kept as a raw event and the pull brings the order. The tag "0" test message is ' +
    'answered and not kept. Answer: {"code":0,"msg":"success"}.',
  /** A stored pulled order read again (replay after a mapping fix). */
  parsePulled(rawBody) {
    let o: unknown;
    try {
      o = parseExactJson(rawBody.toString('utf8'));
    } catch {
      throw new HubError('BODY_INVALID_JSON', 'the stored order is not valid JSON');
    }
    return [normalizeDouyinOrder(o as DouyinShopOrder)];
  },

  pullDescription:
    'order.searchList by update_time (page from 0, 100 a page): POST {apiBase}/order/searchList?app_key&method&timestamp ' +
    '(unix seconds)&v=2&sign&sign_method&access_token with the business parameters as the body (param_json: keys sorted, ' +
    'no spaces); sign = hex MD5 or HMAC-SHA256(app_secret) of app_secret + "app_key"… "method"… "param_json"… ' +
    '"timestamp"… "v2" + app_secret.',
  // No documented cap on the update-time window was found; a day keeps each query modest.
  maxPullWindowMs: 24 * 60 * 60 * 1000,
  credentialFields: [
    { name: 'appKey', label: 'App key', hint: 'app_key, 19 digits' },
    { name: 'appSecret', label: 'App secret', secret: true, hint: 'app_secret: signs API calls and pushes' },
    { name: 'accessToken', label: 'Access token', secret: true, hint: "the shop's access_token" },
    { name: 'signMethod', label: 'Sign method', optional: true, hint: 'hmac-sha256 (default) or md5' },
    { name: 'shopId', label: 'Shop id', optional: true },
    { name: 'apiBase', label: 'API base URL', optional: true, hint: `default ${productionApi}` },
  ],

  credentialProblems(c) {
    const x = c as Partial<Record<keyof DouyinCredentials, unknown>> | null;
    const problems: string[] = [];
    if (typeof x?.appKey !== 'string' || !/^\d{1,32}$/.test(x.appKey)) problems.push('credentials.appKey must be the app_key (digits)');
    if (typeof x?.appSecret !== 'string' || x.appSecret.length < 8 || x.appSecret.length > 256) problems.push('credentials.appSecret must be the app_secret');
    if (typeof x?.accessToken !== 'string' || x.accessToken.length === 0 || x.accessToken.length > 512) problems.push("credentials.accessToken must be the shop's access_token");
    if (x?.signMethod !== undefined && x.signMethod !== 'md5' && x.signMethod !== 'hmac-sha256') problems.push('credentials.signMethod must be md5 or hmac-sha256');
    if (x?.shopId !== undefined && (typeof x.shopId !== 'string' || !/^\d{1,32}$/.test(x.shopId))) problems.push('credentials.shopId must be digits');
    problems.push(...apiBaseProblems(x?.apiBase));
    return problems;
  },

  verifyPush(req, credentials) {
    const sign = headerValue(req.headers['event-sign']);
    if (!sign) throw new HubError('SIGNATURE_MISSING', 'event-sign header is required');
    const appId = headerValue(req.headers['app-id']);
    if (!appId) throw new HubError('SIGNATURE_MISSING', 'app-id header is required');
    const signMethod = (headerValue(req.headers['sign-method']) ?? 'md5').trim().toLowerCase();
    const expected = digest(signMethod, credentials.appKey, credentials.appSecret, req.rawBody);
    if (!expected) throw new HubError('SIGNATURE_INVALID', `sign-method ${JSON.stringify(signMethod.slice(0, 40))} is not md5 or hmac-sha256`);
    const given = /^[0-9a-fA-F]+$/.test(sign) && sign.length === expected.length * 2 ? Buffer.from(sign, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HubError('SIGNATURE_INVALID', 'event-sign does not match the body');
    // The signature is checked with this account's key; a push naming another app is not this account's.
    if (appId !== credentials.appKey) throw new HubError('SIGNATURE_INVALID', `the push is for app ${clip(appId, 40)}, but this account is app ${credentials.appKey}`);

    const messages = pushMessages(req.rawBody);
    const tags = messages.map((m) => m.tag);
    const kept: Record<string, string> = { 'app-id': appId, 'douyin-tags': clip(tags.join(',')) };
    if (headerValue(req.headers['sign-method'])) kept['sign-method'] = signMethod;
    // The test message sent when the push URL is saved ([{"tag":"0","msg_id":"0","data":"<time>"}]).
    if (tags.every((t) => t === '0')) return { eventId: `test:${messages[0]?.msgId ?? '0'}`, keptHeaders: kept, ping: true };
    const ids = messages.map((m) => m.msgId);
    // One message: its msg_id (a redelivery repeats it). Several: their msg_ids in the order sent, so the same batch
    // again is one event (a message regrouped into another batch is kept again as a raw event, which is harmless:
    // messages bring no order).
    const joined = ids.join(',');
    const eventId = ids.length === 1 ? joined : joined.length <= 200 ? joined : `msgs:${createHash('sha256').update(joined).digest('hex').slice(0, 40)}`;
    kept['douyin-msg-ids'] = clip(joined);
    const orderIds = orderIdsOf(messages);
    if (orderIds.length > 0) kept['douyin-order-ids'] = clip(orderIds.join(','));
    return { eventId, keptHeaders: kept };
  },

  /**
   * No message carries a whole order (trade messages give p_id, s_ids, order_status and at most one amount; none has
   * the goods lines, the receiver or the amount breakdown), so none becomes an order here: the raw event is kept and
   * the pull of order.searchList brings the order (the kept `douyin-order-ids` names which).
   */
  parsePush() {
    return [];
  },

  // The hub fetches the named orders at once: order.searchList around the messages' update_time finds them.
  announcedOrders(rawBody) {
    const messages = pushMessages(rawBody);
    const ids = orderIdsOf(messages);
    let at: number | undefined;
    for (const m of messages) {
      try {
        // Each tag names its moment: update_time (shipped), pay_time, complete_time, cancel_time, create_time.
        const d = parseExactJson(m.data) as Record<string, unknown> | null;
        for (const f of ['update_time', 'pay_time', 'complete_time', 'cancel_time', 'create_time']) {
          const t = d?.[f];
          if (typeof t === 'number' && Number.isSafeInteger(t) && t > 0) at = Math.max(at ?? 0, t * 1000);
        }
      } catch {
        // data that is not JSON names no time
      }
    }
    return ids.length ? { ids, at } : null;
  },

  successBody() {
    return { code: 0, msg: 'success' };
  },

  pull(ctx) {
    return pullDouyinOrders(ctx);
  },
  shipBack: shipBackDouyin,
  trackingCorrection: 'order.logisticsEdit (an order sent as one parcel) or order.logisticsEditByPack (one of several parcels, by its pack id)',
  setRemark: setRemarkDouyin,
  pullListings: pullDouyinListings,
  setStock: setStockDouyin,
  // 抖店 limits per app and API per second (60000 触发限流); the figures are per app in its console, none public.
  // Assumed 5 requests/s; paced at 4
  // (80 %: room for the network's jitter), evenly spaced (override: ORDERHUB_PLATFORM_WRITE_RATES).
  writeRate: { perSecond: 4, burst: 1, limit: { perSecond: 5, burst: 1 }, basis: 'assumed' },
};
