// An order export as a finance person opens it: headers in their language, codes translated from the one catalogue,
// amounts in currency units, times on the shop's wall clock, the shop by name (its id kept for machines), and in the
// line layout one row per order line with the parcel that carries it.
import { label, type Lang } from '../../../kernel/catalogue.ts';
import { minorToDecimal } from '../../../kernel/money.ts';
import { formatInZone } from '../../../kernel/time.ts';
import type { ExportParcel, OrderExportLine, OrderExportRow } from './export-orders.ts';

export const exportLayouts = ['orders', 'lines'] as const;
export type ExportLayout = (typeof exportLayouts)[number];

/** How a cell is written: text, a decimal amount (a string with the currency's decimals) or a count. */
export type CellKind = 'text' | 'amount' | 'count';

export interface ExportColumn {
  key: string;
  kind: CellKind;
  header: Readonly<Record<Lang, string>>;
}

const col = (key: string, zh: string, en: string, kind: CellKind = 'text'): ExportColumn => ({ key, kind, header: { zh, en } });

const head = [
  col('orderNo', '订单号', 'Order no.'),
  col('platformOrderId', '平台订单号', 'Platform order id'),
  col('shop', '店铺', 'Shop'),
  col('channel', '渠道', 'Channel'),
  col('status', '订单状态', 'Order status'),
];
const receiver = [
  col('receiverName', '收件人', 'Receiver'),
  col('receiverPhone', '收件人电话', 'Receiver phone'),
  col('province', '省', 'Province'),
  col('city', '市', 'City'),
  col('district', '区/县', 'District'),
  col('address', '详细地址', 'Address'),
];
const times = [col('platformCreatedAt', '下单时间', 'Ordered at'), col('paidAt', '付款时间', 'Paid at')];

const columnsOf: Readonly<Record<ExportLayout, readonly ExportColumn[]>> = {
  orders: [
    ...head,
    col('paymentStatus', '付款状态', 'Payment'),
    col('fulfilmentStatus', '发货状态', 'Fulfilment'),
    col('reservation', '库存状态', 'Stock'),
    col('hold', '异常', 'Hold'),
    col('currency', '币种', 'Currency'),
    col('goodsAmount', '商品金额', 'Goods amount', 'amount'),
    col('shippingFee', '运费', 'Shipping fee', 'amount'),
    col('orderDiscount', '订单优惠', 'Order discount', 'amount'),
    col('totalAmount', '订单金额', 'Order total', 'amount'),
    col('paidAmount', '实付金额', 'Amount paid', 'amount'),
    col('carrier', '快递公司', 'Carrier'),
    col('trackingNo', '快递单号', 'Tracking number'),
    ...receiver,
    ...times,
    col('createdAt', '录入时间', 'Received at'),
    col('accountId', '店铺ID', 'Shop id'),
  ],
  lines: [
    ...head,
    col('lineNo', '行号', 'Line', 'count'),
    col('sku', 'SKU', 'SKU'),
    col('externalSku', '平台商品编码', 'Platform SKU'),
    col('title', '商品名称', 'Item'),
    col('quantity', '数量', 'Quantity', 'count'),
    col('currency', '币种', 'Currency'),
    col('unitPrice', '单价', 'Unit price', 'amount'),
    col('lineDiscount', '行优惠', 'Line discount', 'amount'),
    col('lineAmount', '行金额', 'Line amount', 'amount'),
    col('carrier', '快递公司', 'Carrier'),
    col('trackingNo', '快递单号', 'Tracking number'),
    ...receiver,
    ...times,
    col('accountId', '店铺ID', 'Shop id'),
  ],
};

export function exportColumns(layout: ExportLayout): readonly ExportColumn[] {
  return columnsOf[layout];
}

export interface SheetOptions {
  layout: ExportLayout;
  lang: Lang;
  /** The shop's IANA time zone: times are written on its wall clock. */
  timeZone: string;
}

/** One sheet row: column key → cell (amounts are decimal strings such as "99.80", counts numbers). */
export type SheetRow = Record<string, string | number>;

/** A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with ' (CSV injection). Amounts are ours. */
function safe(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

const joinParcels = (ps: readonly ExportParcel[], lang: Lang) => ({
  carrier: [...new Set(ps.map((p) => label(lang, 'carrier', p.carrier)).filter(Boolean))].join('; '),
  trackingNo: ps.map((p) => p.trackingNo).filter(Boolean).join('; '),
});

/** The rows one order takes in a layout: one, or one per line (an order without lines still takes one). */
export function sheetRows(o: OrderExportRow, opts: SheetOptions): SheetRow[] {
  const { lang, timeZone } = opts;
  const time = (iso: string) => (iso ? formatInZone(Date.parse(iso), timeZone) : '');
  const money = (minor: number) => minorToDecimal(minor, o.currency);
  const common: SheetRow = {
    orderNo: safe(o.orderNo),
    platformOrderId: safe(o.platformOrderId),
    shop: safe(o.shopName || o.accountId),
    accountId: o.accountId,
    channel: label(lang, 'channel', o.channel),
    status: label(lang, 'orderStatus', o.status),
    currency: o.currency,
    receiverName: safe(o.receiverName),
    receiverPhone: safe(o.receiverPhone),
    province: safe(o.province),
    city: safe(o.city),
    district: safe(o.district),
    address: safe(o.address),
    platformCreatedAt: time(o.platformCreatedAt),
    paidAt: time(o.paidAt),
  };
  if (opts.layout === 'orders') {
    return [
      {
        ...common,
        paymentStatus: label(lang, 'paymentStatus', o.paymentStatus),
        fulfilmentStatus: label(lang, 'fulfilmentStatus', o.fulfilmentStatus),
        reservation: label(lang, 'reservation', o.reservation),
        hold: label(lang, 'hold', o.hold),
        goodsAmount: money(o.goodsAmount),
        shippingFee: money(o.shippingFee),
        orderDiscount: money(o.orderDiscount),
        totalAmount: money(o.totalAmount),
        paidAmount: money(o.paidAmount),
        ...mapSafe(joinParcels(o.parcels, lang)),
        createdAt: time(o.createdAt),
      },
    ];
  }
  if (o.lines.length === 0) return [{ ...common, lineNo: '', sku: '', externalSku: '', title: '', quantity: '', unitPrice: '', lineDiscount: '', lineAmount: '', carrier: '', trackingNo: '' }];
  return o.lines.map((l: OrderExportLine) => ({
    ...common,
    lineNo: l.lineNo,
    sku: safe(l.sku),
    externalSku: safe(l.externalSku),
    title: safe(l.title),
    quantity: l.quantity,
    unitPrice: money(l.unitPrice),
    lineDiscount: money(l.discount),
    lineAmount: money(l.unitPrice * l.quantity - l.discount),
    ...mapSafe(joinParcels(l.parcels, lang)),
  }));
}

function mapSafe(r: { carrier: string; trackingNo: string }): { carrier: string; trackingNo: string } {
  return { carrier: safe(r.carrier), trackingNo: safe(r.trackingNo) };
}

/** The file's name on the shop's wall clock: orders-20261207-2125.csv (order-lines-… for the line layout). */
export function exportFileName(layout: ExportLayout, format: 'csv' | 'xlsx', now: number, timeZone: string): string {
  const stamp = formatInZone(now, timeZone).replaceAll('-', '').replace(' ', '-').replace(':', '').slice(0, 13);
  return `${layout === 'lines' ? 'order-lines' : 'orders'}-${stamp}.${format}`;
}

/**
 * Content-Disposition with the plain name (quotes and non-ASCII replaced) for old clients and the RFC 5987 UTF-8 name
 * (filename*) that current browsers prefer.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
