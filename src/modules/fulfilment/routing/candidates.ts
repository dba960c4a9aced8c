// Which orders a routing request takes: the ones named, the due ones or every paid unrouted one, within the principal's
// scope, locked in id order when the run will commit; and why each of the others may not be routed now.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { isUnlimited } from '../../../kernel/scope.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { lockRoutableOrders, orderIdsWithinScope, routableOrders, routableOrdersByRef } from '../../orders/store/fulfilment.ts';
import { dueOrders } from '../queries/due-orders.ts';
import type { DueOrders, OrderRow, Query, RoutingReason } from './views.ts';

/** Why an order may not be routed now, or null when it may. */
function ineligible(o: OrderRow): string | null {
  if (o.status !== 'paid') return `order ${o.order_no} is ${o.status}: only paid orders are routed`;
  if (o.dispatch_plan_id) return `order ${o.order_no} is already routed (plan ${o.dispatch_plan_id})`;
  if (o.hold_code) return `order ${o.order_no} is on hold (${o.hold_code}); release the hold first`;
  if (o.reservation_state !== 'deducted') return `order ${o.order_no} has no stock taken (reservation ${o.reservation_state})`;
  return null;
}

/** The orders asked for (or every paid, unrouted one, oldest payment first), with why the others may not be routed. */
export async function candidates(q: Query, who: Principal, input: { orderIds?: string[] | undefined; due?: DueOrders | undefined; limit?: number | undefined }, lock: boolean) {
  const t = who.tenantId;
  let rows: OrderRow[];
  if (input.orderIds?.length) {
    const refs = [...new Set(input.orderIds)];
    rows = await routableOrdersByRef(q, t, refs);
    // An order outside the principal's scope is not there for it.
    rows = await inScope(q, who, rows);
    const found = new Set(rows.flatMap((r) => [r.id, r.order_no]));
    const missing = refs.filter((r) => !found.has(r));
    if (missing.length) throw new HubError('ORDER_NOT_FOUND', `no such order: ${missing.join(', ')}`, { missing });
  } else if (input.due) {
    rows = await dueOrders(q, t, input.due, Math.min(input.limit ?? 500, 5000));
  } else {
    rows = await routableOrders(q, t, Math.min(input.limit ?? 500, 5000));
  }
  // A scoped principal routes only the orders it may see.
  if (!input.orderIds?.length) rows = await inScope(q, who, rows);
  // Orders locked in one order (by id), so two routing runs or a run and a payment never deadlock; read again under the lock.
  if (lock && rows.length && 'locks' in q) rows = await lockRoutableOrders(q as Tx, rows);
  const eligible: OrderRow[] = [];
  const refused: { orderIds: string[]; reasons: RoutingReason[] }[] = [];
  for (const r of rows) {
    const why = ineligible(r);
    if (why) refused.push({ orderIds: [r.id], reasons: [{ code: 'ORDER_NOT_ROUTABLE', orderId: r.id, message: why }] });
    else eligible.push(r);
  }
  return { eligible, refused };
}

/** The rows among these whose orders the principal's scope sees (the kernel's order policy). */
async function inScope(q: Query, who: Principal, rows: OrderRow[]): Promise<OrderRow[]> {
  if (isUnlimited(who.scope) || rows.length === 0) return rows;
  const seen = await orderIdsWithinScope(q, who.scope, rows.map((r) => r.id));
  return rows.filter((r) => seen.has(r.id));
}
