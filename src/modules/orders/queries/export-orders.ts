// An order export: audited before any row is read, then every matching order streamed in pages, flat.
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { OrdersTable } from '../../../platform/db/schema.ts';
import { maskAddress, maskName, maskPhone } from '../domain/order.ts';
import type { OrderDeps } from '../deps.ts';
import type { PiiView } from '../views.ts';
import { countOrders } from './count-orders.ts';
import { filteredOrders, type OrderFilter } from './order-filter.ts';

/** One row of an order export: flat, amounts in minor units, personal data masked unless revealed. */
export interface OrderExportRow {
  orderNo: string;
  platformOrderId: string;
  channel: string;
  accountId: string;
  status: string;
  paymentStatus: string;
  fulfilmentStatus: string;
  reservation: string;
  hold: string;
  currency: string;
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
): Promise<{ total: number; rows: AsyncGenerator<OrderExportRow> }> {
  if (pii.reveal) {
    requirePermission(who, 'pii.view');
  }
  const total = await countOrders(deps, who, f);
  // The audit log is read by people without pii.view: a phone number searched for is kept masked there.
  const filter = { ...f, ...(f.q && /\d{5,}/.test(f.q) ? { q: maskPhone(f.q.trim()) } : {}) };
  await record({ action: pii.reveal ? 'pii.export' : 'orders.export', targetType: 'order', targetId: null, detail: { filter, rows: total, reveal: pii.reveal } });
  return { total, rows: exportOrderRows(deps, who, f, pii) };
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
  if (pii.reveal) requirePermission(who, 'pii.view');
  let after: { createdAt: number; id: string } | null = null;
  // The filter (and a search's index lookups) once; each page only adds its key condition.
  const base = await filteredOrders(deps, who, f);
  for (;;) {
    let q = base;
    if (after) {
      const c: { createdAt: number; id: string } = after;
      q = q.where((eb) => eb.or([eb('created_at', '<', c.createdAt), eb.and([eb('created_at', '=', c.createdAt), eb('id', '<', c.id)])]));
    }
    const rows = await q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(pageSize).execute();
    for (const o of rows) yield exportRow(deps, o, pii);
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1] as OrdersTable;
    after = { createdAt: Number(last.created_at), id: last.id };
  }
}

function exportRow(deps: OrderDeps, o: OrdersTable, pii: PiiView): OrderExportRow {
  const k = deps.keyring;
  const r = pii.reveal;
  const phone = k.decryptNullable(o.receiver_phone);
  const address = k.decryptNullable(o.receiver_address);
  return {
    orderNo: o.order_no,
    platformOrderId: o.platform_order_id,
    channel: o.channel,
    accountId: o.account_id,
    status: o.status,
    paymentStatus: o.payment_status,
    fulfilmentStatus: o.fulfilment_status,
    reservation: o.reservation_state,
    hold: o.hold_code ?? '',
    currency: o.currency,
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
  };
}
