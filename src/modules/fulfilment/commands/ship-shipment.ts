// Shipping a packed shipment (发货): handed to the carrier with its tracking number, its units leave the warehouse, and
// an order whose every shipment has left moves to `shipped` on the anchor.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../../access/audit.ts';
import { enqueueShipBack } from '../../channels/store/outbound.ts';
import { shipFromWarehouse } from '../../inventory/store/stock.ts';
import { readBundles } from '../../inventory/store/bundles.ts';
import { moveOrder, type OrderState } from '../../orders/lifecycle.ts';
import { platformLinesOf, setFulfilmentStatus } from '../../orders/store/fulfilment.ts';
import { lockOrders } from '../../orders/store/orders.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { shipment } from '../queries/shipment.ts';
import { shipmentStep } from '../shipment-step.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import { issuedWaybill } from '../waybills/owe-cancel.ts';
import type { LineRow, ShipmentRow, ShipmentView } from '../views.ts';

const gone = new Set(['shipped', 'delivered', 'returned']);

/**
 * Hands a packed shipment to the carrier with its tracking number (发货). Its units leave the warehouse: on-hand and
 * reserved both drop by what shipped (routing reserved them here), and the order's reservations say `shipped`; when
 * every shipment of an order has shipped, the order moves to `shipped` on the anchor.
 */
export async function shipShipment(deps: WarehouseFlowDeps, who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo?: string | undefined }, now = Date.now()): Promise<ShipmentView> {
  await deps.db.transaction((tx) => shipShipmentIn(deps, tx, who, shipmentId, input, now));
  return shipment(deps, who, shipmentId);
}

/** Locks the orders of a shipment (before the shipment itself, as shipping will need them). */
export async function lockOrdersOfShipment(tx: Tx, who: Principal, shipmentId: string): Promise<void> {
  const s = await shipmentRow(tx, who, shipmentId);
  await lockOrders(tx, JSON.parse(s.order_ids) as string[]);
}

/** `ship` inside the caller's transaction (the WMS push applies it there, beside its own record). */
export async function shipShipmentIn(deps: WarehouseFlowDeps, tx: Tx, who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo?: string | undefined }, now: number): Promise<void> {
  const typed = input.trackingNo?.trim() ?? '';
  const first = await shipmentRow(tx, who, shipmentId);
  const orderIds = (JSON.parse(first.order_ids) as string[]).slice().sort();
  // Orders first, in id order, then the shipment: shipments of one order shipped at once serialise on the order,
  // so the last one sees every other one shipped.
  const locked = await lockOrders(tx, orderIds);
  const orders = orderIds.map((id) => locked.get(id)).filter((o): o is OrderState => o !== undefined);
  const s = await shipmentRow(tx, who, shipmentId, true);
  if (s.state === 'cancelled') {
    throw new HubError('SHIPMENT_CANCELLED', `shipment ${s.id} was cancelled (${s.cancel_reason ?? ''}): it must not leave; put its units back on the shelf`, { state: s.state, reason: s.cancel_reason });
  }
  if (gone.has(s.state)) {
    throw new HubError('SHIPMENT_ALREADY_SHIPPED', `shipment ${s.id} was already shipped (${s.carrier ?? ''} ${s.tracking_no ?? ''})`.trim(), { state: s.state, carrier: s.carrier, trackingNo: s.tracking_no });
  }
  if (s.state !== 'packed') throw new HubError('SHIPMENT_STATE', `shipment ${s.id} is ${s.state}: scan its units to pack it before shipping`, { state: s.state });
  // The parcel's e-waybill, when it has one, is its tracking number and carrier: nobody types it, and a typed number
  // that differs is refused rather than shipping a parcel whose label says another.
  const waybill = await issuedWaybill(tx, s.id);
  const trackingNo = waybill?.waybill_no ?? typed;
  if (!trackingNo) throw new HubError('VALIDATION_FAILED', `shipment ${s.id} has no waybill: get one, or ship with a tracking number`);
  if (waybill && typed && typed !== waybill.waybill_no) {
    throw new HubError('WAYBILL_MISMATCH', `shipment ${s.id} has waybill ${waybill.waybill_no} (${waybill.carrier}): ship it with that number, or cancel the waybill first`, { waybillNo: waybill.waybill_no });
  }
  const named = input.carrier?.trim();
  if (waybill && named && named !== waybill.carrier) {
    throw new HubError('WAYBILL_MISMATCH', `shipment ${s.id} has a ${waybill.carrier} waybill: it cannot leave with ${named}`, { carrier: waybill.carrier });
  }
  const carrier = waybill?.carrier ?? (named || s.carrier);
  if (!carrier) throw new HubError('VALIDATION_FAILED', `shipment ${s.id} has no carrier yet: name one`);
  for (const o of orders) {
    if (o.status === 'cancelled') throw new HubError('CONFLICT', `order ${o.order_no} was cancelled: do not ship shipment ${s.id}; put its units back`, { orderId: o.id, status: o.status });
    if (o.hold_code) throw new HubError('ORDER_HELD', `order ${o.order_no} is on hold (${o.hold_code}): shipment ${s.id} must not leave`, { orderId: o.id, hold: o.hold_code });
  }
  const taken = await tx.get<{ id: string }>('SELECT id FROM shipments WHERE tenant_id = ? AND carrier = ? AND tracking_no = ?', [who.tenantId, carrier, trackingNo]);
  if (taken) throw new HubError('TRACKING_NO_IN_USE', `${carrier} tracking number ${trackingNo} is already on shipment ${taken.id}`, { shipmentId: taken.id });
  const stoppedOrders = orders.filter((o) => o.status === 'cancelled' || o.hold_code).map((o) => o.order_no);
  shipmentMachine.check(s.state, 'shipped', { stoppedOrders, carrier, trackingNo });
  const changed = await tx.run(`UPDATE shipments SET state = 'shipped', carrier = ?, tracking_no = ?, shipped_at = ?, updated_at = ? WHERE id = ? AND state = 'packed'`, [
    carrier,
    trackingNo,
    now,
    now,
    s.id,
  ]);
  if (changed !== 1) throw new HubError('CONFLICT', `shipment ${s.id} changed meanwhile`);
  const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned, bundle_sku, bundle_line_no FROM shipment_lines WHERE shipment_id = ?', [s.id]);
  await markShipped(tx, who.tenantId, s, lines, now);
  // The plan is shipped once its last shipment is; until then it is shipping.
  await tx.run(
    `UPDATE dispatch_plans SET state = CASE WHEN EXISTS (SELECT 1 FROM shipments WHERE plan_id = ? AND state NOT IN ('shipped', 'delivered', 'returned', 'cancelled')) THEN 'shipping' ELSE 'shipped' END,
       updated_at = ? WHERE id = ?`,
    [s.plan_id, now, s.plan_id],
  );
  await shipmentStep(tx, who, s, 'shipment.shipped', now, { carrier, trackingNo, lines: lines.map((l) => ({ orderId: l.order_id, sku: l.sku, quantity: Number(l.quantity) })) });
  for (const o of orders) {
    const open = await tx.get<{ c: number }>(
      `SELECT COUNT(*) AS c FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state NOT IN ('shipped', 'delivered', 'returned', 'cancelled')`,
      [o.id],
    );
    if (Number(open?.c ?? 0) > 0) {
      await setFulfilmentStatus(tx, o.id, 'partially_shipped', now);
    } else if (o.status === 'paid') {
      await moveOrder(tx, o, 'shipped', { source: 'system', cause: `shipment ${s.id} handed to ${carrier} (${trackingNo})`, at: now }, deps.lifecycle);
    } else {
      await setFulfilmentStatus(tx, o.id, 'shipped', now);
    }
  }
  // The platform is told by the outbound worker once this commits: the row is written here, with the shipment. Each
  // line carries the platform's id of it (a bundle's components count as the whole bundles they make, under the bundle's
  // order line), and a parcel that does not carry the whole order says so (a split send).
  const perBundle = await componentQuantities(tx, who.tenantId, lines);
  const orderLines = await platformLinesOf(tx, orders.map((o) => o.id));
  for (const o of orders) {
    const mine = platformLines(lines.filter((l) => l.order_id === o.id), perBundle);
    const ofOrder = orderLines.filter((x) => x.order_id === o.id);
    const platformId = (lineNo: number) => ofOrder.find((x) => Number(x.line_no) === lineNo)?.platform_line_id ?? null;
    const carried = mine.map((l) => ({ sku: l.sku, quantity: l.quantity, platformLineId: platformId(l.lineNo) }));
    const partial = ofOrder.some((x) => mine.filter((l) => l.lineNo === Number(x.line_no)).reduce((a, l) => a + l.quantity, 0) < Number(x.quantity));
    await enqueueShipBack(tx, { tenantId: o.tenant_id, accountId: o.account_id, channel: o.channel, orderId: o.id, platformOrderId: o.platform_order_id, shipmentId: s.id, carrier, trackingNo, shippedAt: now, lines: carried, partial });
  }
  await appendAudit(tx, deps.keyring, who, { action: 'shipment.ship', targetType: 'shipment', targetId: s.id, before: { state: s.state }, after: { state: 'shipped', carrier, trackingNo } }, now);
}

/**
 * The shipped units leave each order's firm reservation at this warehouse and the shelf (inventory's conditional
 * updates, in SKU order).
 */
async function markShipped(tx: Tx, tenant: string, s: ShipmentRow, lines: readonly LineRow[], now: number): Promise<void> {
  const units = lines.map((l) => ({ orderId: l.order_id, sku: l.sku, quantity: Number(l.quantity) }));
  await shipFromWarehouse(tx, tenant, s.warehouse, units, `shipment ${s.id}`, now);
}

/** Per bundle in these lines, how many units of each component one unit takes (frozen while its orders hold stock). */
async function componentQuantities(tx: Tx, tenant: string, lines: readonly LineRow[]): Promise<Map<string, Map<string, number>>> {
  const bundles = [...new Set(lines.flatMap((l) => (l.bundle_sku ? [l.bundle_sku] : [])))];
  const out = new Map<string, Map<string, number>>();
  if (bundles.length === 0) return out;
  for (const [b, components] of await readBundles(tx, tenant, bundles)) out.set(b, new Map(components.map((c) => [c.sku, c.quantity])));
  return out;
}

/**
 * What the platform is told a parcel carries: it sold the bundle (组合装), not its components, so a bundle line's
 * components count as the whole bundles they make in this parcel (the scarcest component decides).
 */
function platformLines(lines: readonly LineRow[], perBundle: ReadonlyMap<string, ReadonlyMap<string, number>>): { sku: string; quantity: number; lineNo: number }[] {
  const out: { sku: string; quantity: number; lineNo: number }[] = [];
  const groups = new Map<string, { sku: string; made: number; lineNo: number }>();
  for (const l of lines) {
    if (!l.bundle_sku) {
      out.push({ sku: l.sku, quantity: Number(l.quantity), lineNo: Number(l.line_no) });
      continue;
    }
    const per = perBundle.get(l.bundle_sku)?.get(l.sku) ?? 1;
    const k = `${l.bundle_sku}\u0000${String(l.bundle_line_no)}`;
    const made = Math.floor(Number(l.quantity) / per);
    const g = groups.get(k);
    if (g) g.made = Math.min(g.made, made);
    else groups.set(k, { sku: l.bundle_sku, made, lineNo: Number(l.bundle_line_no) });
  }
  for (const g of groups.values()) if (g.made > 0) out.push({ sku: g.sku, quantity: g.made, lineNo: g.lineNo });
  return out;
}
