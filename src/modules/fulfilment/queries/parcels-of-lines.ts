// Which parcel carries each order line (carrier and tracking number), for the orders module's line export: asked once
// per page of orders, so a large export costs one query per page and not one per order.
import { shipmentScopeSql, type DataScope } from '../../../kernel/scope.ts';
import { placeholders } from '../../../platform/db/unit-of-work.ts';
import type { Query } from '../views.ts';

/** A parcel that carries (part of) an order line: a line split over two parcels has two. */
export interface LineParcel {
  orderId: string;
  lineNo: number;
  shipmentId: string;
  state: string;
  carrier: string | null;
  trackingNo: string | null;
}

/**
 * The parcels, not cancelled, that carry lines of these orders and that the scope sees, oldest parcel first. A bundle's
 * components ride under their own line numbers: they are reported under the bundle's order line.
 */
export async function parcelsOfLines(q: Query, tenantId: string, orderIds: readonly string[], scope: DataScope): Promise<LineParcel[]> {
  if (orderIds.length === 0) return [];
  const f = shipmentScopeSql(scope, 's');
  const rows = await q.all<{ order_id: string; line_no: number; id: string; state: string; carrier: string | null; tracking_no: string | null }>(
    `SELECT DISTINCT l.order_id, COALESCE(l.bundle_line_no, l.line_no) AS line_no, s.id, s.state, s.carrier, s.tracking_no, s.created_at
       FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id
      WHERE l.tenant_id = ? AND l.order_id IN (${placeholders(orderIds.length)}) AND s.state <> 'cancelled' AND ${f.text}
      ORDER BY s.created_at, s.id`,
    [tenantId, ...orderIds, ...f.params],
  );
  return rows.map((r) => ({ orderId: r.order_id, lineNo: Number(r.line_no), shipmentId: r.id, state: r.state, carrier: r.carrier, trackingNo: r.tracking_no }));
}
