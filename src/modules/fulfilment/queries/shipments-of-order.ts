// The shipments of one order, for the order's 360° view (the orders module asks; it does not read these tables).
import { shipmentScopeSql, type DataScope } from '../../../kernel/scope.ts';
import { cols, shipmentViews, type Query, type ShipmentRow, type ShipmentView } from '../views.ts';

/** The shipments carrying any line of an order (for the order's 360° view), those the scope sees. */
export async function shipmentsOfOrder(q: Query, orderId: string, scope: DataScope): Promise<ShipmentView[]> {
  const f = shipmentScopeSql(scope, 'shipments');
  const rows = await q.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND ${f.text} ORDER BY id`, [orderId, ...f.params]);
  return shipmentViews(q, rows);
}
