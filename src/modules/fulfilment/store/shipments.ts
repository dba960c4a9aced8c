// An order that leaves the warehouse flow before its shipments were handed to a carrier — cancelled, or shipped by the
// seller another way (the platform's back office) — is withdrawn from them in the transaction that moved it (拦截).
// Lives beside the order lifecycle, not in the warehouse-flow service, which itself moves orders along the anchor.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import { forUpdate, inList } from '../../../platform/db/unit-of-work.ts';
import { appendEvent, appendHistory } from '../../../platform/outbox/append.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { oweWaybillCancel } from '../waybills/owe-cancel.ts';

export type WithdrawReason = 'order_cancelled' | 'shipped_elsewhere';

/**
 * Locks the parcels of these orders that have not left yet, in id order: what a write that may cancel orders (or learn
 * they shipped elsewhere) takes after the orders and before stock, the one lock order.
 */
export async function lockUnshippedShipmentsOf(tx: Tx, orderIds: readonly string[]): Promise<void> {
  for (let i = 0; i < orderIds.length; i += 500) {
    const orderIn = inList(tx, 'order_id', orderIds.slice(i, i + 500));
    const rows = await tx.all<{ id: string }>(
      `SELECT id FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE ${orderIn.sql})
         AND state IN ('planned', 'waved', 'picked', 'packed') ORDER BY id${forUpdate(tx)}`,
      orderIn.params,
    );
    tx.locks.take('shipment', rows.map((r) => r.id));
  }
}

/** States in which a shipment has not left yet: an order can still be taken out of it. */
const unshipped = ['planned', 'waved', 'picked', 'packed'] as const;

/**
 * The order's parcels the warehouse still works on (planned to packed). A hand move to shipped would withdraw the order
 * from them and stop them, so it is refused while there are any: the parcel ships through the warehouse flow.
 */
export async function openParcelsOf(r: Pick<Reader, 'all'>, orderId: string): Promise<{ id: string; state: string; warehouse: string }[]> {
  return r.all<{ id: string; state: string; warehouse: string }>(
    `SELECT id, state, warehouse FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state IN (${unshipped.map(() => '?').join(', ')}) ORDER BY id`,
    [orderId, ...unshipped],
  );
}

interface Row {
  id: string;
  tenant_id: string;
  plan_id: string;
  warehouse: string;
  order_ids: string;
  state: (typeof unshipped)[number];
  weight_grams: number;
}

interface WithdrawnLine {
  lineNo: number;
  sku: string;
  quantity: number;
  /** Units of the line already taken off the shelf (picked, or scanned into the parcel): they go back. */
  putBack: number;
}

/**
 * Takes the order out of every shipment of it that has not shipped. A shipment with no other order is cancelled
 * (state `cancelled`, lines kept as the record); a merged one loses the order's lines and carries on for the others,
 * and if it was already packed it goes back to picked with its lines unscanned, so the parcel is scanned again without
 * the withdrawn units. Each change is an event on the shipment and history on the orders; the units already off the
 * shelf are named (`putBack`) so the warehouse puts them back. Returns the shipments touched.
 */
export async function withdrawFromShipments(tx: Tx, o: { tenant_id: string; id: string; order_no: string }, reason: WithdrawReason, cause: string, now: number): Promise<string[]> {
  const rows = await tx.all<Row>(
    `SELECT id, tenant_id, plan_id, warehouse, order_ids, state, weight_grams FROM shipments
     WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state IN (${unshipped.map(() => '?').join(', ')}) ORDER BY id${forUpdate(tx)}`,
    [o.id, ...unshipped],
  );
  // Locked in id order, after the order (the caller holds it): the ledger checks that is the one lock order.
  tx.locks.take('shipment', rows.map((r) => r.id));
  for (const s of rows) {
    const lines = await tx.all<{ line_no: number; sku: string; quantity: number; scanned: number }>(
      'SELECT line_no, sku, quantity, scanned FROM shipment_lines WHERE shipment_id = ? AND order_id = ? ORDER BY line_no',
      [s.id, o.id],
    );
    const offShelf = s.state === 'picked' || s.state === 'packed';
    const withdrawn: WithdrawnLine[] = lines.map((l) => ({ lineNo: Number(l.line_no), sku: l.sku, quantity: Number(l.quantity), putBack: offShelf ? Number(l.quantity) : Number(l.scanned) }));
    const putBack = withdrawn.filter((l) => l.putBack > 0).map((l) => ({ sku: l.sku, quantity: l.putBack }));
    const others = (JSON.parse(s.order_ids) as string[]).filter((id) => id !== o.id);
    const base = { shipmentId: s.id, planId: s.plan_id, warehouse: s.warehouse, orderId: o.id, orderNo: o.order_no, reason };
    if (others.length === 0) {
      shipmentMachine.check(s.state, 'cancelled', { ordersLeft: 0 });
      const changed = await tx.run(`UPDATE shipments SET state = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE id = ? AND state = ?`, [now, reason, now, s.id, s.state]);
      if (changed !== 1) throw new Error(`shipment ${s.id} changed while order ${o.order_no} was withdrawn from it`);
      // The stopped parcel's waybill number is given back after commit (the waybill worker).
      await oweWaybillCancel(tx, s.id, reason, now);
      await appendEvent(tx, { tenantId: o.tenant_id, type: 'shipment.cancelled', aggregateType: 'shipment', aggregateId: s.id, at: now, payload: { ...base, orderIds: [o.id], from: s.state, lines: withdrawn, putBack } });
      await appendHistory(tx, { tenantId: o.tenant_id, orderId: o.id, at: now, kind: 'fulfilment', cause, detail: { shipmentId: s.id, step: 'cancelled', warehouse: s.warehouse, reason, from: s.state, putBack } });
    } else {
      if (s.state === 'packed') shipmentMachine.check(s.state, 'picked', { withdrawal: true });
      // The parcel gets lighter by what routing counted for the withdrawn units (a SKU nobody described weighs nothing).
      const g = await tx.get<{ g: number | null }>(
        'SELECT SUM(l.quantity * t.weight_grams) AS g FROM shipment_lines l JOIN sku_traits t ON t.tenant_id = ? AND t.sku = l.sku WHERE l.shipment_id = ? AND l.order_id = ?',
        [s.tenant_id, s.id, o.id],
      );
      const weight = Math.max(0, Number(s.weight_grams) - Number(g?.g ?? 0));
      await tx.run('DELETE FROM shipment_lines WHERE shipment_id = ? AND order_id = ?', [s.id, o.id]);
      const repack = s.state === 'packed';
      if (repack) await tx.run('UPDATE shipment_lines SET scanned = 0 WHERE shipment_id = ?', [s.id]);
      const changed = await tx.run(
        `UPDATE shipments SET order_ids = ?, state = ?, weight_grams = ?, packed_at = ${repack ? 'NULL' : 'packed_at'}, updated_at = ? WHERE id = ? AND state = ?`,
        [JSON.stringify(others), repack ? 'picked' : s.state, weight, now, s.id, s.state],
      );
      if (changed !== 1) throw new Error(`shipment ${s.id} changed while order ${o.order_no} was withdrawn from it`);
      const payload = { ...base, orderIds: others, lines: withdrawn, putBack, repack };
      await appendEvent(tx, { tenantId: o.tenant_id, type: 'shipment.order_withdrawn', aggregateType: 'shipment', aggregateId: s.id, at: now, payload });
      await appendHistory(tx, { tenantId: o.tenant_id, orderId: o.id, at: now, kind: 'fulfilment', cause, detail: { shipmentId: s.id, step: 'withdrawn', warehouse: s.warehouse, reason, putBack } });
      for (const other of others) {
        await appendHistory(tx, {
          tenantId: o.tenant_id,
          orderId: other,
          at: now,
          kind: 'fulfilment',
          cause,
          detail: { shipmentId: s.id, step: repack ? 'repack' : 'order_withdrawn', warehouse: s.warehouse, withdrawnOrder: o.order_no, reason, putBack },
        });
      }
    }
    // The plan is done with once none of its shipments is waiting to ship.
    await tx.run(
      `UPDATE dispatch_plans SET state = CASE
         WHEN NOT EXISTS (SELECT 1 FROM shipments WHERE plan_id = ? AND state <> 'cancelled') THEN 'cancelled'
         WHEN NOT EXISTS (SELECT 1 FROM shipments WHERE plan_id = ? AND state IN ('planned', 'waved', 'picked', 'packed')) THEN 'shipped'
         ELSE state END, updated_at = ? WHERE id = ?`,
      [s.plan_id, s.plan_id, now, s.plan_id],
    );
  }
  return rows.map((r) => r.id);
}
