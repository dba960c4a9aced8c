// What a tracking change does beyond the shipment row, shared by a recorded update and a re-check: the history of the
// shipment's orders, and for a trusted delivery its event and the orders it delivers.
import type { DeliveryTrustGrade } from './domain/delivery-trust.ts';
import type { Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import { moveOrder } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import type { TrackingDeps } from './deps.ts';
import type { TrackedShipmentRow } from './store/tracked-shipments.ts';

/** A line in the history of each order the shipment carries. */
export async function shipmentHistory(tx: Tx, s: TrackedShipmentRow, now: number, cause: string, detail: Record<string, unknown>, sourceTime?: number): Promise<void> {
  for (const orderId of JSON.parse(s.order_ids) as string[]) {
    await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause, sourceTime: sourceTime ?? null, detail });
  }
}

/** Each order whose shipments are now all delivered moves to delivered on the anchor. */
async function deliverOrders(deps: TrackingDeps, tx: Tx, s: TrackedShipmentRow, grade: DeliveryTrustGrade, at: number, now: number): Promise<void> {
  // Locked before the shipment by whoever locked it (lockTracked with its orders).
  const orders = await lockOrders(tx, JSON.parse(s.order_ids) as string[]);
  for (const o of orders.values()) {
    const orderId = o.id;
    if (o.status !== 'shipped') continue;
    const open = await tx.get<{ c: number }>(
      `SELECT COUNT(*) AS c FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state <> 'delivered'`,
      [orderId],
    );
    if (Number(open?.c ?? 0) > 0) continue;
    await moveOrder(tx, o, 'delivered', { source: 'system', cause: `shipment ${s.id} delivered (${grade})`, at: now, sourceTime: at }, deps.lifecycle);
  }
}

/** A trusted delivery, its shipment row already updated: the event, the orders' history, and the orders delivered. */
export async function confirmDelivered(
  deps: TrackingDeps,
  tx: Tx,
  s: TrackedShipmentRow,
  d: { grade: DeliveryTrustGrade; at: number; wasShipped: boolean; source: string; via: string; cause: string },
  now: number,
): Promise<void> {
  await appendEvent(tx, {
    tenantId: s.tenant_id,
    type: 'shipment.delivered',
    aggregateType: 'shipment',
    aggregateId: s.id,
    at: now,
    payload: { shipmentId: s.id, orderIds: JSON.parse(s.order_ids) as string[], trustGrade: d.grade, deliveredAt: d.at, source: d.source, via: d.via },
  });
  await shipmentHistory(tx, s, now, d.cause, { shipmentId: s.id, tracking: 'delivered', trustGrade: d.grade, trusted: true }, d.at);
  if (d.wasShipped) await deliverOrders(deps, tx, s, d.grade, d.at, now);
}
