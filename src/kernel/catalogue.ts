// The server's words for the codes a person reads outside the console (exports now; PDF and notifications next): one
// catalogue per language, keyed by kind and code, so every place that shows a state names it the same way.
import { canonicalCarrier } from './carriers.ts';

export const langs = ['zh', 'en'] as const;
export type Lang = (typeof langs)[number];

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (langs as readonly string[]).includes(v);
}

/**
 * The language a person asked for: an explicit choice if given, else the first of Accept-Language the hub speaks
 * (q-values honoured), else Chinese (the console is Chinese-first).
 */
export function pickLang(explicit: string | undefined, acceptLanguage: string | undefined): Lang {
  if (isLang(explicit)) return explicit;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
      return { lang: tag.trim().toLowerCase().split('-')[0] ?? '', q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked.map((x) => x.lang).find(isLang) ?? 'zh';
}

export type LabelKind = 'orderStatus' | 'paymentStatus' | 'fulfilmentStatus' | 'reservation' | 'hold' | 'channel' | 'carrier' | 'shipmentState';

type Words = Readonly<Record<LabelKind, Readonly<Record<string, string>>>>;

const zh: Words = {
  orderStatus: { pending_payment: '待付款', paid: '已付款', shipped: '已发货', delivered: '已签收', completed: '已完成', cancelled: '已取消' },
  paymentStatus: { unpaid: '未付款', paid: '已付款', partially_refunded: '部分退款', refunded: '已退款' },
  fulfilmentStatus: { unfulfilled: '未发货', routed: '已分仓', partially_shipped: '部分发货', shipped: '已发货', delivered: '已签收', cancelled: '已取消' },
  reservation: { none: '未占库存', held: '已占库存', deducted: '已扣库存', shipped: '已出库', released: '已释放', restocked: '已退回库存', rerouted: '已改仓' },
  hold: {
    SKU_UNMATCHED: '商品未匹配',
    STOCK_SHORT: '库存不足',
    PAID_NO_STOCK: '已付款缺货',
    PLATFORM_HOLD: '平台暂停',
    STATUS_UNKNOWN: '平台状态未知',
    AMOUNT_MISMATCH: '金额不符',
  },
  channel: {
    taobao: '淘宝/天猫',
    jd: '京东',
    pinduoduo: '拼多多',
    douyin: '抖店',
    shopee: 'Shopee 虾皮',
    shopify: 'Shopify',
    woocommerce: 'WooCommerce',
    ownshop: '自有商城',
  },
  carrier: {
    sf: '顺丰速运',
    zto: '中通快递',
    yto: '圆通速递',
    sto: '申通快递',
    yunda: '韵达快递',
    chinapost: '中国邮政',
    ems: 'EMS',
    jd: '京东物流',
    best: '百世快递',
    deppon: '德邦快递',
    jt: '极兔速递',
  },
  shipmentState: { planned: '待分波次', waved: '待拣货', picked: '已拣货', packed: '已打包', shipped: '已发货', delivered: '已签收', returned: '已退回', cancelled: '已取消' },
};

const en: Words = {
  orderStatus: { pending_payment: 'Awaiting payment', paid: 'Paid', shipped: 'Shipped', delivered: 'Delivered', completed: 'Completed', cancelled: 'Cancelled' },
  paymentStatus: { unpaid: 'Unpaid', paid: 'Paid', partially_refunded: 'Partly refunded', refunded: 'Refunded' },
  fulfilmentStatus: { unfulfilled: 'Not shipped', routed: 'Warehouse assigned', partially_shipped: 'Partly shipped', shipped: 'Shipped', delivered: 'Delivered', cancelled: 'Cancelled' },
  reservation: { none: 'No stock held', held: 'Stock held', deducted: 'Stock deducted', shipped: 'Shipped out', released: 'Released', restocked: 'Restocked', rerouted: 'Moved to another warehouse' },
  hold: {
    SKU_UNMATCHED: 'SKU not matched',
    STOCK_SHORT: 'Stock short',
    PAID_NO_STOCK: 'Paid, no stock',
    PLATFORM_HOLD: 'Held by the platform',
    STATUS_UNKNOWN: 'Unknown platform status',
    AMOUNT_MISMATCH: 'Amount mismatch',
  },
  channel: {
    taobao: 'Taobao/Tmall',
    jd: 'JD',
    pinduoduo: 'Pinduoduo',
    douyin: 'Douyin shop',
    shopee: 'Shopee',
    shopify: 'Shopify',
    woocommerce: 'WooCommerce',
    ownshop: 'Own web shop',
  },
  carrier: {
    sf: 'SF Express',
    zto: 'ZTO Express',
    yto: 'YTO Express',
    sto: 'STO Express',
    yunda: 'Yunda Express',
    chinapost: 'China Post',
    ems: 'EMS',
    jd: 'JD Logistics',
    best: 'BEST Express',
    deppon: 'Deppon Express',
    jt: 'J&T Express',
  },
  shipmentState: { planned: 'Waiting for a wave', waved: 'To pick', picked: 'Picked', packed: 'Packed', shipped: 'Shipped', delivered: 'Delivered', returned: 'Returned', cancelled: 'Cancelled' },
};

const catalogues: Readonly<Record<Lang, Words>> = { zh, en };

/**
 * A code as a person reads it in a language. A code the catalogue does not know yet is shown as it is (never an empty
 * cell: an unknown carrier's code is still the best a reader can have); a carrier is looked up by its short code.
 */
export function label(lang: Lang, kind: LabelKind, code: string | null | undefined): string {
  if (code === null || code === undefined || code === '') return '';
  const key = kind === 'carrier' ? canonicalCarrier(code) : code;
  const words = catalogues[lang][kind];
  return Object.hasOwn(words, key) ? (words[key] as string) : code;
}

/** Every code a kind has words for (for a test that both languages cover the same codes). */
export function knownCodes(lang: Lang, kind: LabelKind): string[] {
  return Object.keys(catalogues[lang][kind]);
}
