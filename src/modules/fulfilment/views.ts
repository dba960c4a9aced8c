// Shipments, waves and pick lists as the warehouse flow reads them (rows typed by the schema) and shows them (views
// with the orders' numbers and every line).
import type { SqlValue } from '../../platform/db/database.ts';
import type { ShipmentsTable } from '../../platform/db/schema.ts';
import { toIso } from '../../kernel/time.ts';
import { orderNumbers } from '../orders/queries/order-facts.ts';

/** What both a write transaction and the read connection can answer. */
export interface Query {
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

/** A shipment as the warehouse flow reads it: the columns of `cols`, typed by the schema. */
export type ShipmentRow = Pick<
  ShipmentsTable,
  | 'id'
  | 'tenant_id'
  | 'plan_id'
  | 'warehouse'
  | 'order_ids'
  | 'state'
  | 'ship_by'
  | 'weight_grams'
  | 'carrier'
  | 'tracking_no'
  | 'wave_id'
  | 'created_at'
  | 'waved_at'
  | 'picked_at'
  | 'packed_at'
  | 'shipped_at'
  | 'delivered_at'
  | 'returned_at'
  | 'tracking_status'
  | 'trust_grade'
  | 'cancelled_at'
  | 'cancel_reason'
>;

export interface LineRow {
  shipment_id: string;
  order_id: string;
  line_no: number;
  sku: string;
  quantity: number;
  scanned: number;
  bundle_sku: string | null;
  bundle_line_no: number | null;
}

export interface ShipmentView {
  id: string;
  planId: string;
  warehouse: string;
  state: string;
  orderIds: string[];
  /** The orders' numbers, in the order of orderIds: what a warehouse reads off a screen or a parcel. */
  orderNos: string[];
  carrier: string | null;
  trackingNo: string | null;
  waveId: string | null;
  shipBy: string | null;
  weightGrams: number;
  /** bundleSku: the bundle (组合装) a component line belongs to, and bundleLineNo the order line it was sold on. */
  lines: { orderId: string; lineNo: number; sku: string; quantity: number; scanned: number; bundleSku?: string; bundleLineNo?: number }[];
  createdAt: string | null;
  wavedAt: string | null;
  pickedAt: string | null;
  packedAt: string | null;
  shippedAt: string | null;
  deliveredAt: string | null;
  returnedAt: string | null;
  /** The carrier's tracking (011): the tracking status set, or delivered_unconfirmed; and the delivery's trust grade. */
  trackingStatus: string | null;
  trustGrade: string | null;
  /** Cancelled before it left (015): every order in it was cancelled, or shipped another way. */
  cancelledAt: string | null;
  cancelReason: string | null;
}

export interface WaveView {
  id: string;
  warehouse: string;
  state: string;
  createdBy: string;
  createdAt: string | null;
  shipments: ShipmentView[];
}

export interface PickList {
  waveId: string;
  warehouse: string;
  createdAt: string | null;
  shipments: number;
  units: number;
  /** One row per SKU, in SKU order: what to take from the shelf, and how it splits over the parcels. */
  items: { sku: string; title: string; quantity: number; shipments: { shipmentId: string; quantity: number }[]; bundles: { sku: string; title: string; quantity: number }[] }[];
}

export const cols =
  'id, tenant_id, plan_id, warehouse, order_ids, state, ship_by, weight_grams, carrier, tracking_no, wave_id, created_at, waved_at, picked_at, packed_at, shipped_at, delivered_at, returned_at, tracking_status, trust_grade, cancelled_at, cancel_reason';
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
const n = (v: number | null): number | null => (v === null ? null : Number(v));

function view(s: ShipmentRow, lines: readonly LineRow[], orderNos: ReadonlyMap<string, string>): ShipmentView {
  const orderIds = JSON.parse(s.order_ids) as string[];
  return {
    id: s.id,
    planId: s.plan_id,
    warehouse: s.warehouse,
    state: s.state,
    orderIds,
    orderNos: orderIds.map((id) => orderNos.get(id) ?? id),
    carrier: s.carrier,
    trackingNo: s.tracking_no,
    waveId: s.wave_id,
    shipBy: toIso(n(s.ship_by)),
    weightGrams: Number(s.weight_grams),
    lines: lines
      .filter((l) => l.shipment_id === s.id)
      .map((l) => ({
        orderId: l.order_id,
        lineNo: Number(l.line_no),
        sku: l.sku,
        quantity: Number(l.quantity),
        scanned: Number(l.scanned),
        // Only a bundle's component (组合装) says which bundle and order line it belongs to.
        ...(l.bundle_sku ? { bundleSku: l.bundle_sku, bundleLineNo: Number(l.bundle_line_no) } : {}),
      })),
    createdAt: toIso(n(s.created_at)),
    wavedAt: toIso(n(s.waved_at)),
    pickedAt: toIso(n(s.picked_at)),
    packedAt: toIso(n(s.packed_at)),
    shippedAt: toIso(n(s.shipped_at)),
    deliveredAt: toIso(n(s.delivered_at)),
    returnedAt: toIso(n(s.returned_at)),
    trackingStatus: s.tracking_status,
    trustGrade: s.trust_grade,
    cancelledAt: toIso(n(s.cancelled_at)),
    cancelReason: s.cancel_reason,
  };
}

/** The shipments' views: their lines read in pages, their orders' numbers asked of the orders module. */
export async function shipmentViews(q: Query, rows: readonly ShipmentRow[]): Promise<ShipmentView[]> {
  if (rows.length === 0) return [];
  const lines: LineRow[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const ids = rows.slice(i, i + 500).map((r) => r.id);
    lines.push(
      ...(await q.all<LineRow>(
        `SELECT shipment_id, order_id, line_no, sku, quantity, scanned, bundle_sku, bundle_line_no FROM shipment_lines WHERE shipment_id IN (${placeholders(ids.length)}) ORDER BY shipment_id, order_id, line_no`,
        ids,
      )),
    );
  }
  const orderNos = await orderNumbers(q, [...new Set(rows.flatMap((r) => JSON.parse(r.order_ids) as string[]))]);
  return rows.map((r) => view(r, lines, orderNos));
}
