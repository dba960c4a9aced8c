// An order export: audited before any row is read, then every matching order streamed in pages, flat.
import { sql } from 'kysely';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { OrderLinesTable, OrdersTable } from '../../../platform/db/schema.ts';
import { accountNames } from '../../channels/store/account-names.ts';
import { parcelsOfLines, type LineParcel } from '../../fulfilment/warehouse-flow.ts';
import { maskAddress, maskName, maskPhone } from '../domain/order.ts';
import type { OrderDeps } from '../deps.ts';
import type { PiiView } from '../views.ts';
import { filteredOrders, type OrderFilter } from './order-filter.ts';

/** A parcel as an export shows it: its carrier code and tracking number (either may still be missing). */
export interface ExportParcel {
  carrier: string;
  trackingNo: string;
}

/** One order line of an export, with the parcels that carry it (none before it ships). */
export interface OrderExportLine {
  lineNo: number;
  sku: string;
  externalSku: string;
  title: string;
  quantity: number;
  /** Minor units. */
  unitPrice: number;
  /** Minor units: the line's own discount. */
  discount: number;
  parcels: ExportParcel[];
}

/** One order of an export: codes and amounts in minor units as stored (the sheet translates them), times ISO UTC. */
export interface OrderExportRow {
  orderNo: string;
  platformOrderId: string;
  channel: string;
  accountId: string;
  /** The shop's name ('' for an account that no longer exists). */
  shopName: string;
  status: string;
  paymentStatus: string;
  fulfilmentStatus: string;
  reservation: string;
  hold: string;
  currency: string;
  goodsAmount: number;
  shippingFee: number;
  /** Platform + seller discounts on the whole order (line discounts are in the lines). */
  orderDiscount: number;
  totalAmount: number;
  paidAmount: number;
  receiverName: string;
  receiverPhone: string;
  province: string;
  city: string;
  district: string;
  address: string;
  platformCreatedAt: string;
  createdAt: string;
  paidAt: string;
  /** Every parcel carrying any line of the order, oldest first. */
  parcels: ExportParcel[];
  lines: OrderExportLine[];
}

/** How many rows an export will have: orders, and rows of the line layout (an order without lines still gets one). */
export interface ExportCounts {
  orders: number;
  lineRows: number;
}

/**
 * Starts an export: checks pii.view for a revealed one, counts the rows, and has `record` write the audit entry
 * before any row is read, so no copy of customer data leaves unaudited. `record` is the write path's audit call.
 */
export async function exportOrders(
  deps: OrderDeps,
  who: Principal,
  f: Omit<OrderFilter, 'page' | 'pageSize'>,
  pii: PiiView,
  record: (entry: { action: string; targetType: string; targetId: null; detail: unknown }) => Promise<void>,
): Promise<{ total: number; counts: ExportCounts; rows: AsyncGenerator<OrderExportRow> }> {
  if (pii.reveal) {
    requirePermission(who, 'pii.view');
  }
  const counts = await countExport(deps, who, f);
  // The audit log is read by people without pii.view: a phone number searched for is kept masked there.
  const filter = { ...f, ...(f.q && /\d{5,}/.test(f.q) ? { q: maskPhone(f.q.trim()) } : {}) };
  await record({ action: pii.reveal ? 'pii.export' : 'orders.export', targetType: 'order', targetId: null, detail: { filter, rows: counts.orders, reveal: pii.reveal } });
  return { total: counts.orders, counts, rows: exportOrderRows(deps, who, f, pii) };
}

/** The orders a filter matches and the rows their line layout takes, in two counts (no row is read). */
export async function countExport(deps: OrderDeps, who: Principal, f: Omit<OrderFilter, 'page' | 'pageSize'>): Promise<ExportCounts> {
  const base = await filteredOrders(deps, who, f);
  const [o] = (await base.select(sql<number>`count(*)`.as('n')).execute()) as [{ n: number }];
  const ids = base.select('orders.id');
  const [l] = (await deps.db.kysely.selectFrom('order_lines').where('order_id', 'in', ids).select(sql<number>`count(*)`.as('n')).execute()) as [{ n: number }];
  const [bare] = (await base
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('order_lines').select('order_lines.line_no').whereRef('order_lines.order_id', '=', 'orders.id'))))
    .select(sql<number>`count(*)`.as('n'))
    .execute()) as [{ n: number }];
  return { orders: Number(o.n), lineRows: Number(l.n) + Number(bare.n) };
}

/**
 * Every matching order for an export, newest first, read in pages by key (created_at, id) so that a large export
 * neither holds one huge result nor slows down with depth. Personal data masked unless `pii.reveal` (pii.view checked).
 */
export async function* exportOrderRows(
  deps: OrderDeps,
  who: Principal,
  f: Omit<OrderFilter, 'page' | 'pageSize'>,
  pii: PiiView,
  pageSize = 1000,
): AsyncGenerator<OrderExportRow> {
  for await (const page of exportOrderPages(deps, who, f, pii, pageSize)) yield* page;
}

/** The export's orders a page at a time: one query for the orders, one for their lines, one for their parcels. */
export async function* exportOrderPages(
  deps: OrderDeps,
  who: Principal,
  f: Omit<OrderFilter, 'page' | 'pageSize'>,
  pii: PiiView,
  pageSize = 1000,
): AsyncGenerator<OrderExportRow[]> {
  if (pii.reveal) requirePermission(who, 'pii.view');
  let after: { createdAt: number; id: string } | null = null;
  // The filter (and a search's index lookups) once; each page only adds its key condition.
  const base = await filteredOrders(deps, who, f);
  const shops = await accountNames(deps.db.read, who.tenantId);
  for (;;) {
    let q = base;
    if (after) {
      const c: { createdAt: number; id: string } = after;
      q = q.where((eb) => eb.or([eb('created_at', '<', c.createdAt), eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)])]));
    }
    const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(pageSize).execute();
    if (rows.length > 0) {
      const ids = rows.map((o) => o.id);
      const lines = await deps.db.kysely
        .selectFrom('order_lines')
        .where('tenant_id', '=', who.tenantId)
        .where('order_id', 'in', ids)
        .selectAll()
        .orderBy('order_id')
        .orderBy('line_no')
        .execute();
      const linesBy = groupBy(lines, (l) => l.order_id);
      const parcelsBy = groupBy(await parcelsOfLines(deps.db.read, who.tenantId, ids, who.scope), (p) => p.orderId);
      yield rows.map((o) => exportRow(deps, o, pii, shops, linesBy.get(o.id) ?? [], parcelsBy.get(o.id) ?? []));
    }
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as OrdersTable;
    after = { createdAt: Number(last.created_at), id: last.id };
  }
}

const parcelOf = (p: LineParcel): ExportParcel => ({ carrier: p.carrier ?? '', trackingNo: p.trackingNo ?? '' });

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = m.get(k);
    if (list) list.push(t);
    else m.set(k, [t]);
  }
  return m;
}

function exportRow(deps: OrderDeps, o: OrdersTable, pii: PiiView, shops: Map<string, string>, lines: OrderLinesTable[], parcels: LineParcel[]): OrderExportRow {
  const k = deps.keyring;
  const r = pii.reveal;
  const phone = k.decryptNullable(o.receiver_phone);
  const address = k.decryptNullable(o.receiver_address);
  const seen = new Set<string>();
  const orderParcels = parcels.filter((p) => !seen.has(p.shipmentId) && seen.add(p.shipmentId)).map(parcelOf);
  return {
    orderNo: o.order_no,
    platformOrderId: o.platform_order_id,
    channel: o.channel,
    accountId: o.account_id,
    shopName: shops.get(o.account_id) ?? '',
    status: o.status,
    paymentStatus: o.payment_status,
    fulfilmentStatus: o.fulfilment_status,
    reservation: o.reservation_state,
    hold: o.hold_code ?? '',
    currency: o.currency,
    goodsAmount: Number(o.goods_amount),
    shippingFee: Number(o.shipping_fee),
    orderDiscount: Number(o.discount_platform) + Number(o.discount_seller),
    totalAmount: Number(o.total_amount),
    paidAmount: Number(o.paid_amount),
    receiverName: (r ? o.receiver_name : maskName(o.receiver_name)) ?? '',
    receiverPhone: (r ? phone : maskPhone(phone)) ?? '',
    province: o.receiver_province,
    city: o.receiver_city,
    district: o.receiver_district,
    address: (r ? address : maskAddress(address)) ?? '',
    platformCreatedAt: toIso(Number(o.platform_created_at)) ?? '',
    createdAt: toIso(Number(o.created_at)) ?? '',
    paidAt: toIso(o.paid_at === null ? null : Number(o.paid_at)) ?? '',
    parcels: orderParcels,
    lines: lines.map((l) => ({
        lineNo: Number(l.line_no),
        sku: l.sku ?? '',
        externalSku: l.external_sku,
        title: l.title,
        quantity: Number(l.quantity),
        unitPrice: Number(l.unit_price),
        discount: Number(l.discount),
        parcels: parcels.filter((p) => p.lineNo === Number(l.line_no)).map(parcelOf),
      })),
  };
}
