// A Taobao/Tmall shop as TOP shows it: taobao.trades.sold.increment.get and taobao.trade.fullinfo.get on /router/rest,
// each call's sign and timestamp checked the way the TOP gateway checks them, answers in TOP's JSON shape (tid as a
// bare 19-digit number, money as yuan strings, Beijing times, masked receiver with an oaid) and TOP's error_response.
// Ship-back: taobao.logistics.offline.send moves a trade to WAIT_BUYER_CONFIRM_GOODS with its logistics (invoice_no,
// logistics_company on each order); a split send (is_split, sub_tid) sends some sub-orders and leaves the trade
// SELLER_CONSIGNED_PART until every one left; taobao.logistics.consign.resend corrects a number. No pushes: TOP's message service is not an HTTP webhook. Written apart from the hub's adapter (nothing imported).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SimCatalogue, type SimCatalogueItem } from './catalogue.ts';
import type { PlatformSimulator, SimOrder, SimRequest, SimResponse, SimulatorFactory, SimulatorOptions } from './types.ts';

const BEIJING = 8 * 3_600_000;
const SKEW_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

export interface TaobaoSimulatorOptions extends SimulatorOptions {
  /** Trade fields the list call leaves out (the hub must then read the trade with taobao.trade.fullinfo.get). */
  listOmits?: readonly string[];
  /** How long a consumed TMC message stays unconfirmed before TMC delivers it again (default 60 s). */
  tmcRedeliverMs?: number;
}

/** The Taobao simulator, with a look at its TMC queue for tests. */
export interface TaobaoSimulator extends PlatformSimulator {
  /** Messages queued and not yet confirmed (delivered or not). */
  tmcPending(): { id: string; topic: string; tid: string; delivered: boolean }[];
}

interface TmcQueued {
  id: string;
  topic: string;
  tid: string;
  content: string;
  pubTime: string;
  deliveredAt: number | null;
}

interface Stored {
  order: SimOrder;
  everPaid: boolean;
}

function beijing(ms: number): string {
  const d = new Date(ms + BEIJING);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function fromBeijing(s: string | undefined): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s ?? '');
  if (!m) return null;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - BEIJING;
}

function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
}

/** How TOP signs: sorted k1v1k2v2…, then md5 (secret-wrapped), HmacMD5 or HmacSHA256. */
function topSignature(params: Map<string, string>, secret: string, method: string): string | null {
  const keys = [...params.keys()].filter((k) => k !== 'sign').sort();
  let s = '';
  for (const k of keys) {
    const v = params.get(k) ?? '';
    if (v !== '') s += k + v;
  }
  if (method === 'md5') return createHash('md5').update(secret + s + secret, 'utf8').digest('hex').toUpperCase();
  if (method === 'hmac') return createHmac('md5', secret).update(s, 'utf8').digest('hex').toUpperCase();
  if (method === 'hmac-sha256') return createHmac('sha256', secret).update(s, 'utf8').digest('hex').toUpperCase();
  return null;
}

/** The logistics companies the simulated shop can send with (taobao.logistics.companies.get's code → name). */
const companyNames: Readonly<Record<string, string>> = {
  SF: '顺丰速运',
  ZTO: '中通快递',
  YTO: '圆通速递',
  STO: '申通快递',
  YUNDA: '韵达快递',
  EMS: 'EMS',
  JD: '京东快递',
  POSTB: '邮政快递包裹',
};

const maskedName = (n: string) => (n ? `${[...n][0]}**` : '');
const maskedMobile = (p: string) => (p.length >= 11 ? `${p.slice(0, 3)}****${p.slice(-4)}` : p.replace(/\d/g, '*'));
/** TOP hides house numbers and part of the street: digits and every other character after the first two. */
const maskedAddress = (a: string) => [...a].map((ch, i) => (/\d/.test(ch) || (i > 1 && i % 2 === 1) ? '*' : ch)).join('');

/** Splits `total` over `weights` in proportion, in whole fen, the rounding left on the last share. */
function apportion(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, w) => a + w, 0);
  const out = weights.map((w) => (sum > 0 ? Math.floor((total * w) / sum) : 0));
  if (out.length) out[out.length - 1]! += total - out.reduce((a, x) => a + x, 0);
  return out;
}

/** A bare JSON number for an id too long for a double, as TOP writes tid and oid. */
const BIG = '@@top-big@@';
const big = (digits: string) => `${BIG}${digits}`;
const json = (v: unknown) => JSON.stringify(v).replace(new RegExp(`"${BIG}(\\d+)"`, 'g'), '$1');

export function createTaobaoSimulator(opts: TaobaoSimulatorOptions): TaobaoSimulator {
  const seed = opts.seed ?? 'taobao';
  const h = createHash('sha256').update(`taobao-sim:${seed}`).digest('hex');
  const appKey = String(20_000_000 + (parseInt(h.slice(0, 6), 16) % 9_000_000));
  const appSecret = h.slice(8, 40);
  const session = `6100${h.slice(40, 64)}${appKey}`;
  const sellerNick = `hub测试店-${seed}`;
  const trades = new Map<string, Stored>();
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  /**
   * What offline.send (and consign.resend) recorded per tid, per sub-order (oid): the company code and tracking number,
   * as each order of the trade then shows them. A split send (is_split, sub_tid) consigns some oids only.
   */
  const sent = new Map<string, Map<string, { companyCode: string; outSid: string; at: number }>>();
  /** What taobao.trade.memo.update left per tid: the seller's memo and flag, as fullinfo then shows them. */
  const memos = new Map<string, { memo: string; flag: number }>();
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  let throttle = 0;
  /** TMC: the topics the shop permitted to the app (none until taobao.tmc.user.permit), and the shop's queue. */
  let permitted: Set<string> | null = null;
  const tmcQueue: TmcQueued[] = [];
  let tmcSeq = 0;
  const userId = String(2_200_000_000 + (parseInt(h.slice(6, 12), 16) % 100_000_000));
  let requestNo = 0;

  const requestId = () => `${h.slice(0, 6)}${(++requestNo).toString(36)}`;
  const answer = (body: string, status = 200): SimResponse => ({ status, headers: { 'content-type': 'application/json;charset=UTF-8' }, body });
  const error = (code: number, msg: string, subCode?: string, subMsg?: string): SimResponse =>
    answer(JSON.stringify({ error_response: { code, msg, ...(subCode ? { sub_code: subCode } : {}), ...(subMsg ? { sub_msg: subMsg } : {}), request_id: requestId() } }));

  function statusOf(s: Stored): string {
    if (s.order.rawStatus) return s.order.rawStatus;
    switch (s.order.phase) {
      case 'created':
        return 'WAIT_BUYER_PAY';
      case 'paid':
        return 'WAIT_SELLER_SEND_GOODS';
      case 'shipped':
        return 'WAIT_BUYER_CONFIRM_GOODS';
      case 'delivered':
        return 'TRADE_BUYER_SIGNED';
      case 'completed':
        return 'TRADE_FINISHED';
      case 'cancelled':
        // Closed after a refund once paid; closed by Taobao when it never was.
        return s.everPaid ? 'TRADE_CLOSED' : 'TRADE_CLOSED_BY_TAOBAO';
    }
  }

  /** The trade as TOP's JSON object (before serialising: big ids are markers). */
  function tradeJson(s: Stored): Record<string, unknown> {
    const o = s.order;
    if (o.currency !== 'CNY') throw new Error(`Taobao trades are in CNY, not ${o.currency}`);
    const status = statusOf(s);
    const tid = o.id;
    const lineGoods = o.lines.map((l) => l.unitPrice * l.quantity);
    const lineTotals = o.lines.map((l, i) => lineGoods[i]! - l.discount);
    const mjz = apportion(o.discountSeller, lineTotals);
    const goods = lineGoods.reduce((a, x) => a + x, 0);
    const afterLines = lineTotals.reduce((a, x) => a + x, 0);
    const payment = afterLines + o.shippingFee - o.discountSeller - o.discountPlatform;
    const single = o.lines.length === 1;
    const paid = status !== 'WAIT_BUYER_PAY' && status !== 'TRADE_NO_CREATE_PAY' && status !== 'TRADE_CLOSED_BY_TAOBAO';
    const shipped = ['WAIT_BUYER_CONFIRM_GOODS', 'TRADE_BUYER_SIGNED', 'TRADE_FINISHED'].includes(status);
    const ended = ['TRADE_FINISHED', 'TRADE_CLOSED', 'TRADE_CLOSED_BY_TAOBAO'].includes(status);
    const consigned = sent.get(tid);
    const consign = consigned ? [...consigned.values()].sort((a, b) => a.at - b.at)[0] : undefined;
    const orders = o.lines.map((l, i) => {
      const oid = single ? tid : (BigInt(tid) + BigInt(i + 1)).toString();
      const consign = consigned?.get(oid);
      return {
        ...(consign ? { consign_time: beijing(consign.at), invoice_no: consign.outSid, logistics_company: companyNames[consign.companyCode] ?? consign.companyCode, shipping_type: 'express' } : {}),
        adjust_fee: '0.00',
        buyer_rate: false,
        cid: 50_012_000 + i,
        discount_fee: yuan(l.discount),
        divide_order_fee: yuan(lineTotals[i]! - mjz[i]!),
        is_daixiao: false,
        is_oversold: false,
        num: l.quantity,
        num_iid: big(String(600_000_000_000 + parseInt(createHash('md5').update(l.sku).digest('hex').slice(0, 8), 16))),
        oid: big(oid),
        oid_str: oid,
        order_from: 'WAP,WAP',
        outer_iid: l.sku.split('-')[0],
        outer_sku_id: l.sku,
        part_mjz_discount: yuan(mjz[i]!),
        // Order.payment: the trade's payment when there is one line; price*num + adjust_fee - discount_fee otherwise.
        payment: single ? yuan(payment) : yuan(lineTotals[i]!),
        price: yuan(l.unitPrice),
        refund_status: status === 'TRADE_CLOSED' ? 'SUCCESS' : 'NO_REFUND',
        seller_rate: false,
        seller_type: 'B',
        sku_id: String(4_000_000_000_000 + i),
        sku_properties_name: `规格:${l.title}`,
        snapshot_url: `s:${oid}_1`,
        // A sub-order sent apart shows as sent while the trade is only partly sent.
        status: status === 'SELLER_CONSIGNED_PART' ? (consign ? 'WAIT_BUYER_CONFIRM_GOODS' : 'WAIT_SELLER_SEND_GOODS') : status,
        title: l.title,
        total_fee: yuan(lineTotals[i]!),
      };
    });
    const promotions = [
      ...o.lines.flatMap((l, i) =>
        l.discount > 0
          ? [{ discount_fee: yuan(l.discount), id: orders[i]!.oid, promotion_desc: `单品优惠:省${yuan(l.discount)}元`, promotion_id: `Tmall$commonItemPromotion-${i + 1}_${tid.slice(-6)}`, promotion_name: '单品优惠' }]
          : [],
      ),
      ...(o.discountSeller > 0
        ? [{ discount_fee: yuan(o.discountSeller), id: big(tid), promotion_desc: `店铺满减:省${yuan(o.discountSeller)}元`, promotion_id: `mjs-${appKey}_${tid.slice(-6)}`, promotion_name: '店铺满减' }]
        : []),
    ];
    const r = o.receiver;
    return {
      adjust_fee: '0.00',
      alipay_no: paid ? `2026${tid.slice(-12)}22001` : '',
      alipay_point: 0,
      available_confirm_fee: shipped || !paid ? '0.00' : yuan(payment),
      buyer_nick: `${[...o.buyer.name][0] ?? 't'}**`,
      buyer_open_uid: `AAH${createHash('sha256').update(o.buyer.id).digest('base64url').slice(0, 21)}`,
      buyer_rate: false,
      cod_fee: '0.00',
      ...(consign ? { consign_time: beijing(consign.at) } : {}),
      commission_fee: '0.00',
      coupon_fee: 0,
      created: beijing(o.createdAt),
      discount_fee: yuan(o.discountSeller),
      ...(ended ? { end_time: beijing(o.updatedAt) } : {}),
      has_post_fee: true,
      is_part_consign: status === 'SELLER_CONSIGNED_PART',
      modified: beijing(o.updatedAt),
      num: o.lines.reduce((a, l) => a + l.quantity, 0),
      oaid: `1${createHash('sha256').update(`${h}:${r.name}:${r.phone}:${r.address}`).digest('base64url').slice(0, 47)}`,
      orders: { order: orders },
      ...(paid ? { pay_time: beijing(o.createdAt + 60_000) } : {}),
      payment: yuan(payment),
      platform_subsidy_fee: yuan(o.discountPlatform),
      point_fee: 0,
      post_fee: yuan(o.shippingFee),
      promotion_details: { promotion_detail: promotions },
      real_point_fee: 0,
      received_payment: status === 'TRADE_FINISHED' ? yuan(payment) : '0.00',
      receiver_address: maskedAddress(r.address),
      receiver_city: r.city,
      receiver_country: '',
      receiver_district: r.district,
      receiver_mobile: maskedMobile(r.phone),
      receiver_name: maskedName(r.name),
      receiver_state: r.province,
      receiver_town: '',
      receiver_zip: '000000',
      seller_flag: memos.get(tid)?.flag ?? 0,
      ...(memos.get(tid)?.memo ? { seller_memo: memos.get(tid)?.memo } : {}),
      seller_nick: sellerNick,
      seller_rate: false,
      shipping_type: 'express',
      status,
      tid: big(tid),
      tid_str: tid,
      title: sellerNick,
      total_fee: yuan(goods),
      type: 'fixed',
    };
  }

  function pick(t: Record<string, unknown>, fields: string, omit: readonly string[]): Record<string, unknown> {
    const wanted = new Set(fields.split(',').map((f) => f.trim()).filter(Boolean));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(t)) if (wanted.has(k) && !omit.includes(k)) out[k] = v;
    return out;
  }

  function params(req: SimRequest): Map<string, string> {
    const p = new Map<string, string>();
    for (const [k, v] of req.query) p.set(k, v);
    const ct = String(req.headers['content-type'] ?? '');
    if (req.body.length && ct.includes('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.set(k, v);
    }
    return p;
  }

  function soldIncrement(p: Map<string, string>): SimResponse {
    const start = fromBeijing(p.get('start_modified'));
    const end = fromBeijing(p.get('end_modified'));
    const fields = p.get('fields');
    if (!fields) return error(40, 'Missing required arguments:fields', 'isv.missing-parameter:fields');
    if (start === null || end === null) return error(41, 'Invalid arguments:start_modified', 'isv.invalid-parameter:start_modified', '时间格式错误');
    if (end < start || end - start > DAY_MS) return error(15, 'Remote service error', 'isv.invalid-parameter', '修改时间跨度不能大于一天');
    const page = Number(p.get('page_no') ?? '1');
    const size = Number(p.get('page_size') ?? '40');
    if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(size) || size < 1 || size > 100) {
      return error(41, 'Invalid arguments:page_size', 'isv.invalid-parameter:page_size', 'page_size取值范围1~100');
    }
    const types = p.get('type');
    const inWindow = [...trades.values()]
      .filter((s) => {
        const m = Math.floor(s.order.updatedAt / 1000) * 1000;
        return m >= start && m <= end && (!types || types.split(',').includes('fixed'));
      })
      .sort((a, b) => b.order.updatedAt - a.order.updatedAt || (a.order.id < b.order.id ? -1 : 1));
    const slice = inWindow.slice((page - 1) * size, page * size);
    const hasNext = page * size < inWindow.length;
    const body = {
      trades_sold_increment_get_response: {
        ...(p.get('use_has_next') === 'true' ? {} : { total_results: inWindow.length }),
        has_next: hasNext,
        trades: { trade: slice.map((s) => pick(tradeJson(s), fields, opts.listOmits ?? [])) },
        request_id: requestId(),
      },
    };
    return answer(json(body));
  }

  function fullInfo(p: Map<string, string>): SimResponse {
    const tid = p.get('tid') ?? '';
    const fields = p.get('fields');
    if (!fields) return error(40, 'Missing required arguments:fields', 'isv.missing-parameter:fields');
    const s = trades.get(tid);
    if (!s) return error(15, 'Remote service error', 'isv.trade-not-exist', '交易不存在');
    return answer(json({ trade_fullinfo_get_response: { trade: pick(tradeJson(s), fields, []), request_id: requestId() } }));
  }

  /** The trade's sub-order ids, as tradeJson writes them (one line: the tid itself). */
  function oidsOf(s: Stored): string[] {
    const tid = s.order.id;
    return s.order.lines.length === 1 ? [tid] : s.order.lines.map((_, i) => (BigInt(tid) + BigInt(i + 1)).toString());
  }

  /** Records a send on these oids and moves the trade: every oid out → WAIT_BUYER_CONFIRM_GOODS, some → SELLER_CONSIGNED_PART. */
  function consign(s: Stored, oids: readonly string[], companyCode: string, outSid: string): void {
    const tid = s.order.id;
    const now = Date.now();
    const m = sent.get(tid) ?? new Map<string, { companyCode: string; outSid: string; at: number }>();
    for (const oid of oids) m.set(oid, { companyCode, outSid, at: now });
    sent.set(tid, m);
    const all = oidsOf(s).every((oid) => m.has(oid));
    // Modified times are whole seconds and must grow, or the next incremental pull would not see the change.
    s.order = { ...s.order, phase: all ? 'shipped' : s.order.phase, updatedAt: Math.max(now, Math.floor(s.order.updatedAt / 1000) * 1000 + 1000) };
    if (all) delete s.order.rawStatus;
    else s.order.rawStatus = 'SELLER_CONSIGNED_PART';
    publish(all ? 'taobao_trade_TradeSellerShip' : 'taobao_trade_TradePartlySellerShip', s);
  }

  /** The oids a split call names (sub_tid, comma-separated), or an error naming what is wrong. */
  function subTids(s: Stored, p: Map<string, string>): string[] | SimResponse {
    if (p.get('is_split') !== '1') return oidsOf(s);
    const sub = (p.get('sub_tid') ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    if (sub.length === 0) return error(40, 'Missing required arguments:sub_tid', 'isv.missing-parameter:sub_tid', '拆单发货时子订单号不能为空');
    const known = new Set(oidsOf(s));
    const stranger = sub.find((x) => !known.has(x));
    if (stranger) return error(15, 'Remote service error', 'isv.logistics-offline-service-error-B27', `子订单${stranger}不属于该交易`);
    return sub;
  }

  /** taobao.logistics.offline.send: the seller's own carrier; only sub-orders waiting to be sent can be sent (split: is_split=1, sub_tid). */
  function offlineSend(p: Map<string, string>): SimResponse {
    const tid = p.get('tid') ?? '';
    const outSid = p.get('out_sid') ?? '';
    const companyCode = p.get('company_code') ?? '';
    for (const [k, v] of [['tid', tid], ['out_sid', outSid], ['company_code', companyCode]] as const) {
      if (!v) return error(40, `Missing required arguments:${k}`, `isv.missing-parameter:${k}`);
    }
    const s = trades.get(tid);
    if (!s) return error(15, 'Remote service error', 'isv.trade-not-exist', '交易不存在');
    if (!Object.hasOwn(companyNames, companyCode)) return error(15, 'Remote service error', 'isv.logistics-offline-service-error-B03', '物流公司不存在');
    const oids = subTids(s, p);
    if (!Array.isArray(oids)) return oids;
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return error(15, 'Remote service error', f.code ?? 'isv.logistics-offline-service-error-B150', f.message ?? '买家已申请退款，不能发货');
    const status = statusOf(s);
    const partOk = status === 'SELLER_CONSIGNED_PART' && p.get('is_split') === '1';
    if (status !== 'WAIT_SELLER_SEND_GOODS' && !partOk) return error(15, 'Remote service error', 'isv.logistics-offline-service-error-B04', '交易状态不允许发货');
    if (oids.some((oid) => sent.get(tid)?.has(oid))) return error(15, 'Remote service error', 'isv.logistics-offline-service-error-B04', '子订单已发货');
    consign(s, oids, companyCode, outSid);
    if (f) {
      // Applied, but the answer is lost: an isp.* error (TOP's back end timed out) or the gateway's 5xx page.
      if (f.code?.startsWith('isp.')) return error(15, 'Remote service error', f.code, f.message ?? '服务超时');
      return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    }
    return answer(json({ logistics_offline_send_response: { shipping: { is_success: true }, request_id: requestId() } }));
  }

  /** taobao.logistics.consign.resend: a new number (and company) for sub-orders already sent; nothing else moves. */
  function consignResend(p: Map<string, string>): SimResponse {
    const tid = p.get('tid') ?? '';
    const outSid = p.get('out_sid') ?? '';
    const companyCode = p.get('company_code') ?? '';
    for (const [k, v] of [['tid', tid], ['out_sid', outSid], ['company_code', companyCode]] as const) {
      if (!v) return error(40, `Missing required arguments:${k}`, `isv.missing-parameter:${k}`);
    }
    const s = trades.get(tid);
    if (!s) return error(15, 'Remote service error', 'isv.trade-not-exist', '交易不存在');
    if (!Object.hasOwn(companyNames, companyCode)) return error(15, 'Remote service error', 'isv.logistics-offline-service-error-B03', '物流公司不存在');
    const oids = subTids(s, p);
    if (!Array.isArray(oids)) return oids;
    const m = sent.get(tid);
    const target = oids.filter((oid) => m?.has(oid));
    if (!m || target.length === 0 || (p.get('is_split') === '1' && target.length !== oids.length)) return error(15, 'Remote service error', 'isv.logistics-consign-resend-error', '订单未发货，不能修改运单号');
    if (!['WAIT_BUYER_CONFIRM_GOODS', 'SELLER_CONSIGNED_PART'].includes(statusOf(s))) return error(15, 'Remote service error', 'isv.logistics-consign-resend-error', '交易状态不允许修改运单号');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return error(15, 'Remote service error', f.code ?? 'isv.logistics-consign-resend-error', f.message ?? '修改运单号次数超过限制');
    const now = Date.now();
    for (const oid of target) m.set(oid, { companyCode, outSid, at: m.get(oid)?.at ?? now });
    s.order = { ...s.order, updatedAt: Math.max(now, Math.floor(s.order.updatedAt / 1000) * 1000 + 1000) };
    if (f) return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return answer(json({ logistics_consign_resend_response: { shipping: { is_success: true }, request_id: requestId() } }));
  }

  /** TMC queues a message for every trade change of a permitted topic (nothing before the shop permitted the app). */
  function publish(topic: string, s: Stored): void {
    if (!permitted?.has(topic)) return;
    const o = s.order;
    const content = `{"buyer_nick":"${[...o.buyer.name][0] ?? 't'}**","payment":"${yuan(o.lines.reduce((a, l) => a + l.unitPrice * l.quantity - l.discount, 0))}","status":"${statusOf(s)}","oid":${o.id},"tid":${o.id},"type":"fixed","seller_nick":"${sellerNick}"}`;
    tmcQueue.push({ id: (BigInt(`1${h.slice(0, 4).replace(/\D/g, '0')}00000000000000`) + BigInt(++tmcSeq)).toString(), topic, tid: o.id, content, pubTime: beijing(Date.now()), deliveredAt: null });
  }

  /** The topic a change from one phase to the next publishes (TradeChanged when the phase stays). */
  function topicFor(prior: Stored | undefined, next: SimOrder): string[] {
    const byPhase: Record<string, string> = {
      created: 'taobao_trade_TradeCreate',
      paid: 'taobao_trade_TradeBuyerPay',
      shipped: 'taobao_trade_TradeSellerShip',
      delivered: 'taobao_trade_TradeSuccess',
      completed: 'taobao_trade_TradeSuccess',
      cancelled: 'taobao_trade_TradeClose',
    };
    if (!prior) return next.phase === 'created' ? [byPhase.created!] : ['taobao_trade_TradeCreate', byPhase[next.phase]!];
    return prior.order.phase === next.phase ? ['taobao_trade_TradeChanged'] : [byPhase[next.phase]!];
  }

  /** taobao.tmc.user.permit: the shop opens topics to the app (all the simulator publishes when none is named). */
  function tmcPermit(p: Map<string, string>): SimResponse {
    const topics = (p.get('topics') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    permitted = new Set([...(permitted ?? []), ...(topics.length ? topics : ['taobao_trade_TradeCreate', 'taobao_trade_TradeBuyerPay', 'taobao_trade_TradeSellerShip', 'taobao_trade_TradePartlySellerShip', 'taobao_trade_TradeSuccess', 'taobao_trade_TradeClose', 'taobao_trade_TradeChanged', 'taobao_trade_TradeMemoModified'])]);
    return answer(json({ tmc_user_permit_response: { is_success: true, request_id: requestId() } }));
  }

  /** taobao.tmc.messages.consume: up to `quantity` messages not delivered, or delivered and unconfirmed for too long. */
  function tmcConsume(p: Map<string, string>): SimResponse {
    const quantity = Number(p.get('quantity') ?? '100');
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > 200) return error(41, 'Invalid arguments:quantity', 'isv.invalid-parameter:quantity', 'quantity取值范围1~200');
    const now = Date.now();
    const again = opts.tmcRedeliverMs ?? 60_000;
    const due = tmcQueue.filter((m) => m.deliveredAt === null || now - m.deliveredAt >= again).slice(0, quantity);
    for (const m of due) m.deliveredAt = now;
    const list = due.map((m) => ({ content: m.content, id: big(m.id), pub_app_key: '12497914', pub_time: m.pubTime, topic: m.topic, user_id: big(userId), user_nick: sellerNick }));
    return answer(json({ tmc_messages_consume_response: { ...(list.length ? { messages: { tmc_message: list } } : {}), request_id: requestId() } }));
  }

  /** taobao.tmc.messages.confirm: the named messages leave the queue (an id not there is ignored, as TMC does). */
  function tmcConfirm(p: Map<string, string>): SimResponse {
    const ids = new Set((p.get('s_message_ids') ?? '').split(',').map((x) => x.trim()).filter(Boolean));
    if (ids.size === 0) return error(40, 'Missing required arguments:s_message_ids', 'isv.missing-parameter:s_message_ids');
    for (let i = tmcQueue.length - 1; i >= 0; i--) if (ids.has(tmcQueue[i]!.id)) tmcQueue.splice(i, 1);
    return answer(json({ tmc_messages_confirm_response: { is_success: true, request_id: requestId() } }));
  }

  /**
   * taobao.trade.memo.update: replaces the trade's memo (a non-empty memo, or reset=true to clear it) and its flag
   * (0–5). The memo is at most 1000 bytes, as TOP documents it.
   */
  function memoUpdate(p: Map<string, string>): SimResponse {
    const tid = p.get('tid') ?? '';
    if (!tid) return error(40, 'Missing required arguments:tid', 'isv.missing-parameter:tid');
    const s = trades.get(tid);
    if (!s) return error(15, 'Remote service error', 'isv.trade-not-exist', '交易不存在');
    const memo = p.get('memo') ?? '';
    if (Buffer.byteLength(memo, 'utf8') > 1000) return error(41, 'Invalid arguments:memo', 'isv.invalid-parameter:memo', '备注长度超过限制');
    const flagText = p.get('flag');
    const flag = flagText === undefined ? null : Number(flagText);
    if (flag !== null && !(Number.isInteger(flag) && flag >= 0 && flag <= 5)) return error(41, 'Invalid arguments:flag', 'isv.invalid-parameter:flag', '旗帜取值范围0-5');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return error(15, 'Remote service error', f.code ?? 'isv.trade-memo-error', f.message ?? '备注修改失败');
    const prior = memos.get(tid) ?? { memo: '', flag: 0 };
    memos.set(tid, { memo: p.get('reset') === 'true' ? '' : memo || prior.memo, flag: flag ?? prior.flag });
    return answer(json({ trade_memo_update_response: { trade: { tid: big(tid), modified: beijing(Date.now()) }, request_id: requestId() } }));
  }

  // ---- the catalogue (商品): listing reads and stock writes (库存同步) ----------------------------------------------

  const catalogue = new SimCatalogue();

  /** An item as TOP writes it: num_iid a bare number, the SKU list under skus.sku when `withSkus`. */
  function itemJson(it: SimCatalogueItem, withSkus: boolean): Record<string, unknown> {
    return {
      num_iid: big(it.itemId),
      title: it.title,
      num: it.quantity,
      ...(it.outerId !== null ? { outer_id: it.outerId } : {}),
      approve_status: 'onsale',
      ...(withSkus && it.skus.length
        ? { skus: { sku: it.skus.map((k) => ({ sku_id: big(k.skuId), num_iid: big(it.itemId), quantity: k.quantity, properties_name: k.spec, ...(k.outerId !== null ? { outer_id: k.outerId } : {}) })) } }
        : {}),
    };
  }

  /**
   * taobao.items.onsale.get (the shop's items on sale, page by page, no SKUs), taobao.item.seller.get (one item with
   * its SKUs) and taobao.item.quantity.update (type 1: the full quantity; 2: a difference), after the signature check.
   */
  function catalogueCall(method: string, p: Map<string, string>): SimResponse | null {
    if (method === 'taobao.items.onsale.get') {
      if (!p.get('fields')) return error(40, 'Missing required arguments:fields', 'isv.missing-parameter:fields');
      const page = Number(p.get('page_no') ?? '1');
      const size = Number(p.get('page_size') ?? '40');
      if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(size) || size < 1 || size > 200) return error(41, 'Invalid arguments:page_size', 'isv.invalid-parameter:page_size');
      const all = [...catalogue.items.values()].sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
      const slice = all.slice((page - 1) * size, page * size);
      return answer(json({ items_onsale_get_response: { total_results: all.length, items: { item: slice.map((it) => itemJson(it, false)) }, request_id: requestId() } }));
    }
    if (method === 'taobao.item.seller.get') {
      if (!p.get('fields')) return error(40, 'Missing required arguments:fields', 'isv.missing-parameter:fields');
      const it = catalogue.items.get(p.get('num_iid') ?? '');
      if (!it) return error(15, 'Remote service error', 'isv.item-get-service-error:ITEM_NOT_FOUND', '商品不存在');
      return answer(json({ item_seller_get_response: { item: itemJson(it, true), request_id: requestId() } }));
    }
    if (method === 'taobao.item.quantity.update') {
      const numIid = p.get('num_iid') ?? '';
      const skuId = p.get('sku_id') ?? '';
      const quantity = Number(p.get('quantity'));
      const type = p.get('type') ?? '1';
      if (!numIid) return error(40, 'Missing required arguments:num_iid', 'isv.missing-parameter:num_iid');
      if (!Number.isSafeInteger(quantity) || (type === '1' && quantity < 0) || (type !== '1' && type !== '2')) return error(41, 'Invalid arguments:quantity', 'isv.invalid-parameter:quantity');
      const refusal = catalogue.takeRefusal(numIid);
      if (refusal) return error(15, 'Remote service error', refusal.code, refusal.message);
      const before = catalogue.quantityOf(numIid, skuId);
      if (before === null) return error(15, 'Remote service error', 'isv.item-quantity-item-update-service-error-ITEM_NOT_EXIST', '商品或SKU不存在');
      const after = type === '1' ? quantity : before + quantity;
      if (after < 0) return error(15, 'Remote service error', 'isv.item-quantity-item-update-service-error-QUANTITY_NEGATIVE', '库存不能小于0');
      catalogue.write(numIid, skuId, after);
      const it = catalogue.items.get(numIid) as SimCatalogueItem;
      return answer(json({ item_quantity_update_response: { item: { num_iid: big(numIid), num: it.quantity, modified: beijing(Date.now()) }, request_id: requestId() } }));
    }
    return null;
  }

  return {
    platform: 'taobao',
    credentials: { appKey, appSecret, session, signMethod: 'md5', apiBase: opts.apiBase },
    stats,
    catalogue,

    record(order) {
      const prior = trades.get(order.id);
      const paidNow = !['created', 'cancelled'].includes(order.phase);
      const topics = topicFor(prior, order);
      const stored = { order: structuredClone(order), everPaid: (prior?.everPaid ?? false) || paidNow };
      trades.set(order.id, stored);
      for (const t of topics) publish(t, stored);
      for (const l of order.lines) catalogue.ensureSku(l.sku, 600_000_000_000);
      return [];
    },

    tmcPending() {
      return tmcQueue.map((m) => ({ id: m.id, topic: m.topic, tid: m.tid, delivered: m.deliveredAt !== null }));
    },

    throttleNext(n) {
      throttle = n;
    },

    failNextWrite(f) {
      failWrite = f;
    },

    shipmentsOf(platformOrderId) {
      const c = sent.get(platformOrderId);
      return c ? [...new Set([...c.values()].sort((a, b) => a.at - b.at).map((x) => x.outSid))] : [];
    },

    handle(req) {
      if (req.path !== '/router/rest') return { status: 404, body: '' };
      stats.calls++;
      const p = params(req);
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return error(7, 'App Call Limited', 'accesscontrol.limited-by-app-access-count', 'This ban will last for 1 more seconds');
      }
      const method = p.get('method');
      if (!method) return error(21, 'Missing Method');
      if (p.get('app_key') !== appKey) return error(29, 'Invalid app Key');
      const ts = fromBeijing(p.get('timestamp'));
      if (ts === null || Math.abs(Date.now() - ts) > SKEW_MS) return error(31, 'Invalid timestamp', 'isv.invalid-parameter:timestamp', '非法的时间戳参数');
      const given = p.get('sign');
      if (!given) return error(24, 'Missing signature');
      const expected = topSignature(p, appSecret, p.get('sign_method') ?? 'md5');
      if (expected === null) return error(41, 'Invalid arguments:sign_method');
      const a = Buffer.from(given, 'utf8');
      const b = Buffer.from(expected, 'utf8');
      if (a.length !== b.length || !timingSafeEqual(a, b)) {
        stats.refusedSignature++;
        return error(25, 'Invalid signature');
      }
      if (p.get('session') !== session) return error(27, 'Invalid session', 'invalid-sessionkey', 'SessionKey非法');
      if (method === 'taobao.trades.sold.increment.get') return soldIncrement(p);
      if (method === 'taobao.trade.fullinfo.get') return fullInfo(p);
      if (method === 'taobao.logistics.offline.send') return offlineSend(p);
      if (method === 'taobao.logistics.consign.resend') return consignResend(p);
      if (method === 'taobao.tmc.user.permit') return tmcPermit(p);
      if (method === 'taobao.tmc.messages.consume') return tmcConsume(p);
      if (method === 'taobao.tmc.messages.confirm') return tmcConfirm(p);
      if (method === 'taobao.trade.memo.update') return memoUpdate(p);
      const listed = catalogueCall(method, p);
      if (listed) return listed;
      return error(22, 'Invalid method');
    },
  };
}

export const taobaoSimulator: SimulatorFactory = (opts) => createTaobaoSimulator(opts);
