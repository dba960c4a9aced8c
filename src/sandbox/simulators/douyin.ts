// A Douyin shop (抖店) stand-in: message pushes signed with event-sign = hex MD5(app_key + body + app_secret), and the
// order.searchList API answering as openapi-fxg.jinritemai.com does (HTTP 200 with {code, msg, sub_code, sub_msg,
// log_id, data}; 10000 is success) after checking app_key, access_token, the timestamp window and the sign the way
// the platform does. Written apart from src/modules/channels/connectors/douyin on purpose: nothing is shared with the adapter.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PlatformSimulator, SimOrder, SimPhase, SimPush, SimRequest, SimResponse, SimulatorFactory } from './types.ts';

/** The platform's allowed clock difference for `timestamp` [not confirmed in the docs read; TOP's is the same]. */
const timestampWindowSeconds = 600;
/** The API methods the simulator answers (each at /<method with dots as slashes>). */
const apiMethods = new Set(['order.searchList', 'order.orderDetail', 'order.logisticsAdd', 'order.logisticsAddMultiPack', 'order.logisticsEdit', 'order.logisticsEditByPack', 'order.addOrderRemark', 'product.listV2', 'sku.list', 'sku.syncStock']);

const statusOfPhase: Record<SimPhase, number> = { created: 1, paid: 2, shipped: 3, delivered: 3, completed: 5, cancelled: 4 };
const statusText: Record<string, string> = {
  '1': '待支付',
  '103': '部分支付',
  '105': '已支付',
  '2': '备货中',
  '101': '部分发货',
  '3': '已发货',
  '4': '已取消',
  '5': '已完成',
  '21': '发货前退款完结',
  '22': '发货后退款完结',
  '39': '收货后退款完结',
};
/** The message each phase sends (tags from the message docs: 100 TradeCreate … 106 TradeCanceled). */
const tagOfPhase: Record<SimPhase, string | null> = { created: '100', paid: '101', shipped: '102', delivered: null, completed: '103', cancelled: '106' };

const big = (digits: string) => `@@num:${digits}@@`;
/** JSON text where `big(...)` markers become bare numbers (ids that do not fit a double, as Douyin writes them). */
function jsonText(v: unknown): string {
  return JSON.stringify(v).replace(/"@@num:(\d+)@@"/g, '$1');
}

function hashHex(...parts: string[]): string {
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

function digitsFrom(hex: string, n: number): string {
  let s = BigInt(`0x${hex}`).toString().replace(/^0+/, '');
  while (s.length < n) s += s;
  return `${(Number(s[0]) % 9) + 1}${s.slice(1, n)}`;
}

function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function gmt8(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function split(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  let given = 0;
  return weights.map((w, i) => {
    if (i === weights.length - 1) return total - given;
    const share = sum === 0 ? 0 : Math.floor((total * w) / sum);
    given += share;
    return share;
  });
}

interface Stored {
  id: string;
  updateTime: number;
  createTime: number;
  json: string;
  order: SimOrder;
}

/** One parcel the shop sent for an order (order.logisticsAdd or one pack of order.logisticsAddMultiPack). */
interface SimShipment {
  trackingNo: string;
  companyCode: string;
  at: number;
  packId: string;
  items: { skuOrderId: string; num: number }[];
}

/** One SKU of the shop's catalogue (each SKU code of the orders is a product of its own, with the ids its orders show). */
interface CatalogueSku {
  code: string;
  name: string;
  productId: string;
  skuId: string;
  stock: number;
}

/** The quantity a SKU is offered with when an order first names it. */
const initialStock = 100;
/** company_code values /order/logisticsCompanyList lists (as far as the simulator knows them). */
const companyCodes: Record<string, string> = { shunfeng: '顺丰速运', zhongtong: '中通快递', yuantong: '圆通速递', shentong: '申通快递', yunda: '韵达快递', ems: 'EMS', jd: '京东物流', jtexpress: '极兔速递' };

/** Integers of 16 digits or more, as text: Douyin's ids do not fit a double (the simulator's own exact reading). */
function exactJsonText(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const m = /^\d{16,}(?![.eE\d])/.exec(text.slice(i));
    if (m && !/[\d.]/.test(text[i - 1] ?? '')) {
      out += `"${m[0]}"`;
      i += m[0].length - 1;
      continue;
    }
    out += c;
  }
  return out;
}

class DouyinSimulator implements PlatformSimulator {
  readonly platform = 'douyin';
  readonly credentials: Record<string, unknown>;
  readonly stats = { calls: 0, refusedSignature: 0, throttled: 0 };
  private readonly appKey: string;
  private readonly appSecret: string;
  private readonly accessToken: string;
  private readonly shopId: string;
  private readonly orders = new Map<string, Stored>();
  private throttle = 0;
  private readonly shipments = new Map<string, SimShipment[]>();
  private readonly remarks = new Map<string, { remark: string; star: number | null }>();
  private readonly skuCatalogue = new Map<string, CatalogueSku>();
  /** multipack request_id → the answer it got: a repeat answers the same and ships nothing. */
  private readonly multiPackRequests = new Map<string, string>();
  private failWrite: { status: number; applied?: boolean; code?: string; message?: string } | null = null;
  private msgSeq = 0;
  private logSeq = 0;

  constructor(
    apiBase: string,
    private readonly seed: string,
  ) {
    this.appKey = digitsFrom(hashHex('app_key', seed), 19);
    this.appSecret = uuidFrom(hashHex('app_secret', seed));
    this.accessToken = uuidFrom(hashHex('access_token', seed));
    this.shopId = digitsFrom(hashHex('shop_id', seed), 8);
    this.credentials = { appKey: this.appKey, appSecret: this.appSecret, accessToken: this.accessToken, shopId: this.shopId, apiBase };
  }

  throttleNext(n: number): void {
    this.throttle += n;
  }

  // ---- the shop's orders ------------------------------------------------------------------------------------

  /** A ciphertext shaped like Douyin's (##…*…#1## for names and addresses, $$…*…$1$$ for phones); opaque here. */
  private cipher(kind: 'name' | 'phone' | 'address', plain: string): string {
    const a = createHash('sha256').update(`${this.seed}|${kind}|${plain}`).digest('base64');
    const b = createHash('sha256').update(`${plain}|${kind}`).digest('base64').slice(0, 28);
    return kind === 'phone' ? `$$${a}*${b}$1$$` : `##${a}*${b}#1##`;
  }

  /** A single-line order's sku order id is the shop order's; further lines get the next numbers. */
  private skuOrderId(id: string, i: number): string {
    if (i === 0) return id;
    return /^\d+$/.test(id) ? (BigInt(id) + BigInt(i)).toString() : `${id}-${i}`;
  }

  private orderJson(o: SimOrder): string {
    const rawStatus = o.rawStatus ?? String(statusOfPhase[o.phase]);
    const statusValue = /^\d+$/.test(rawStatus) ? Number(rawStatus) : rawStatus;
    const sec = (ms: number) => Math.floor(ms / 1000);
    const createTime = sec(o.createdAt);
    const updateTime = sec(o.updatedAt);
    const payTime = o.phase === 'created' ? 0 : Math.min(createTime + 30, updateTime);
    const shipped = o.phase === 'shipped' || o.phase === 'delivered' || o.phase === 'completed';

    const goods = o.lines.map((l) => l.unitPrice * l.quantity);
    const lineShop = o.lines.map((l) => l.discount);
    const shopOrder = split(o.discountSeller, goods);
    const platformShare = split(o.discountPlatform, goods);
    const postShare = split(o.shippingFee, goods);
    const shopPromo = lineShop.reduce((a, b) => a + b, 0) + o.discountSeller;
    const promotion = shopPromo + o.discountPlatform;
    const goodsTotal = goods.reduce((a, b) => a + b, 0);
    const orderAmount = goodsTotal - promotion + o.shippingFee;

    const region = {
      province: { name: o.receiver.province, id: digitsFrom(hashHex(o.receiver.province), 2) },
      city: { name: o.receiver.city, id: digitsFrom(hashHex(o.receiver.city), 6) },
      town: { name: o.receiver.district, id: digitsFrom(hashHex(o.receiver.district), 6) },
      street: { name: '', id: '0' },
    };
    const receiver = {
      encrypt_post_tel: this.cipher('phone', o.receiver.phone),
      encrypt_post_receiver: this.cipher('name', o.receiver.name),
      post_addr: { ...region, encrypt_detail: this.cipher('address', o.receiver.address) },
      mask_post_receiver: `${[...o.receiver.name][0] ?? ''}*`,
      mask_post_tel: `${o.receiver.phone.slice(0, 3)}****${o.receiver.phone.slice(-4)}`,
      mask_post_addr: { ...region, detail: '****' },
    };
    const statusFields = {
      order_status: statusValue,
      order_status_desc: statusText[rawStatus] ?? '未知',
      main_status: statusValue,
      main_status_desc: statusText[rawStatus] ?? '未知',
    };
    const skuOrders = o.lines.map((l, i) => {
      const skuPromoShop = (lineShop[i] ?? 0) + (shopOrder[i] ?? 0);
      const skuPromoPlatform = platformShare[i] ?? 0;
      const skuAmount = (goods[i] ?? 0) - skuPromoShop - skuPromoPlatform + (postShare[i] ?? 0);
      const productId = digitsFrom(hashHex('product', l.sku), 19);
      return {
        order_id: this.skuOrderId(o.id, i),
        parent_order_id: o.id,
        order_level: 3,
        biz: 2,
        biz_desc: '小店',
        order_type: 0,
        order_type_desc: '普通订单',
        trade_type: 0,
        trade_type_desc: '普通',
        ...statusFields,
        pay_time: payTime,
        create_time: createTime,
        update_time: updateTime,
        item_num: l.quantity,
        origin_amount: l.unitPrice,
        sum_amount: goods[i],
        order_amount: skuAmount,
        pay_amount: skuAmount,
        post_amount: postShare[i],
        promotion_amount: skuPromoShop + skuPromoPlatform,
        promotion_shop_amount: skuPromoShop,
        promotion_platform_amount: skuPromoPlatform,
        promotion_talent_amount: 0,
        promotion_pay_amount: 0,
        shop_cost_amount: skuPromoShop,
        platform_cost_amount: skuPromoPlatform,
        author_cost_amount: 0,
        only_platform_cost_amount: skuPromoPlatform,
        modify_amount: 0,
        tax_amount: 0,
        has_tax: false,
        goods_type: 0,
        product_id: big(productId),
        product_id_str: productId,
        sku_id: big(digitsFrom(hashHex('sku', l.sku), 16)),
        code: l.sku,
        out_sku_id: '',
        product_name: l.title,
        spec: [{ name: '规格', value: '默认' }],
        product_pic: `https://p3-aio.ecombdimg.com/obj/ecom-shop-material/${hashHex('pic', l.sku).slice(0, 24)}`,
        reduce_stock_type: 1,
        reduce_stock_type_desc: '下单减库存',
        ...receiver,
      };
    });
    const shop = {
      shop_id: Number(this.shopId),
      shop_name: '模拟抖店',
      open_id: '',
      order_id: o.id,
      order_level: 2,
      biz: 2,
      biz_desc: '小店',
      order_type: 0,
      order_type_desc: '普通订单',
      trade_type: 0,
      trade_type_desc: '普通',
      ...statusFields,
      pay_time: payTime,
      order_expire_time: 1800,
      finish_time: o.phase === 'completed' ? updateTime : 0,
      create_time: createTime,
      update_time: updateTime,
      cancel_reason: o.phase === 'cancelled' ? '不想要了' : '',
      buyer_words: '',
      seller_words: '',
      b_type: 2,
      b_type_desc: '抖音',
      sub_b_type: 1,
      sub_b_type_desc: 'app内-原生',
      app_id: 1128,
      pay_type: 1,
      channel_payment_no: o.phase === 'created' ? '' : `42000${digitsFrom(hashHex('pay', o.id), 23)}`,
      order_amount: orderAmount,
      pay_amount: orderAmount,
      post_amount: o.shippingFee,
      post_insurance_amount: 0,
      modify_amount: 0,
      modify_post_amount: 0,
      promotion_amount: promotion,
      promotion_shop_amount: shopPromo,
      promotion_platform_amount: o.discountPlatform,
      shop_cost_amount: shopPromo,
      platform_cost_amount: o.discountPlatform,
      only_platform_cost_amount: o.discountPlatform,
      author_cost_amount: 0,
      promotion_talent_amount: 0,
      promotion_pay_amount: 0,
      promotion_redpack_amount: 0,
      promotion_redpack_platform_amount: 0,
      promotion_redpack_talent_amount: 0,
      total_promotion_amount: promotion,
      post_origin_amount: o.shippingFee,
      post_promotion_amount: 0,
      tax_amount: 0,
      ...receiver,
      exp_ship_time: createTime + 48 * 3600,
      ship_time: shipped ? updateTime : 0,
      logistics_info: shipped
        ? [{ tracking_no: `SF${digitsFrom(hashHex('track', o.id), 13)}`, company: 'shunfeng', company_name: '顺丰速运', ship_time: updateTime, delivery_id: '' }]
        : [],
      sku_order_list: skuOrders,
      seller_remark_stars: 0,
      order_phase_list: [],
      doudian_open_id: `1@#${createHash('sha256').update(`${this.seed}|${o.buyer.id}`).digest('base64')}`,
      serial_number_list: [],
      user_tag_ui: [],
    };
    return jsonText(this.withWrites(o, shop));
  }

  record(order: SimOrder, _hookUrl: string): SimPush[] {
    const json = this.orderJson(order);
    this.orders.set(order.id, { id: order.id, createTime: Math.floor(order.createdAt / 1000), updateTime: Math.floor(order.updatedAt / 1000), json, order: structuredClone(order) });
    this.addToCatalogue(order);
    const tag = tagOfPhase[order.phase];
    if (!tag) return [];
    const sec = Math.floor(order.updatedAt / 1000);
    const rawStatus = order.rawStatus ?? String(statusOfPhase[order.phase]);
    const pId = /^\d+$/.test(order.id) ? big(order.id) : order.id;
    const sIds = order.lines.map((_l, i) => {
      const id = this.skuOrderId(order.id, i);
      return /^\d+$/.test(id) ? big(id) : id;
    });
    const common = { biz: 2, order_status: /^\d+$/.test(rawStatus) ? Number(rawStatus) : rawStatus, order_type: 0, p_id: pId, s_ids: sIds, shop_id: Number(this.shopId) };
    const total = order.lines.reduce((a, l) => a + l.unitPrice * l.quantity - l.discount, 0) + order.shippingFee - order.discountSeller - order.discountPlatform;
    const data: Record<SimPhase, Record<string, unknown>> = {
      created: { ...common, create_time: Math.floor(order.createdAt / 1000) },
      paid: { ...common, pay_amount: total, pay_time: sec, pay_type: 1 },
      shipped: {
        ...common,
        logistics_msg: { express_company_id: '12', logistics_code: `SF${digitsFrom(hashHex('track', order.id), 13)}` },
        receiver_msg: { addr: jsonText({ province: { name: order.receiver.province } }), name: this.cipher('name', order.receiver.name), tel: this.cipher('phone', order.receiver.phone) },
        update_time: sec,
      },
      delivered: common,
      completed: { ...common, complete_time: sec },
      cancelled: { ...common, cancel_reason: '不想要了', cancel_time: sec },
    };
    this.msgSeq++;
    const msgId = digitsFrom(hashHex('msg', this.seed, order.id, String(this.msgSeq)), 19);
    const body = JSON.stringify([{ tag, msg_id: msgId, data: jsonText(data[order.phase]) }]);
    const eventSign = createHash('md5').update(`${this.appKey}${body}${this.appSecret}`, 'utf8').digest('hex');
    return [{ headers: { 'content-type': 'application/json', 'app-id': this.appKey, 'event-sign': eventSign }, body }];
  }

  // ---- the API ----------------------------------------------------------------------------------------------

  private logId(): string {
    this.logSeq++;
    const t = gmt8(Date.now()).replace(/\D/g, '');
    return `${t}${hashHex('log', this.seed, String(this.logSeq)).slice(0, 20).toUpperCase()}`;
  }

  private error(code: number, msg: string, subCode = '', subMsg = ''): SimResponse {
    // Errors come back as HTTP 200 with the code in the body.
    return { status: 200, body: JSON.stringify({ code, data: {}, log_id: this.logId(), msg, sub_code: subCode, sub_msg: subMsg }) };
  }

  private signOf(method: string, pattern: string): Buffer | null {
    if (method === 'md5') return createHash('md5').update(pattern, 'utf8').digest();
    if (method === 'hmac-sha256') return createHmac('sha256', this.appSecret).update(pattern, 'utf8').digest();
    return null;
  }

  // ---- writes and the catalogue -----------------------------------------------------------------------------

  failNextWrite(f: { status: number; applied?: boolean; code?: string; message?: string }): void {
    this.failWrite = f;
  }

  shipmentsOf(platformOrderId: string): string[] {
    return (this.shipments.get(platformOrderId) ?? []).map((x) => x.trackingNo);
  }

  catalogueOf(): { code: string; itemId: string; skuId: string; quantity: number }[] {
    return [...this.skuCatalogue.values()].map((c) => ({ code: c.code, itemId: c.productId, skuId: c.skuId, quantity: c.stock }));
  }

  setCatalogueQuantity(code: string, quantity: number): void {
    const c = this.skuCatalogue.get(code);
    if (!c) throw new Error(`no SKU ${code} in the Douyin catalogue`);
    c.stock = quantity;
  }

  private addToCatalogue(o: SimOrder): void {
    for (const l of o.lines) {
      if (this.skuCatalogue.has(l.sku)) continue;
      this.skuCatalogue.set(l.sku, { code: l.sku, name: l.title, productId: digitsFrom(hashHex('product', l.sku), 19), skuId: digitsFrom(hashHex('sku', l.sku), 16), stock: initialStock });
    }
  }

  /** The order's JSON with what the shop wrote on it: its parcels (logistics_info) and the seller's remark. */
  private withWrites(o: SimOrder, shop: Record<string, unknown>): Record<string, unknown> {
    const sent = this.shipments.get(o.id);
    const remark = this.remarks.get(o.id);
    const out = { ...shop };
    if (sent?.length) {
      out.logistics_info = sent.map((x) => ({
        tracking_no: x.trackingNo,
        company: x.companyCode,
        company_name: companyCodes[x.companyCode] ?? x.companyCode,
        ship_time: Math.floor(x.at / 1000),
        delivery_id: x.packId,
        product_info: x.items.map((i) => ({ sku_order_id: i.skuOrderId, product_count: i.num })),
      }));
      out.ship_time = Math.floor((sent[0] as SimShipment).at / 1000);
    }
    if (remark) {
      out.seller_words = remark.remark;
      out.seller_remark_stars = remark.star ?? 0;
    }
    return out;
  }

  private ok(data: unknown): SimResponse {
    return { status: 200, body: `{"code":10000,"data":${jsonText(data)},"log_id":${JSON.stringify(this.logId())},"msg":"success","sub_code":"","sub_msg":""}` };
  }

  private businessError(subCode: string, subMsg: string): SimResponse {
    return this.error(50002, '业务处理失败', subCode, subMsg);
  }

  /** A stored order changed by a write: a later modified time (whole seconds, growing) and its JSON again. */
  private touch(s: Stored, change: Partial<SimOrder>): void {
    const updatedAt = Math.max(Date.now(), (s.updateTime + 1) * 1000);
    const order: SimOrder = { ...s.order, ...change, updatedAt };
    if (!change.rawStatus) delete order.rawStatus;
    s.order = order;
    s.updateTime = Math.floor(updatedAt / 1000);
    s.json = this.orderJson(order);
  }

  private rawStatusOf(s: Stored): string {
    return s.order.rawStatus ?? String(statusOfPhase[s.order.phase]);
  }

  /** The sku orders of an order, with what each still waits to send. */
  private skuOrdersLeft(s: Stored): { id: string; code: string; left: number }[] {
    const sent = this.shipments.get(s.id) ?? [];
    return s.order.lines.map((l, i) => {
      const id = this.skuOrderId(s.id, i);
      const done = sent.reduce((a, x) => a + x.items.filter((it) => it.skuOrderId === id).reduce((b, it) => b + it.num, 0), 0);
      return { id, code: l.sku, left: l.quantity - done };
    });
  }

  /** failNextWrite before a write: the refusal to answer, or the lost answer to give once the write is applied. */
  private takeFailure(): { refusal: SimResponse | null; lost: (() => SimResponse) | null } {
    const f = this.failWrite;
    this.failWrite = null;
    if (!f) return { refusal: null, lost: null };
    if (f.status < 500) return { refusal: this.businessError(f.code ?? 'isv.business-failed:order_aftersale', f.message ?? '订单存在售后，不能发货'), lost: null };
    return {
      refusal: null,
      lost: () =>
        // Applied, then the answer is lost: 服务不可用 naming an isp.* sub-code, or the gateway's 5xx page.
        f.code ? this.error(20000, '服务不可用', f.code, f.message ?? '服务超时，请稍后重试') : { status: f.status, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
    };
  }

  /** order.orderDetail: one shop order as order.searchList writes it, under data.shop_order_detail. */
  private orderDetail(p: Record<string, unknown>): SimResponse {
    const id = typeof p.shop_order_id === 'string' ? p.shop_order_id : '';
    if (!id) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'shop_order_id 不能为空');
    const s = this.orders.get(id);
    if (!s) return this.businessError('isv.business-failed:order_not_exist', '订单不存在');
    return { status: 200, body: `{"code":10000,"data":{"shop_order_detail":${s.json}},"log_id":${JSON.stringify(this.logId())},"msg":"success","sub_code":"","sub_msg":""}` };
  }

  private ship(s: Stored, sh: SimShipment): void {
    this.shipments.set(s.id, [...(this.shipments.get(s.id) ?? []), sh]);
    const all = this.skuOrdersLeft(s).every((x) => x.left <= 0);
    this.touch(s, all ? { phase: 'shipped' } : { rawStatus: '101' });
  }

  /** order.logisticsAdd: the whole order leaves in one parcel; only an order waiting to be sent can be sent. */
  private logisticsAdd(p: Record<string, unknown>): SimResponse {
    const id = typeof p.order_id === 'string' ? p.order_id : '';
    const companyCode = typeof p.company_code === 'string' ? p.company_code : '';
    const trackingNo = typeof p.logistics_code === 'string' ? p.logistics_code : '';
    if (!id || !companyCode || !trackingNo) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'order_id、company_code、logistics_code 必填');
    const s = this.orders.get(id);
    if (!s) return this.businessError('isv.business-failed:order_not_exist', '订单不存在');
    if (!Object.hasOwn(companyCodes, companyCode)) return this.businessError('isv.business-failed:company_not_exist', '物流公司不存在');
    const { refusal, lost } = this.takeFailure();
    if (refusal) return refusal;
    if (!['2', '105'].includes(this.rawStatusOf(s))) return this.businessError('isv.business-failed:status_not_allow', '订单状态不允许发货');
    const items = this.skuOrdersLeft(s).map((x) => ({ skuOrderId: x.id, num: x.left }));
    this.ship(s, { trackingNo, companyCode, at: Date.now(), packId: digitsFrom(hashHex('pack', s.id, trackingNo), 19), items });
    return lost ? lost() : this.ok({});
  }

  /** order.logisticsAddMultiPack: parcels each carrying some of the order's sku orders; request_id repeats answer alike. */
  private logisticsAddMultiPack(p: Record<string, unknown>): SimResponse {
    const id = typeof p.order_id === 'string' ? p.order_id : '';
    const requestId = typeof p.request_id === 'string' ? p.request_id : '';
    const packs = Array.isArray(p.pack_list) ? (p.pack_list as Record<string, unknown>[]) : [];
    if (!id || packs.length === 0) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'order_id、pack_list 必填');
    const s = this.orders.get(id);
    if (!s) return this.businessError('isv.business-failed:order_not_exist', '订单不存在');
    const earlier = requestId ? this.multiPackRequests.get(`${id}|${requestId}`) : undefined;
    if (earlier) return { status: 200, body: earlier };
    if (!['2', '105', '101'].includes(this.rawStatusOf(s))) return this.businessError('isv.business-failed:status_not_allow', '订单状态不允许发货');
    const left = new Map(this.skuOrdersLeft(s).map((x) => [x.id, x.left]));
    const planned: SimShipment[] = [];
    for (const pack of packs) {
      const companyCode = typeof pack.company_code === 'string' ? pack.company_code : '';
      const trackingNo = typeof pack.logistics_code === 'string' ? pack.logistics_code : '';
      const info = Array.isArray(pack.shipped_order_info) ? (pack.shipped_order_info as Record<string, unknown>[]) : [];
      if (!companyCode || !trackingNo || info.length === 0) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'pack_list 的 company_code、logistics_code、shipped_order_info 必填');
      if (!Object.hasOwn(companyCodes, companyCode)) return this.businessError('isv.business-failed:company_not_exist', '物流公司不存在');
      const items: SimShipment['items'] = [];
      for (const it of info) {
        const skuOrderId = typeof it.shipped_order_id === 'string' ? it.shipped_order_id : '';
        const num = typeof it.shipped_num === 'number' && Number.isSafeInteger(it.shipped_num) ? it.shipped_num : 0;
        const room = left.get(skuOrderId);
        if (room === undefined) return this.businessError('isv.business-failed:sku_order_not_exist', `子订单 ${skuOrderId} 不属于该订单`);
        if (num <= 0 || num > room) return this.businessError('isv.business-failed:shipped_num_invalid', `子订单 ${skuOrderId} 发货数量超过待发货数量`);
        left.set(skuOrderId, room - num);
        items.push({ skuOrderId, num });
      }
      planned.push({ trackingNo, companyCode, at: Date.now(), packId: digitsFrom(hashHex('pack', s.id, trackingNo), 19), items });
    }
    const { refusal, lost } = this.takeFailure();
    if (refusal) return refusal;
    for (const sh of planned) this.ship(s, sh);
    const answer = this.ok({
      pack_list: planned.map((sh) => ({ pack_id: sh.packId, logistics_code: sh.trackingNo, shipped_order_info: sh.items.map((i) => ({ shipped_order_id: i.skuOrderId, shipped_num: i.num, shipped_item_ids: [] })) })),
    });
    if (requestId) this.multiPackRequests.set(`${id}|${requestId}`, answer.body);
    return lost ? lost() : answer;
  }

  /**
   * order.logisticsEdit / order.logisticsEditByPack: a sent parcel's company and number changed (修改物流), what the
   * buyer and the next pull see. logisticsEdit names the order and edits its one parcel; an order sent in several
   * parcels names the parcel by pack_id (the simulator refuses logisticsEdit for it rather than guess which). The
   * pack keeps its id; an order not sent yet has nothing to edit.
   */
  private logisticsEdit(p: Record<string, unknown>, byPack: boolean): SimResponse {
    const id = typeof p.order_id === 'string' ? p.order_id : '';
    const packId = typeof p.pack_id === 'string' ? p.pack_id : '';
    const companyCode = typeof p.company_code === 'string' ? p.company_code : '';
    const trackingNo = typeof p.logistics_code === 'string' ? p.logistics_code : '';
    if (!id || !companyCode || !trackingNo || (byPack && !packId)) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', `order_id${byPack ? '、pack_id' : ''}、company_code、logistics_code 必填`);
    const s = this.orders.get(id);
    if (!s) return this.businessError('isv.business-failed:order_not_exist', '订单不存在');
    if (!Object.hasOwn(companyCodes, companyCode)) return this.businessError('isv.business-failed:company_not_exist', '物流公司不存在');
    const sent = this.shipments.get(id) ?? [];
    if (sent.length === 0) return this.businessError('isv.business-failed:status_not_allow', '订单未发货，不能修改物流信息');
    const target = byPack ? sent.find((x) => x.packId === packId) : sent.length === 1 ? sent[0] : undefined;
    if (!target) return byPack ? this.businessError('isv.business-failed:pack_not_exist', '包裹不存在') : this.businessError('isv.business-failed:multi_pack', '该订单有多个包裹，请按包裹修改');
    const { refusal, lost } = this.takeFailure();
    if (refusal) return refusal;
    this.shipments.set(id, sent.map((x) => (x === target ? { ...x, trackingNo, companyCode } : x)));
    this.touch(s, s.order.rawStatus ? { rawStatus: s.order.rawStatus } : {});
    return lost ? lost() : this.ok({});
  }

  /** order.addOrderRemark: the remark (at most 60 characters) replaces the last; a star 0–5 when is_add_star. */
  private addOrderRemark(p: Record<string, unknown>): SimResponse {
    const id = typeof p.order_id === 'string' ? p.order_id : '';
    const remark = typeof p.remark === 'string' ? p.remark : undefined;
    if (!id || remark === undefined) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'order_id、remark 必填');
    if ([...remark].length > 60) return this.businessError('isv.business-failed:remark_too_long', '备注内容不能超过60个字符');
    const s = this.orders.get(id);
    if (!s) return this.businessError('isv.business-failed:order_not_exist', '订单不存在');
    const addStar = p.is_add_star === 'true';
    const star = addStar ? Number(p.star ?? '0') : null;
    if (star !== null && !(Number.isInteger(star) && star >= 0 && star <= 5)) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'star 取值 0～5');
    this.remarks.set(id, { remark, star });
    this.touch(s, s.order.rawStatus ? { rawStatus: s.order.rawStatus } : {});
    return this.ok({});
  }

  /** product.listV2: the catalogue's products, page from 1, size 1–100. */
  private productList(p: Record<string, unknown>): SimResponse {
    const page = typeof p.page === 'number' ? p.page : 1;
    const size = typeof p.size === 'number' ? p.size : 10;
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 100 || page * size > 10_000) {
      return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'page 从 1 开始，size 需在 1-100 之间，page*size 不超过 10000');
    }
    const all = [...this.skuCatalogue.values()];
    const rows = all.slice((page - 1) * size, page * size).map((c) => ({ product_id: big(c.productId), product_id_str: c.productId, name: c.name, status: 0, check_status: 3, product_type: 0 }));
    return this.ok({ data: rows, page, size, total: all.length });
  }

  /** sku.list: one product's SKUs with code and stock_num. */
  private skuList(p: Record<string, unknown>): SimResponse {
    const productId = typeof p.product_id === 'string' ? p.product_id : '';
    const skus = [...this.skuCatalogue.values()].filter((c) => c.productId === productId);
    if (!productId || skus.length === 0) return this.businessError('isv.business-failed:product_not_exist', '商品不存在');
    return this.ok(skus.map((c) => ({ id: big(c.skuId), product_id: big(c.productId), product_id_str: c.productId, code: c.code, sku_type: 0, stock_num: c.stock, prehold_stock_num: 0, spec_detail_name1: '默认', price: 1000 })));
  }

  /** sku.syncStock: incremental=false sets stock_num; true adds it once per idempotent_id (not used by the hub). */
  private syncStock(p: Record<string, unknown>): SimResponse {
    const productId = typeof p.product_id === 'string' ? p.product_id : '';
    const skuId = typeof p.sku_id === 'string' ? p.sku_id : '';
    const stock = p.stock_num;
    if (typeof stock !== 'number' || !Number.isSafeInteger(stock) || stock < 0) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'stock_num 必须为非负整数');
    if (p.incremental === true) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', '增量更新需传 idempotent_id');
    const c = [...this.skuCatalogue.values()].find((x) => x.productId === productId && x.skuId === skuId);
    if (!c) return this.businessError('isv.business-failed:sku_not_exist', 'sku不存在');
    const f = this.failWrite;
    this.failWrite = null;
    if (f && f.status < 500) return this.businessError(f.code ?? 'isv.business-failed:sku_stock_locked', f.message ?? '活动中的商品不能修改库存');
    c.stock = stock;
    if (f) return f.code ? this.error(20000, '服务不可用', f.code, f.message ?? '服务超时，请稍后重试') : { status: f.status, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
    return this.ok({});
  }

  handle(req: SimRequest): SimResponse {
    this.stats.calls++;
    if (this.throttle > 0) {
      this.throttle--;
      this.stats.throttled++;
      return this.error(60000, '触发限流，请稍后重试');
    }
    const q = req.query;
    const method = q.get('method') ?? '';
    if (req.method !== 'POST' || !apiMethods.has(method) || req.path !== `/${method.replaceAll('.', '/')}`) {
      return this.error(70000, '接口服务已下线', 'isp.api-service-off', 'API不存在或API已下线');
    }
    const appKey = q.get('app_key');
    const sign = q.get('sign');
    const timestamp = q.get('timestamp') ?? '';
    const accessToken = q.get('access_token');
    if (!sign) return this.error(40001, '缺少必选参数（平台校验）', 'isv.signature-missing', '获取签名失败，请根据文档确保参数拼装正确');
    if (!appKey || appKey !== this.appKey) return this.error(40001, '缺少必选参数（平台校验）', 'isv.app-id-missing', '认证失败，app_key不存在');
    if (!accessToken) return this.error(40001, '缺少必选参数（平台校验）', 'isv.access-token-missing', '认证失败，access_token不能为空');
    const v = q.get('v') ?? '';
    if (v !== '2') return this.error(40003, '非法的参数（平台校验）', 'isv.parameter-format-invalid', 'v 必须为 2');

    // The sign covers the body as sent: the business parameters are the param_json.
    const paramJson = req.body.toString('utf8');
    const pattern = `${this.appSecret}app_key${appKey}method${method}param_json${paramJson}timestamp${timestamp}v${v}${this.appSecret}`;
    const expected = this.signOf((q.get('sign_method') ?? 'md5').toLowerCase(), pattern);
    const given = /^[0-9a-f]+$/i.test(sign) ? Buffer.from(sign, 'hex') : Buffer.alloc(0);
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.stats.refusedSignature++;
      return this.error(40003, '非法的参数（平台校验）', 'isv.signature-invalid', '签名校验失败');
    }

    let at: number;
    if (/^\d{9,11}$/.test(timestamp)) at = Number(timestamp) * 1000;
    else if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(timestamp)) at = Date.parse(`${timestamp.replace(' ', 'T')}+08:00`);
    else return this.error(40003, '非法的参数（平台校验）', 'isv.timestamp-format-error', '时间戳格式错误');
    if (!Number.isFinite(at) || Math.abs(Date.now() - at) > timestampWindowSeconds * 1000) {
      return this.error(40003, '非法的参数（平台校验）', 'isv.timestamp-invalid', '时间戳不合法');
    }
    if (accessToken !== this.accessToken) return this.error(40003, '非法的参数（平台校验）', 'isv.access-token-no-existed', 'access_token不存在，请使用最新的access_token访问');

    let p: Record<string, unknown>;
    try {
      const parsed = JSON.parse(exactJsonText(paramJson)) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      p = parsed as Record<string, unknown>;
    } catch {
      return this.error(40003, '非法的参数（平台校验）', 'isv.parameter-format-invalid', '业务参数json解析失败');
    }
    if (method === 'order.orderDetail') return this.orderDetail(p);
    if (method === 'order.logisticsAdd') return this.logisticsAdd(p);
    if (method === 'order.logisticsAddMultiPack') return this.logisticsAddMultiPack(p);
    if (method === 'order.logisticsEdit') return this.logisticsEdit(p, false);
    if (method === 'order.logisticsEditByPack') return this.logisticsEdit(p, true);
    if (method === 'order.addOrderRemark') return this.addOrderRemark(p);
    if (method === 'product.listV2') return this.productList(p);
    if (method === 'sku.list') return this.skuList(p);
    if (method === 'sku.syncStock') return this.syncStock(p);
    const int = (k: string): number | undefined => (typeof p[k] === 'number' && Number.isSafeInteger(p[k]) ? (p[k] as number) : undefined);
    const page = int('page') ?? 0;
    const size = int('size') ?? 10;
    if (page < 0 || size < 1 || size > 100) return this.error(40004, '非法的参数（业务校验）', 'isv.business-failed', 'size 需在 1-100 之间，page 从 0 开始');
    const byUpdate = p.order_by === 'update_time';
    const key = (s: Stored) => (byUpdate ? s.updateTime : s.createTime);
    const [from, to] = byUpdate ? [int('update_time_start'), int('update_time_end')] : [int('create_time_start'), int('create_time_end')];
    const asc = p.order_asc === true;
    const found = [...this.orders.values()]
      .filter((s) => (from === undefined || key(s) >= from) && (to === undefined || key(s) <= to))
      .sort((a, b) => (key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) * (asc ? 1 : -1));
    const pageItems = found.slice(page * size, page * size + size);
    const body =
      `{"code":10000,"data":{"page":${page},"shop_order_list":[${pageItems.map((s) => s.json).join(',')}],"size":${size},"total":${found.length}},` +
      `"log_id":${JSON.stringify(this.logId())},"msg":"success","sub_code":"","sub_msg":""}`;
    return { status: 200, body };
  }
}

export const douyinSimulator: SimulatorFactory = (opts) => new DouyinSimulator(opts.apiBase, opts.seed ?? 'douyin');
