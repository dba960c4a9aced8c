// The orders the automatic runner routes: paid, unrouted, out of their merge window and not tried lately, together with
// the younger orders the merge rule would put in the same parcel; and which tenants have any.
import { HubError } from '../../../kernel/errors.ts';
import { dueRoutableOrders, routableOrdersToPhones, tenantsWithDueOrders } from '../../orders/store/fulfilment.ts';
import type { RoutingDeps } from '../deps.ts';
import type { RoutingRule } from '../routing/planner.ts';
import type { DueOrders, OrderRow, Query } from '../routing/views.ts';
import { routingRulesIn } from './routing-rules.ts';

/**
 * The due orders, oldest payment first, and with them the younger unrouted orders the tenant's merge rule could ship
 * in the same parcel (same buyer, shop and phone, paid within the rule's window of the first): an order whose window
 * has passed takes its related orders along instead of leaving for the warehouse alone a minute before them.
 */
export async function dueOrders(q: Query, tenant: string, due: DueOrders, limit: number): Promise<OrderRow[]> {
  const [paidBefore, checkedBefore] = [Number(due.paidBefore), Number(due.checkedBefore)];
  if (!Number.isFinite(paidBefore) || !Number.isFinite(checkedBefore)) throw new HubError('VALIDATION_FAILED', 'due: paidBefore and checkedBefore must be times');
  const skip = [...new Set(due.skip ?? [])].slice(0, 500);
  const rows = await dueRoutableOrders(q, tenant, { paidBefore, checkedBefore, skip }, limit);
  const merge = (await routingRulesIn(q, tenant)).rules.find((r): r is Extract<RoutingRule, { kind: 'merge_related' }> => r.kind === 'merge_related');
  if (!merge) return rows;
  // The planner's own grouping key; an order without a phone hash is never merged.
  const group = (o: OrderRow) => `${o.buyer_id ?? ''}\u0000${o.account_id}\u0000${o.receiver_phone_hash ?? ''}`;
  const first = new Map<string, number>();
  for (const o of rows) if (o.receiver_phone_hash !== null && !first.has(group(o))) first.set(group(o), Number(o.paid_at));
  if (first.size === 0) return rows;
  const windowMs = merge.windowMinutes * 60_000;
  const hashes = [...new Set(rows.flatMap((o) => (o.receiver_phone_hash === null ? [] : [o.receiver_phone_hash])))];
  const related = await routableOrdersToPhones(q, tenant, Math.max(...first.values()) + windowMs, hashes);
  const taken = new Set([...rows.map((o) => o.id), ...skip]);
  for (const o of related) {
    const start = first.get(group(o));
    if (start === undefined || taken.has(o.id) || Number(o.paid_at) > start + windowMs) continue;
    taken.add(o.id);
    rows.push(o);
  }
  return rows;
}

/** Tenants with orders due for the automatic runner. */
export async function tenantsWithDueRouting(deps: RoutingDeps, due: DueOrders): Promise<string[]> {
  return tenantsWithDueOrders(deps.db.read, due);
}

/** The ids of a tenant's due orders (the runner routes them one by one when a batch of them fails). */
export async function dueOrderIds(deps: RoutingDeps, tenant: string, due: DueOrders, limit: number): Promise<string[]> {
  return (await dueOrders(deps.db.read, tenant, due, limit)).map((o) => o.id);
}
