// A Douyin shop (抖店) stand-in: message pushes signed with event-sign = hex MD5(app_key + body + app_secret), and the
// order.searchList API answering as openapi-fxg.jinritemai.com does (HTTP 200 with {code, msg, sub_code, sub_msg,
// log_id, data}; 10000 is success) after checking app_key, access_token, the timestamp window and the sign the way
// the platform does. Written apart from src/modules/channels/connectors/douyin on purpose: nothing is shared with the adapter.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { PlatformSimulator, SimOrder, SimPhase, SimPush, SimRequest, SimResponse, SimulatorFactory } from './types.ts';

/** The platform's allowed clock difference for `timestamp` [not confirmed in the docs read; TOP's is the same]. */
const timestampWindowSeconds = 600;

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
    return jsonText(shop);
  }

  record(order: SimOrder, _hookUrl: string): SimPush[] {
    const json = this.orderJson(order);
    this.orders.set(order.id, { id: order.id, createTime: Math.floor(order.createdAt / 1000), updateTime: Math.floor(order.updatedAt / 1000), json });
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

  handle(req: SimRequest): SimResponse {
    this.stats.calls++;
    if (this.throttle > 0) {
      this.throttle--;
      this.stats.throttled++;
      return this.error(60000, '触发限流，请稍后重试');
    }
    const q = req.query;
    const method = q.get('method') ?? '';
    if (req.method !== 'POST' || req.path !== '/order/searchList' || method !== 'order.searchList') {
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
      const parsed = JSON.parse(paramJson) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      p = parsed as Record<string, unknown>;
    } catch {
      return this.error(40003, '非法的参数（平台校验）', 'isv.parameter-format-invalid', '业务参数json解析失败');
    }
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
