// A Pinduoduo shop as the PDD open platform shows it: pdd.order.number.list.increment.get on /api/router (JSON or form
// body), the sign and timestamp checked the way PDD's gateway checks them, answers in PDD's shape (money as yuan
// numbers, Beijing times, receiver as ~…~ ciphertext plus masks while the order awaits shipment, empty afterwards) and
// PDD's error_response. Ship-back: pdd.logistics.online.send moves an order to order_status 2 with its logistics id and
// tracking number, which pdd.order.information.get and the next pull show; later parcels come as extra logistics
// (pdd.order.upload.extra.logistics, in extra_delivery_list); pdd.order.note.update keeps the seller's note and tag. No pushes: PDD's message service is not an HTTP webhook. Only paid orders are listed, as on
// PDD (a buyer's unpaid order never reaches the seller). Written apart from the hub's adapter (nothing imported).
import { createHash, timingSafeEqual } from 'node:crypto';
import { SimCatalogue } from './catalogue.ts';
import type { PlatformSimulator, SimOrder, SimRequest, SimResponse, SimulatorFactory, SimulatorOptions } from './types.ts';

const BEIJING = 8 * 3_600_000;
const SKEW_S = 10 * 60;
const WINDOW_S = 30 * 60;

function beijing(ms: number): string {
  const d = new Date(ms + BEIJING);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Fen as PDD's yuan number: one division of an integer, which prints as its exact decimal. */
const yuan = (fen: number) => fen / 100;

function pddSignature(params: Map<string, string>, secret: string): string {
  const s = [...params.keys()]
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => k + (params.get(k) ?? ''))
    .join('');
  return createHash('md5').update(secret + s + secret, 'utf8').digest('hex').toUpperCase();
}

/** The logistics ids the simulated shop can send with (pdd.logistics.companies.get). */
const knownLogistics = new Set([1, 3, 44, 85, 115, 118, 120, 121, 132]);

const maskName = (n: string) => (n ? `${[...n][0]}*` : '');
const maskPhone = (p: string) => (p.length >= 11 ? `${p.slice(0, 3)}****${p.slice(-4)}` : '*'.repeat(p.length));
const maskAddress = (a: string) => `${[...a].slice(0, 3).join('')}****`;

/** Which fields the raw-status override sets: `${order_status}/${refund_status}` or `<field>:<value>`. */
function stateFields(s: string): Record<string, unknown> {
  const pair = /^(\d+)\/(\d+)$/.exec(s);
  if (pair) return { order_status: Number(pair[1]), refund_status: Number(pair[2]) };
  const named = /^(group_status|confirm_status|step_trade_status):(\d+)$/.exec(s);
  if (named?.[1] === 'step_trade_status') return { order_status: 1, refund_status: 1, trade_type: 1, step_trade_status: Number(named[2]) };
  if (named) return { order_status: 1, refund_status: 1, [named[1]!]: Number(named[2]) };
  throw new Error(`the Pinduoduo simulator cannot write raw status ${s}`);
}

export function createPinduoduoSimulator(opts: SimulatorOptions): PlatformSimulator {
  const seed = opts.seed ?? 'pinduoduo';
  const h = createHash('sha256').update(`pdd-sim:${seed}`).digest('hex');
  const clientId = h.slice(0, 32);
  const clientSecret = h.slice(32, 64);
  const accessToken = createHash('sha256').update(`token:${h}`).digest('hex').slice(0, 40);
  const orders = new Map<string, SimOrder>();
  const stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  /** What online.send recorded per order_sn, as the order then shows it. */
  const sent = new Map<string, { logisticsId: number; trackingNumber: string; at: number }>();
  let failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  /** Extra parcels of sent orders (pdd.order.upload.extra.logistics), in upload order. */
  const extras = new Map<string, { shippingId: number; trackingNumber: string; type: number }[]>();
  /** The seller's note and tag per order (pdd.order.note.update). */
  const notes = new Map<string, { note: string; tag: number }>();
  let throttle = 0;
  let requestNo = 0;

  const requestId = () => `${Date.now()}${String(++requestNo).padStart(6, '0')}`;
  const answer = (body: unknown): SimResponse => ({ status: 200, headers: { 'content-type': 'application/json;charset=UTF-8' }, body: JSON.stringify(body) });
  const error = (code: number, msg: string, subCode?: string, subMsg?: string): SimResponse =>
    answer({ error_response: { error_msg: msg, sub_msg: subMsg ?? '', sub_code: subCode ?? null, error_code: code, request_id: requestId() } });

  /** PDD-style ciphertext: ~base64~index~version~~ (searchable index in the second part). */
  const cipher = (kind: string, plain: string) => {
    const body = createHash('sha256').update(`${h}:${kind}:${plain}`).digest('base64');
    const index = createHash('md5').update(`${kind}:${plain.slice(-4)}`).digest('base64').slice(0, 8);
    return `~AgAAAA${body}~${index}~1~~`;
  };

  function orderJson(o: SimOrder): Record<string, unknown> {
    if (o.currency !== 'CNY') throw new Error(`Pinduoduo orders are in CNY, not ${o.currency}`);
    const raw =
      o.rawStatus ??
      ({ created: '1/1', paid: '1/1', shipped: '2/1', delivered: '3/1', completed: '3/1', cancelled: '1/4' } as const)[o.phase];
    const st = stateFields(raw);
    const goodsTotal = o.lines.reduce((a, l) => a + l.unitPrice * l.quantity, 0);
    const change = o.lines.reduce((a, l) => a + l.discount, 0);
    const goodsAmount = goodsTotal - change;
    const discount = o.discountPlatform + o.discountSeller;
    const payAmount = goodsAmount - discount + o.shippingFee;
    const awaitingShipment = st.order_status === 1;
    const r = o.receiver;
    const step = st.step_trade_status as number | undefined;
    const consign = sent.get(o.id);
    return {
      address: awaitingShipment ? cipher('address', `${r.province}${r.city}${r.district}${r.address}`) : '',
      address_mask: maskAddress(`${r.province}${r.city}${r.district}${r.address}`),
      after_sales_status: st.refund_status === 1 ? 0 : st.refund_status === 4 ? 10 : 2,
      buyer_memo: '',
      capital_free_discount: 0,
      card_info_list: [],
      city: r.city,
      city_id: 77,
      confirm_status: (st.confirm_status as number | undefined) ?? 1,
      confirm_time: beijing(o.createdAt + 30_000),
      country: '中国',
      country_id: 1,
      created_time: beijing(o.createdAt),
      discount_amount: yuan(discount),
      duoduo_wholesale: 0,
      free_sf: 0,
      gift_list: [],
      goods_amount: yuan(goodsAmount),
      group_order_id: 8_000_000_000 + (parseInt(h.slice(0, 6), 16) % 1_000_000),
      group_role: 0,
      group_status: (st.group_status as number | undefined) ?? 1,
      inner_transaction_id: '',
      invoice_status: 0,
      is_lucky_flag: 1,
      is_pre_sale: 0,
      is_stock_out: 0,
      item_list: o.lines.map((l, i) => ({
        goods_count: l.quantity,
        goods_id: 500_000_000_000 + i,
        goods_img: 'https://img.pddpic.com/mms-material-img/example.jpeg',
        goods_name: l.title,
        goods_price: yuan(l.unitPrice),
        goods_spec: '默认',
        outer_goods_id: l.sku.split('-')[0],
        outer_id: l.sku,
        sku_id: 1_200_000_000_000 + i,
      })),
      last_ship_time: beijing(o.createdAt + 48 * 3_600_000),
      logistics_id: consign ? consign.logisticsId : st.order_status === 1 ? 0 : 115,
      order_change_amount: yuan(change),
      order_sn: o.id,
      order_status: st.order_status,
      order_tag_list: [{ name: 'free_sf', value: 0 }],
      pay_amount: yuan(payAmount),
      pay_no: `XP${o.id.replace(/\D/g, '').slice(-16)}`,
      pay_time: beijing(o.createdAt + 10_000),
      pay_type: 'WEIXIN',
      platform_discount: yuan(o.discountPlatform),
      postage: yuan(o.shippingFee),
      promotion_detail_list: [],
      province: r.province,
      province_id: 7,
      receiver_address: awaitingShipment ? cipher('address', r.address) : '',
      receiver_address_mask: maskAddress(r.address),
      receiver_name: awaitingShipment ? cipher('name', r.name) : '',
      receiver_name_mask: maskName(r.name),
      receiver_phone: awaitingShipment ? cipher('phone', r.phone) : '',
      receiver_phone_mask: maskPhone(r.phone),
      refund_status: st.refund_status,
      remark: notes.get(o.id)?.note ?? '',
      ...(notes.get(o.id)?.tag ? { remark_tag: notes.get(o.id)?.tag } : {}),
      extra_delivery_list: (extras.get(o.id) ?? []).map((x) => ({ logistics_id: x.shippingId, tracking_number: x.trackingNumber })),
      risk_control_status: 0,
      seller_discount: yuan(o.discountSeller),
      service_fee_detail: [],
      shipping_time: consign ? beijing(consign.at) : st.order_status === 1 ? '' : beijing(o.updatedAt),
      step_order_info:
        step === undefined ? null : { advanced_paid_fee: yuan(Math.min(1000, payAmount)), step_discount_amount: 0, step_paid_fee: yuan(step === 1 ? Math.min(1000, payAmount) : 0), step_trade_status: step },
      town: r.district,
      town_id: 777,
      tracking_number: consign ? consign.trackingNumber : st.order_status === 1 ? '' : `YT${o.id.replace(/\D/g, '').slice(-13)}`,
      trade_type: (st.trade_type as number | undefined) ?? 0,
      updated_at: beijing(o.updatedAt),
    };
  }

  function params(req: SimRequest): Map<string, string> | null {
    const p = new Map<string, string>();
    for (const [k, v] of req.query) p.set(k, v);
    if (!req.body.length) return p;
    const ct = String(req.headers['content-type'] ?? '');
    if (ct.includes('application/json')) {
      let b: unknown;
      try {
        b = JSON.parse(req.body.toString('utf8'));
      } catch {
        return null;
      }
      if (!b || typeof b !== 'object' || Array.isArray(b)) return null;
      for (const [k, v] of Object.entries(b as Record<string, unknown>)) p.set(k, typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
    } else {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) p.set(k, v);
    }
    return p;
  }

  function increment(p: Map<string, string>): SimResponse {
    const start = Number(p.get('start_updated_at'));
    const end = Number(p.get('end_updated_at'));
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return error(10000, '参数错误', 'isv.invalid-parameter:start_updated_at', '时间参数错误');
    if (end < start || end - start > WINDOW_S) return error(10000, '参数错误', 'isv.invalid-parameter:end_updated_at', '开始时间结束时间间距不超过30分钟');
    const page = Number(p.get('page') ?? '1');
    const size = Number(p.get('page_size') ?? '100');
    if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(size) || size < 1 || size > 100) return error(10000, '参数错误', 'isv.invalid-parameter:page_size', 'page_size最大100');
    const orderStatus = p.get('order_status') ?? '5';
    const refundStatus = p.get('refund_status') ?? '5';
    const rows = [...orders.values()]
      // Unpaid orders never reach the seller on PDD.
      .filter((o) => o.phase !== 'created' || o.rawStatus !== undefined)
      .filter((o) => {
        const s = Math.floor(o.updatedAt / 1000);
        return s >= start && s <= end;
      })
      .map(orderJson)
      .filter((j) => (orderStatus === '5' || String(j.order_status) === orderStatus) && (refundStatus === '5' || String(j.refund_status) === refundStatus))
      .sort((a, b) => (a.updated_at === b.updated_at ? (String(a.order_sn) < String(b.order_sn) ? -1 : 1) : String(a.updated_at) < String(b.updated_at) ? 1 : -1));
    const slice = rows.slice((page - 1) * size, page * size);
    return answer({
      [`order_sn_increment_get_response`]: {
        ...(p.get('use_has_next') === 'true' ? {} : { total_count: rows.length }),
        has_next: page * size < rows.length,
        order_sn_list: slice,
        request_id: requestId(),
      },
    });
  }

  function information(p: Map<string, string>): SimResponse {
    const o = orders.get(p.get('order_sn') ?? '');
    if (!o) return error(50001, '业务服务错误', 'order_not_exist', '订单不存在');
    return answer({ order_info_get_response: { order_info: orderJson(o), request_id: requestId() } });
  }

  /** pdd.logistics.online.send: only an order waiting for shipment, with no refund under way, can be sent. */
  function onlineSend(p: Map<string, string>): SimResponse {
    const orderSn = p.get('order_sn') ?? '';
    const trackingNumber = p.get('tracking_number') ?? '';
    const logisticsId = Number(p.get('logistics_id'));
    for (const [k, v] of [['order_sn', orderSn], ['tracking_number', trackingNumber], ['logistics_id', p.get('logistics_id') ?? '']] as const) {
      if (!v) return error(20007, '缺少必填请求参数', `isv.missing-parameter:${k}`, `${k}不能为空`);
    }
    const o = orders.get(orderSn);
    if (!o) return error(50001, '业务服务错误', 'order_not_exist', '订单不存在');
    if (!knownLogistics.has(logisticsId)) return error(50001, '业务服务错误', 'logistics_id_invalid', '快递公司不存在');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return error(50001, '业务服务错误', f.code ?? 'order_refunding', f.message ?? '订单售后中，不能发货');
    const st = orderJson(o);
    // redelivery_type: 1 (or absent) 首次发货, only for an order waiting to be sent; 2 修改发货, only for one already
    // sent, its carrier and number overwritten.
    const redelivery = p.get('redelivery_type') ?? '1';
    if (redelivery !== '1' && redelivery !== '2') return error(50001, '业务服务错误', 'redelivery_type_invalid', 'redelivery_type 只能为 1 或 2');
    if (redelivery === '2') {
      const before = sent.get(orderSn);
      if (st.order_status !== 2 || !before) return error(50001, '业务服务错误', 'order_status_invalid', '仅已发货订单可修改发货');
      sent.set(orderSn, { logisticsId, trackingNumber, at: before.at });
      orders.set(orderSn, { ...o, updatedAt: Math.max(Date.now(), Math.floor(o.updatedAt / 1000) * 1000 + 1000) });
      if (f) return f.code ? error(50000, '系统内部错误', f.code, f.message ?? '') : { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
      return answer({ logistics_online_send_response: { is_success: true, request_id: requestId() } });
    }
    if (st.order_status !== 1 || st.refund_status !== 1) return error(50001, '业务服务错误', 'order_status_invalid', '订单状态不允许发货');
    const now = Date.now();
    sent.set(orderSn, { logisticsId, trackingNumber, at: now });
    // Update times are whole seconds and must grow, or the next incremental pull would not see the change.
    const next: SimOrder = { ...o, phase: 'shipped', updatedAt: Math.max(now, Math.floor(o.updatedAt / 1000) * 1000 + 1000) };
    delete next.rawStatus;
    orders.set(orderSn, next);
    if (f) {
      // Applied, but the answer is lost: PDD's 系统内部错误 or the gateway's 5xx page.
      if (f.code) return error(50000, '系统内部错误', f.code, f.message ?? '');
      return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    }
    return answer({ logistics_online_send_response: { is_success: true, request_id: requestId() } });
  }

  /** pdd.order.upload.extra.logistics: more numbers for an order already sent (分包发货, 补寄, 赠品); shown to the buyer. */
  function uploadExtra(p: Map<string, string>): SimResponse {
    const orderSn = p.get('order_sn') ?? '';
    if (!orderSn) return error(20007, '缺少必填请求参数', 'isv.missing-parameter:order_sn', 'order_sn不能为空');
    let list: unknown;
    try {
      list = JSON.parse(p.get('extra_track_list') ?? '');
    } catch {
      list = null;
    }
    const tracks = Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
    if (tracks.length === 0) return error(20007, '缺少必填请求参数', 'isv.missing-parameter:extra_track_list', 'extra_track_list不能为空');
    const o = orders.get(orderSn);
    if (!o) return error(50001, '业务服务错误', 'order_not_exist', '订单不存在');
    for (const t of tracks) {
      if (!knownLogistics.has(Number(t.shipping_id)) || typeof t.tracking_number !== 'string' || !t.tracking_number) return error(50001, '业务服务错误', 'logistics_id_invalid', '快递公司或运单号不正确');
    }
    const type = Number(p.get('extra_track_type') ?? '1');
    const f = failWrite;
    failWrite = null;
    if (f && f.status < 500) return error(50001, '业务服务错误', f.code ?? 'order_refunding', f.message ?? '订单售后中，不能上传运单');
    if (![2, 3].includes(Number(orderJson(o).order_status))) return error(50001, '业务服务错误', 'order_not_shipped', '订单未发货，不能上传额外运单');
    const list2 = extras.get(orderSn) ?? [];
    for (const t of tracks) {
      // The same number uploaded again is kept once.
      if (!list2.some((x) => x.trackingNumber === t.tracking_number)) list2.push({ shippingId: Number(t.shipping_id), trackingNumber: String(t.tracking_number), type });
    }
    extras.set(orderSn, list2);
    if (f) return { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return answer({ upload_extra_logistics_response: { success: true, request_id: requestId() } });
  }

  /** pdd.order.note.update: the note (and tag with its tag_name, both or neither) replace the ones there. */
  function noteUpdate(p: Map<string, string>): SimResponse {
    const orderSn = p.get('order_sn') ?? '';
    if (!orderSn || !p.has('note')) return error(20007, '缺少必填请求参数', 'isv.missing-parameter:note', 'order_sn和note不能为空');
    if (!orders.has(orderSn)) return error(50001, '业务服务错误', 'order_not_exist', '订单不存在');
    const tag = p.get('tag');
    const tagName = p.get('tag_name');
    if ((tag === undefined) !== (tagName === undefined)) return error(10000, '参数错误', 'isv.invalid-parameter:tag', 'tag与tag_name需同时传入');
    if (tag !== undefined && !['1', '2', '3', '4', '5'].includes(tag)) return error(10000, '参数错误', 'isv.invalid-parameter:tag', 'tag取值1-5');
    if (tagName !== undefined && [...tagName].length > 3) return error(10000, '参数错误', 'isv.invalid-parameter:tag_name', 'tag_name最长3个字符');
    notes.set(orderSn, { note: p.get('note') ?? '', tag: tag === undefined ? 0 : Number(tag) });
    return answer({ response: { success: true, error_code: 0, error_msg: '', request_id: requestId() } });
  }

  // ---- the catalogue (商品): listing reads and stock writes (库存同步) ----------------------------------------------

  const catalogue = new SimCatalogue();

  /**
   * pdd.goods.list.get (goods page by page, each with its sku_list: outer_id, sku_quantity) and pdd.goods.quantity.update
   * (update_type 1: the full quantity; 2: a difference), after the signature check.
   */
  function catalogueCall(type: string, p: Map<string, string>): SimResponse | null {
    if (type === 'pdd.goods.list.get') {
      const page = Number(p.get('page') ?? '1');
      const size = Number(p.get('page_size') ?? '100');
      if (!Number.isSafeInteger(page) || page < 1 || !Number.isSafeInteger(size) || size < 1 || size > 100) return error(10000, '参数错误', 'isv.invalid-parameter:page_size', 'page_size取值范围1~100');
      const all = [...catalogue.items.values()].sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
      const goods = all.slice((page - 1) * size, page * size).map((it) => ({
        goods_id: Number(it.itemId),
        goods_name: it.title,
        goods_quantity: it.quantity,
        is_onsale: 1,
        sku_list: it.skus.map((k) => ({ sku_id: Number(k.skuId), outer_id: k.outerId ?? '', sku_quantity: k.quantity, spec: k.spec, is_sku_onsale: 1 })),
      }));
      return answer({ goods_list_get_response: { total_count: all.length, goods_list: goods, request_id: requestId() } });
    }
    if (type === 'pdd.goods.quantity.update') {
      const goodsId = p.get('goods_id') ?? '';
      const skuId = p.get('sku_id') ?? '';
      const quantity = Number(p.get('quantity'));
      const updateType = p.get('update_type') ?? '1';
      if (!goodsId) return error(20007, '缺少必填请求参数', 'isv.missing-parameter:goods_id', 'goods_id不能为空');
      if (!Number.isSafeInteger(quantity) || (updateType === '1' && quantity < 0) || (updateType !== '1' && updateType !== '2')) return error(10000, '参数错误', 'isv.invalid-parameter:quantity', '库存数量不合法');
      const refusal = catalogue.takeRefusal(goodsId);
      if (refusal) return error(50001, '业务服务错误', refusal.code, refusal.message);
      // An item with SKUs is written SKU by SKU.
      const before = catalogue.quantityOf(goodsId, skuId);
      if (before === null) return error(50001, '业务服务错误', 'goods_not_exist', '商品或SKU不存在');
      const after = updateType === '1' ? quantity : before + quantity;
      if (after < 0) return error(50001, '业务服务错误', 'quantity_negative', '库存不能小于0');
      catalogue.write(goodsId, skuId, after);
      return answer({ goods_quantity_update_response: { is_success: true, request_id: requestId() } });
    }
    return null;
  }

  return {
    platform: 'pinduoduo',
    credentials: { clientId, clientSecret, accessToken, apiBase: opts.apiBase },
    stats,
    catalogue,

    record(order) {
      orders.set(order.id, structuredClone(order));
      for (const l of order.lines) catalogue.ensureSku(l.sku, 800_000_000);
      return [];
    },

    throttleNext(n) {
      throttle = n;
    },

    failNextWrite(f) {
      failWrite = f;
    },

    shipmentsOf(platformOrderId) {
      const c = sent.get(platformOrderId);
      return c ? [c.trackingNumber, ...(extras.get(platformOrderId) ?? []).map((x) => x.trackingNumber)] : [];
    },

    remarkOf(platformOrderId) {
      const n = notes.get(platformOrderId);
      return n ? { text: n.note, flag: n.tag } : null;
    },

    handle(req) {
      if (req.path !== '/api/router') return { status: 404, body: '' };
      if (req.method !== 'POST') return error(10002, '请求方法错误，仅支持POST');
      stats.calls++;
      const p = params(req);
      if (!p) return error(10000, '参数错误', 'isv.invalid-parameter', 'body is not JSON');
      if (throttle > 0) {
        throttle--;
        stats.throttled++;
        return error(70031, '调用过于频繁，请调整调用频率');
      }
      for (const k of ['type', 'client_id', 'timestamp', 'sign']) if (!p.get(k)) return error(20007, '缺少必填请求参数', `isv.missing-parameter:${k}`, `${k}不能为空`);
      if (p.get('client_id') !== clientId) return error(10016, 'client_id不正确');
      const ts = Number(p.get('timestamp'));
      if (!Number.isSafeInteger(ts) || Math.abs(Math.floor(Date.now() / 1000) - ts) > SKEW_S) return error(10001, '公共参数错误', 'isv.invalid-parameter:timestamp', 'timestamp已过期');
      const given = Buffer.from(p.get('sign') ?? '', 'utf8');
      const expected = Buffer.from(pddSignature(p, clientSecret), 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        stats.refusedSignature++;
        return error(20004, '签名sign校验失败');
      }
      if (p.get('access_token') !== accessToken) return error(10019, 'access_token已过期');
      if (p.get('type') === 'pdd.order.number.list.increment.get') return increment(p);
      if (p.get('type') === 'pdd.order.information.get') return information(p);
      if (p.get('type') === 'pdd.logistics.online.send') return onlineSend(p);
      if (p.get('type') === 'pdd.order.upload.extra.logistics') return uploadExtra(p);
      if (p.get('type') === 'pdd.order.note.update') return noteUpdate(p);
      const listed = catalogueCall(p.get('type') ?? '', p);
      if (listed) return listed;
      return error(20031, '用户没有授权访问此接口');
    },
  };
}

export const pinduoduoSimulator: SimulatorFactory = (opts) => createPinduoduoSimulator(opts);
