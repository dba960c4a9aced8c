// The shipment columns tracking owns (migration 011 put them on the shipment row), and locking shipments to change them.
import { deliveryTrustGrades, type DeliveryTrustGrade } from '../domain/delivery-trust.ts';
import type { SqlValue, Tx } from '../../../platform/db/database.ts';
import { lockOrders } from '../../orders/store/orders.ts';

/** The shipment columns tracking reads. */
export interface TrackedShipmentRow {
  id: string;
  tenant_id: string;
  warehouse: string;
  order_ids: string;
  state: string;
  carrier: string | null;
  tracking_no: string | null;
  shipped_at: number | null;
  delivered_at: number | null;
  tracking_status: string | null;
  last_event_at: number | null;
  carrier_delivered_at: number | null;
  delivery_seen_at: number | null;
  delivery_outlet: string | null;
  trust_grade: string | null;
  recheck_count: number;
  recheck_state: string | null;
  tracking_account_id: string | null;
  tracking_ref: string | null;
}

export const trackedColumns =
  'id, tenant_id, warehouse, order_ids, state, carrier, tracking_no, shipped_at, delivered_at, tracking_status, last_event_at, carrier_delivered_at, ' +
  'delivery_seen_at, delivery_outlet, trust_grade, recheck_count, recheck_state, tracking_account_id, tracking_ref';

/** A stored trust grade, as the type the trust rules take (null, or a value they do not know, is not one). */
export const isGrade = (g: string | null): g is DeliveryTrustGrade => g !== null && (deliveryTrustGrades as readonly string[]).includes(g);
/** A nullable time column as a number (PostgreSQL's bigint comes back as a string). */
export const nullableNumber = (v: number | null): number | null => (v === null ? null : Number(v));

/**
 * Shipments locked for a tracking change, in id order — and their orders before them when the change may move the
 * orders (a delivery). SQLite's one writer reads them current and only records the locks.
 */
export async function lockTracked(tx: Tx, where: string, params: SqlValue[], withOrders: boolean): Promise<TrackedShipmentRow[]> {
  if (tx.dialect === 'sqlite') {
    const rows = await tx.all<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE ${where} ORDER BY id`, params);
    if (withOrders) tx.locks.take('order', rows.flatMap((r) => JSON.parse(r.order_ids) as string[]));
    tx.locks.take('shipment', rows.map((r) => r.id));
    return rows;
  }
  const seen = await tx.all<{ id: string; order_ids: string }>(`SELECT id, order_ids FROM shipments WHERE ${where}`, params);
  if (seen.length === 0) return [];
  if (withOrders) await lockOrders(tx, seen.flatMap((r) => JSON.parse(r.order_ids) as string[]));
  tx.locks.take('shipment', seen.map((r) => r.id));
  const all = seen.map((r) => r.id).sort();
  return tx.all<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE id IN (${all.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`, all);
}
