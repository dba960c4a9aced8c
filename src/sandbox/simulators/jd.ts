// A stand-in for JD's JOS router (api.jd.com/routerjson) answering jingdong.pop.order.enSearch as JD does.
// It checks a call the way the JOS gateway does (网关系统错误码): app_key (20/21), method (14), v (4/5), timestamp
// 'yyyy-MM-dd HH:mm:ss' GMT+8 within 6 minutes (7/8), the MD5 sign (11/12), access_token (18/19), then the call
// limit (2) — every refusal an HTTP 200 with {"error_response":{"code","zh_desc","en_desc"}}, as JD answers.
// JD has no HTTP push (its message service, JMQ, is not a webhook): record() only changes what later pulls see.
// Written apart from the hub's adapter (no shared code), so a test of one against the other can fail.
import { SimCatalogue } from './catalogue.ts';
import { createCipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PlatformSimulator, SimOrder, SimPhase, SimRequest, SimResponse, SimulatorFactory } from './types.ts';

const EIGHT_HOURS = 8 * 60 * 60 * 1000;
/** 京东API服务端允许客户端请求时间误差为6分钟. */
const TIMESTAMP_SKEW_MS = 6 * 60 * 1000;
const SEARCH = 'jingdong.pop.order.enSearch';
const SHIPMENT = 'jingdong.pop.order.shipment';
const ORDER_GET = 'jingdong.pop.order.get';
const VENDER_REMARK = 'jingdong.pop.order.modifyVenderRemark';
/** JD's logistics company ids the simulated shop can ship with (logiCoprId). */
const logisticsCompanies = new Set(['463', '465', '467', '470', '1327', '1499', '2087']);

/** The JOS gateway's own wording for the errors this stand-in gives. */
const gatewayErrors = {
  '2': ['限制时间内调用失败次数', 'App Call Limited'],
  '4': ['缺少版本参数', 'Missing Version'],
  '5': ['不支持的版本号', 'Unsupported Version'],
  '7': ['缺少时间戳参数', 'Missing Timestamp'],
  '8': ['非法的时间戳参数', 'Invalid Timestamp'],
  '11': ['缺少签名参数', 'Missing Signature'],
  '12': ['无效签名', 'Invalid Signature'],
  '14': ['缺少方法名参数', 'Missing Method'],
  '15': ['不存在的方法名', 'Invalid Method'],
  '18': ['缺少access_token参数', 'Missing access_token'],
  '19': ['无效access_token', 'Invalid access_token'],
  '20': ['缺少app_key参数', 'Missing app_key'],
  '21': ['无效app_key', 'Invalid app_key'],
} as const;
type GatewayCode = keyof typeof gatewayErrors;

const stateRemarks: Record<string, string> = {
  WAIT_SELLER_STOCK_OUT: '等待出库',
  WAIT_GOODS_RECEIVE_CONFIRM: '等待确认收货',
  FINISHED_L: '完成',
  TRADE_CANCELED: '取消',
  LOCKED: '已锁定',
  PAUSE: '暂停',
  POP_ORDER_PAUSE: 'POP暂停',
  WAIT_SELLER_DELIVERY: '等待发货',
};

/** A neutral phase as JD writes it. An order not yet paid is shown as cash on delivery (JD lists no unpaid online order). */
function stateFor(phase: SimPhase): string {
  switch (phase) {
    case 'created':
    case 'paid':
      return 'WAIT_SELLER_STOCK_OUT';
    case 'shipped':
    case 'delivered': // SOP has no "signed for" state of its own: it stays here until the buyer confirms
      return 'WAIT_GOODS_RECEIVE_CONFIRM';
    case 'completed':
      return 'FINISHED_L';
    case 'cancelled':
      return 'TRADE_CANCELED';
  }
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

function beijing(ms: number): string {
  const d = new Date(ms + EIGHT_HOURS);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/** 'yyyy-MM-dd HH:mm:ss' (Beijing) or the SDK's 'yyyy-MM-dd HH:mm:ss.SSSZ' (e.g. +0800) as epoch ms. */
function readTime(s: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{3})([+-])(\d\d)(\d\d))?$/.exec(s);
  if (!m) return null;
  const n = (i: number) => Number(m[i]);
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * (n(9) * 60 + n(10)) * 60_000 : EIGHT_HOURS;
  const ms = Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6), m[7] ? n(7) : 0) - offset;
  const back = new Date(ms + offset);
  if (back.getUTCMonth() !== n(2) - 1 || back.getUTCDate() !== n(3)) return null; // 02-30 and the like
  return ms;
}

/** The same wall time one calendar month later (Jan 31 → Feb 28/29), the way Calendar.add(MONTH, 1) moves it. */
function oneMonthAfter(ms: number): number {
  const d = new Date(ms + EIGHT_HOURS);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  return Date.UTC(y, mo, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) - EIGHT_HOURS;
}

/** Fen as JD writes money: yuan with two decimals. */
function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${two(a % 100)}`;
}

function jsonAnswer(body: unknown): SimResponse {
  return { status: 200, headers: { 'content-type': 'application/json;charset=utf-8' }, body: JSON.stringify(body) };
}

function gatewayError(code: GatewayCode, detail?: string): SimResponse {
  const [zh, en] = gatewayErrors[code];
  return jsonAnswer({ error_response: { code, zh_desc: detail ? `${zh}: ${detail}` : zh, en_desc: en } });
}

/** enSearch's answer; a refused query comes back inside it with apiResult.success=false (codes are this stand-in's). */
function searchAnswer(list: unknown[], total: number, failure?: { zh: string; en: string; code: number }): SimResponse {
  return jsonAnswer({
    jingdong_pop_order_enSearch_responce: {
      code: '0',
      searchorderinfo_result: {
        apiResult: failure
          ? { success: false, englishErrCode: failure.en, chineseErrCode: failure.zh, numberCode: failure.code }
          : { success: true, englishErrCode: 'success', chineseErrCode: '成功', numberCode: 10100000 },
        orderInfoList: list,
        orderTotal: total,
      },
    },
  });
}

interface Stored {
  id: string;
  state: string;
  createdSec: number;
  modifiedSec: number;
  json: Record<string, unknown>;
}

export const jdSimulator: SimulatorFactory = (opts) => {
  const seed = opts.seed ?? 'jd';
  const h = (label: string) => createHash('sha256').update(`${label}:${seed}`).digest('hex');
  const appKey = h('app-key').slice(0, 32).toUpperCase();
  const appSecret = h('app-secret').slice(0, 32);
  const tokenHex = h('access-token');
  const accessToken = `${tokenHex.slice(0, 8)}-${tokenHex.slice(8, 12)}-${tokenHex.slice(12, 16)}-${tokenHex.slice(16, 20)}-${tokenHex.slice(20, 32)}`;
  const venderId = String(10_000_000 + (parseInt(h('vender').slice(0, 6), 16) % 9_000_000));
  const tdeKey = createHash('sha256').update(`tde:${seed}`).digest();

  const orders = new Map<string, Stored>();
  /** What jingdong.pop.order.shipment recorded per order (kept across record(): JD keeps the waybill). */
  const shipped = new Map<string, { logiCoprId: string; logiNo: string; at: number }>();
  /** The seller's remark and flag per order (jingdong.pop.order.modifyVenderRemark). */
  const remarks = new Map<string, { remark: string; flag: number }>();
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  let throttleLeft = 0;

  /** JD's field encryption stand-in: a versioned base64 ciphertext, unreadable without JD's key service. */
  const encrypt = (plain: string) => {
    const iv = createHmac('sha256', tdeKey).update(plain).digest().subarray(0, 16);
    const c = createCipheriv('aes-256-cbc', tdeKey, iv);
    return Buffer.concat([Buffer.from([0x00, 0x04]), tdeKey.subarray(0, 6), iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
  };
  const maskPhone = (p: string) => (p.length >= 7 ? `${p.slice(0, 3)}${'*'.repeat(p.length - 4)}${p.slice(-1)}` : '*'.repeat(p.length));
  const jdSkuId = (sku: string) => `100${String(parseInt(createHash('md5').update(sku).digest('hex').slice(0, 10), 16)).padStart(11, '0').slice(-11)}`;

  function toJd(o: SimOrder): Stored {
    const state = o.rawStatus ?? stateFor(o.phase);
    const cod = o.phase === 'created';
    const goods = o.lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
    const lineDiscount = o.lines.reduce((a, l) => a + l.discount, 0);
    const sellerDiscount = lineDiscount + o.discountSeller;
    const buyerTotal = goods - sellerDiscount - o.discountPlatform + o.shippingFee;
    // Some buyers pay part with their JD balance (余额): still their money, so it is not in any discount.
    const balance = !cod && Number(o.id.slice(-1)) % 2 === 1 ? Math.min(1000, Math.floor(buyerTotal / 4)) : 0;
    const coupons: Record<string, string>[] = [];
    for (const l of o.lines) {
      if (l.discount > 0) coupons.push({ orderId: o.id, skuId: jdSkuId(l.sku), couponType: '30-单品促销优惠', couponPrice: yuan(l.discount) });
    }
    if (o.discountSeller > 0) coupons.push({ orderId: o.id, skuId: '', couponType: '100-店铺优惠', couponPrice: yuan(o.discountSeller) });
    if (o.discountPlatform > 0) coupons.push({ orderId: o.id, skuId: '', couponType: '41-京东券优惠', couponPrice: yuan(o.discountPlatform) });
    const createdSec = Math.floor(o.createdAt / 1000) * 1000;
    const modifiedSec = Math.floor(o.updatedAt / 1000) * 1000;
    const never = '0001-01-01 00:00:00';
    const r = o.receiver;
    const json: Record<string, unknown> = {
      orderId: o.id,
      venderId,
      orderType: '22',
      payType: cod ? '1-货到付款' : '4-在线支付',
      orderTotalPrice: yuan(goods),
      orderSellerPrice: yuan(goods - sellerDiscount),
      orderPayment: yuan(buyerTotal - balance),
      freightPrice: yuan(o.shippingFee),
      sellerDiscount: yuan(sellerDiscount),
      balanceUsed: yuan(balance),
      orderState: state,
      orderStateRemark: stateRemarks[state] ?? '',
      deliveryType: '任意时间',
      invoiceEasyInfo: { invoiceType: '0', invoiceTitle: encrypt('个人'), invoiceContentId: '1' },
      invoiceInfo: '不需要开具发票',
      orderRemark: '',
      orderStartTime: beijing(createdSec),
      orderEndTime: state === 'FINISHED_L' || state === 'TRADE_CANCELED' ? beijing(modifiedSec) : never,
      paymentConfirmTime: cod ? never : beijing(Math.min(createdSec + 60_000, modifiedSec)),
      modified: beijing(modifiedSec),
      itemInfoList: o.lines.map((l, i) => ({
        skuId: jdSkuId(l.sku),
        outerSkuId: l.sku,
        skuName: l.title,
        jdPrice: yuan(l.unitPrice),
        giftPoint: '0',
        wareId: String(10_020_000_000_000 + i),
        itemTotal: String(l.quantity),
        productNo: l.sku,
        newStoreId: '0',
        invoiceContentId: '',
      })),
      couponDetailList: coupons,
      venderRemark: '',
      pin: encrypt(`jd_${o.buyer.id}`),
      open_id_buyer: createHash('sha256').update(`${seed}:${o.buyer.id}`).digest('base64url').slice(0, 32),
      orderSource: '移动端订单',
      storeOrder: '',
      idSopShipmenttype: 67,
      dataVersion: String(modifiedSec),
    };
    // 锁定/取消的订单不返回收货人基本信息.
    if (state !== 'LOCKED' && state !== 'TRADE_CANCELED') {
      json.consigneeInfo = {
        fullname: encrypt(r.name),
        telephone: maskPhone(r.phone),
        mobile: maskPhone(r.phone),
        fullAddress: encrypt(`${r.province}${r.city}${r.district}${r.address}`),
        province: r.province,
        city: r.city,
        county: r.district,
        town: '',
        desen_mobile: createHmac('sha256', tdeKey).update(`m:${r.phone}`).digest('hex').slice(0, 70),
        desen_telephone: createHmac('sha256', tdeKey).update(`m:${r.phone}`).digest('hex').slice(0, 70),
      };
    }
    return { id: o.id, state, createdSec, modifiedSec, json };
  }

  function checkGateway(p: URLSearchParams, now: number): SimResponse | null {
    const get = (k: string) => p.get(k) ?? '';
    if (!get('app_key')) return gatewayError('20');
    if (get('app_key') !== appKey) return gatewayError('21', `key=${get('app_key')} 信息无效`);
    if (!get('method')) return gatewayError('14');
    if (!get('v')) return gatewayError('4');
    if (get('v') !== '2.0') return gatewayError('5');
    if (!get('timestamp')) return gatewayError('7');
    const ts = readTime(get('timestamp'));
    if (ts === null || Math.abs(now - ts) > TIMESTAMP_SKEW_MS) return gatewayError('8');
    const given = get('sign');
    if (!given) {
      stats.refusedSignature += 1;
      return gatewayError('11');
    }
    // MD5(secret + name1value1name2value2… + secret), names in order, empty values left out, upper-case hex.
    const names = [...new Set(p.keys())].filter((k) => k !== 'sign').sort();
    let plain = appSecret;
    for (const k of names) {
      const v = p.get(k) ?? '';
      if (v !== '') plain += k + v;
    }
    plain += appSecret;
    const expected = Buffer.from(createHash('md5').update(plain, 'utf8').digest('hex').toUpperCase(), 'utf8');
    const got = Buffer.from(given, 'utf8');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      stats.refusedSignature += 1;
      return gatewayError('12');
    }
    if (!get('access_token')) return gatewayError('18');
    const tokenGot = Buffer.from(get('access_token'), 'utf8');
    const tokenWant = Buffer.from(accessToken, 'utf8');
    if (tokenGot.length !== tokenWant.length || !timingSafeEqual(tokenGot, tokenWant)) return gatewayError('19');
    if (throttleLeft > 0) {
      throttleLeft -= 1;
      stats.throttled += 1;
      return gatewayError('2');
    }
    if (![SEARCH, SHIPMENT, ORDER_GET, VENDER_REMARK].includes(get('method')) && !catalogueMethods.has(get('method'))) return gatewayError('15');
    return null;
  }

  function search(paramJson: string): SimResponse {
    const refuse = (zh: string, en: string) => searchAnswer([], 0, { zh, en, code: 10100001 });
    let q: Record<string, unknown>;
    try {
      q = JSON.parse(paramJson) as Record<string, unknown>;
    } catch {
      return refuse('参数格式错误', 'param json invalid');
    }
    if (!q || typeof q !== 'object') return refuse('参数格式错误', 'param json invalid');
    const text = (k: string) => (typeof q[k] === 'string' || typeof q[k] === 'number' ? String(q[k]) : '');
    const start = readTime(text('start_date'));
    const end = readTime(text('end_date'));
    if (start === null || end === null || end < start) return refuse('开始时间和结束时间格式错误', 'start_date/end_date invalid');
    if (end > oneMonthAfter(start)) return refuse('开始时间和结束时间，不得相差超过1个月', 'date range exceeds one month');
    const states = new Set(text('order_state').split(',').filter(Boolean));
    if (states.size === 0) return refuse('订单状态不能为空', 'order_state required');
    const fields = text('optional_fields').split(',').map((s) => s.trim()).filter(Boolean);
    if (fields.length === 0) return refuse('需返回的字段列表不能为空', 'optional_fields required');
    const page = Number(text('page'));
    const size = Number(text('page_size'));
    if (!Number.isSafeInteger(page) || page < 1) return refuse('页码错误', 'page invalid');
    if (!Number.isSafeInteger(size) || size < 1 || size > 100) return refuse('每页的条数最大100条', 'page_size must be 1..100');
    const byCreated = text('dateType') === '1';
    const desc = text('sortType') === '1';
    const at = (s: Stored) => (byCreated ? s.createdSec : s.modifiedSec);
    const hits = [...orders.values()]
      .filter((s) => states.has(s.state) && at(s) >= start && at(s) <= end)
      .sort((a, b) => (at(a) - at(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (desc ? -1 : 1));
    const wanted = new Set(fields);
    const list = hits
      .slice((page - 1) * size, page * size)
      .map((s) => Object.fromEntries(Object.entries(s.json).filter(([k]) => wanted.has(k))));
    return searchAnswer(list, hits.length);
  }

  /** The shipment and remark the shop holds, over the order as record() last wrote it. */
  function withWrites(s: Stored): Stored {
    const x = shipped.get(s.id);
    const r = remarks.get(s.id);
    if (r) Object.assign(s.json, { venderRemark: r.remark, flag: r.flag });
    if (!x) return s;
    const state = s.state === 'WAIT_SELLER_STOCK_OUT' ? 'WAIT_GOODS_RECEIVE_CONFIRM' : s.state;
    Object.assign(s.json, { orderState: state, orderStateRemark: stateRemarks[state] ?? '', waybill: x.logiNo, logisticsId: x.logiCoprId });
    return { ...s, state };
  }

  /** Whole seconds that grow with every change, or the next pull by modified time would not see it. */
  function touch(s: Stored): Stored {
    const modifiedSec = Math.max(Math.floor(Date.now() / 1000) * 1000, s.modifiedSec + 1000);
    s.json.modified = beijing(modifiedSec);
    s.json.dataVersion = String(modifiedSec);
    return { ...s, modifiedSec };
  }

  function paramsOf(paramJson: string): Record<string, unknown> | null {
    try {
      const q = JSON.parse(paramJson) as unknown;
      return q && typeof q === 'object' && !Array.isArray(q) ? (q as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  const text = (q: Record<string, unknown>, k: string) => (typeof q[k] === 'string' || typeof q[k] === 'number' ? String(q[k]) : '');
  /** JD's OperatorResult as the order-write methods answer it. */
  const operatorResult = (key: string, method: string, ok: boolean, zh = '成功', en = 'success') =>
    jsonAnswer({ [`${method.replaceAll('.', '_')}_responce`]: { code: '0', [key]: { success: ok, chineseErrCode: zh, englishErrCode: en, errorCode: ok ? '' : en } } });

  /** jingdong.pop.order.shipment: only an order waiting to leave (等待出库) can be shipped, once. */
  function shipment(paramJson: string): SimResponse {
    const no = (zh: string, en: string) => operatorResult('sopjosshipment_result', SHIPMENT, false, zh, en);
    const q = paramsOf(paramJson);
    if (!q) return no('参数格式错误', 'param json invalid');
    const id = text(q, 'orderId');
    const logiCoprId = text(q, 'logiCoprId');
    const logiNo = text(q, 'logiNo');
    if (!id || !logiCoprId || !logiNo) return no('订单号、物流公司、运单号不能为空', 'orderId, logiCoprId and logiNo are required');
    const s = orders.get(id);
    if (!s) return no('订单不存在', 'order not exist');
    if (!logisticsCompanies.has(logiCoprId)) return no('物流公司ID不正确', 'logiCoprId invalid');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return no(f.message ?? '订单已取消或锁定，不能出库', f.code ?? 'order state invalid');
    if (s.state !== 'WAIT_SELLER_STOCK_OUT') return no('订单状态不正确，不能出库', 'order state not WAIT_SELLER_STOCK_OUT');
    shipped.set(id, { logiCoprId, logiNo, at: Date.now() });
    orders.set(id, touch(withWrites(s)));
    // Applied, but the answer is lost: the gateway's 5xx page.
    if (f) return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return operatorResult('sopjosshipment_result', SHIPMENT, true);
  }

  /** jingdong.pop.order.get: one order's fields named in optional_fields. */
  function orderGet(paramJson: string): SimResponse {
    const q = paramsOf(paramJson);
    const s = q ? orders.get(text(q, 'order_id')) : undefined;
    const apiResult = s ? { success: true, englishErrCode: 'success', chineseErrCode: '成功', numberCode: 10100000 } : { success: false, englishErrCode: 'order not exist', chineseErrCode: '订单不存在', numberCode: 10100029 };
    const wanted = new Set(text(q ?? {}, 'optional_fields').split(',').map((x) => x.trim()).filter(Boolean));
    const orderInfo = s ? Object.fromEntries(Object.entries(s.json).filter(([k]) => wanted.size === 0 || wanted.has(k))) : null;
    return jsonAnswer({ jingdong_pop_order_get_responce: { code: '0', orderDetailInfo: { apiResult, orderInfo } } });
  }

  /** jingdong.pop.order.modifyVenderRemark: the remark and flag replace the ones there. */
  function venderRemark(paramJson: string): SimResponse {
    const no = (zh: string, en: string) => operatorResult('modifyvenderremark_result', VENDER_REMARK, false, zh, en);
    const q = paramsOf(paramJson);
    if (!q) return no('参数格式错误', 'param json invalid');
    const id = text(q, 'order_id');
    const flag = Number(text(q, 'flag') || '0');
    const s = orders.get(id);
    if (!s) return no('订单不存在', 'order not exist');
    if (!Number.isInteger(flag) || flag < 0 || flag > 5) return no('旗帜颜色不正确', 'flag invalid');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return no(f.message ?? '订单不允许修改备注', f.code ?? 'remark not allowed');
    remarks.set(id, { remark: text(q, 'remark'), flag });
    orders.set(id, touch(withWrites(s)));
    if (f) return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return operatorResult('modifyvenderremark_result', VENDER_REMARK, true);
  }

  // ---- the catalogue (商品): the SKU read and stock writes (库存同步) ------------------------------------------------

  const catalogue = new SimCatalogue();
  const catalogueMethods = new Set(['jingdong.sku.read.searchSkuList', 'jingdong.stock.write.updateSkuStock']);

  /**
   * jingdong.sku.read.searchSkuList (SKUs page by page: skuId, wareId, outerId, stockNum) and
   * jingdong.stock.write.updateSkuStock ({skuId, stockNum}: the full quantity), after the gateway's checks.
   */
  function catalogueCall(method: string, paramJson: string): SimResponse | null {
    if (!catalogueMethods.has(method)) return null;
    let q: Record<string, unknown>;
    try {
      q = JSON.parse(paramJson) as Record<string, unknown>;
    } catch {
      return gatewayError('15', '360buy_param_json 不是 JSON');
    }
    const key = `${method.replaceAll('.', '_')}_responce`;
    if (method === 'jingdong.sku.read.searchSkuList') {
      const page = Number(q.page ?? 1);
      const size = Number(q.pageSize ?? 20);
      if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(size) || size < 1 || size > 100) return jsonAnswer({ [key]: { code: '1', errorMsg: 'pageSize 1~100' } });
      const all = catalogue.listings().filter((l) => l.sku !== null);
      const data = all.slice((page - 1) * size, page * size).map(({ item, sku }) => ({
        skuId: Number(sku?.skuId),
        wareId: Number(item.itemId),
        outerId: sku?.outerId ?? '',
        skuName: `${item.title} ${sku?.spec ?? ''}`.trim(),
        wareTitle: item.title,
        stockNum: sku?.quantity ?? 0,
      }));
      return jsonAnswer({ [key]: { code: '0', page: { data, totalItem: all.length, pageNo: page, pageSize: size } } });
    }
    const skuId = String(q.skuId ?? '');
    const stockNum = Number(q.stockNum);
    if (!/^\d+$/.test(skuId) || !Number.isSafeInteger(stockNum) || stockNum < 0) return jsonAnswer({ [key]: { code: '0', success: false, errorMsg: 'skuId/stockNum 不合法' } });
    const owner = catalogue.listings().find((l) => l.sku?.skuId === skuId);
    if (!owner) return jsonAnswer({ [key]: { code: '0', success: false, errorMsg: 'SKU不存在' } });
    const refusal = catalogue.takeRefusal(owner.item.itemId);
    if (refusal) return jsonAnswer({ error_response: { code: refusal.code, zh_desc: refusal.message, en_desc: 'refused' } });
    catalogue.write(owner.item.itemId, skuId, stockNum);
    return jsonAnswer({ [key]: { code: '0', success: true } });
  }

  const sim: PlatformSimulator = {
    platform: 'jd',
    credentials: { appKey, appSecret, accessToken, apiBase: opts.apiBase },
    stats,
    catalogue,
    record(order) {
      orders.set(order.id, withWrites(toJd(order)));
      for (const l of order.lines) catalogue.ensureSku(l.sku, 900_000_000);
      return [];
    },
    failNextWrite(f) {
      failWrite = f;
    },
    shipmentsOf(platformOrderId) {
      const x = shipped.get(platformOrderId);
      return x ? [x.logiNo] : [];
    },
    remarkOf(platformOrderId) {
      const r = remarks.get(platformOrderId);
      return r ? { text: r.remark, flag: r.flag } : null;
    },
    throttleNext(n) {
      throttleLeft += n;
    },
    handle(req: SimRequest): SimResponse {
      stats.calls += 1;
      if (req.path !== '/routerjson') return { status: 404, headers: { 'content-type': 'text/html' }, body: '<html><body>404 Not Found</body></html>' };
      const p = new URLSearchParams(req.query);
      const type = String(req.headers['content-type'] ?? '');
      if (req.method === 'POST' && req.body.length > 0 && type.startsWith('application/x-www-form-urlencoded')) {
        for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.append(k, v);
      }
      const refused = checkGateway(p, Date.now());
      if (refused) return refused;
      if (p.get('method') === SHIPMENT) return shipment(p.get('360buy_param_json') ?? '');
      if (p.get('method') === ORDER_GET) return orderGet(p.get('360buy_param_json') ?? '');
      if (p.get('method') === VENDER_REMARK) return venderRemark(p.get('360buy_param_json') ?? '');
      const listed = catalogueCall(p.get('method') ?? '', p.get('360buy_param_json') ?? '');
      if (listed) return listed;
      return search(p.get('360buy_param_json') ?? '');
    },
  };
  return sim;
};
