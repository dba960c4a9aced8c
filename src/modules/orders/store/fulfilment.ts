// What fulfilment reads and writes of orders, in the orders module's own SQL: which paid orders routing may take (and
// locks them in the one lock order), their lines, the plan an order was routed to or why it was not, and how far it has
// shipped. Fulfilment decides; these functions only say and set.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import type { OrderLinesTable, OrdersTable } from '../../../platform/db/schema.ts';
import { placeholders } from '../../../platform/db/unit-of-work.ts';
import { orderScopeSql, type DataScope } from '../../../kernel/scope.ts';
import { lockOrders } from './orders.ts';

/** An order as routing reads it (`receiver_address` is encrypted: the keyring decrypts it). */
export type RoutableOrder = Pick<
  OrdersTable,
  | 'id'
  | 'order_no'
  | 'account_id'
  | 'buyer_id'
  | 'receiver_name'
  | 'receiver_phone_hash'
  | 'receiver_province'
  | 'receiver_city'
  | 'receiver_address'
  | 'paid_at'
  | 'status'
  | 'hold_code'
  | 'reservation_state'
  | 'dispatch_plan_id'
  | 'routing_problem'
>;

/** An order line as routing plans it. */
export type RoutedLine = Pick<OrderLinesTable, 'order_id' | 'line_no' | 'sku' | 'quantity'>;

/** An order a warehouse must not pick or ship now. */
export type StoppedOrder = Pick<OrdersTable, 'id' | 'order_no' | 'status' | 'hold_code'>;

const columns =
  'id, order_no, account_id, buyer_id, receiver_name, receiver_phone_hash, receiver_province, receiver_city, receiver_address, ' +
  'paid_at, status, hold_code, reservation_state, dispatch_plan_id, routing_problem';

/** A paid order routing may take now: paid, not routed, not held, its stock firmly taken. The tenant is the first parameter. */
const routableWhere = `tenant_id = ? AND status = 'paid' AND dispatch_plan_id IS NULL AND hold_code IS NULL AND reservation_state = 'deducted'`;

function chunks<T>(xs: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** The tenant's orders named by id or by order number (either may be given), in no particular order. */
export async function routableOrdersByRef(q: Reader, tenantId: string, refs: readonly string[]): Promise<RoutableOrder[]> {
  const rows: RoutableOrder[] = [];
  for (const c of chunks(refs)) {
    const ph = placeholders(c.length);
    rows.push(...(await q.all<RoutableOrder>(`SELECT ${columns} FROM orders WHERE tenant_id = ? AND (id IN (${ph}) OR order_no IN (${ph}))`, [tenantId, ...c, ...c])));
  }
  return rows;
}

/** Every routable order of the tenant, oldest payment first. */
export async function routableOrders(q: Reader, tenantId: string, limit: number): Promise<RoutableOrder[]> {
  return q.all<RoutableOrder>(`SELECT ${columns} FROM orders WHERE ${routableWhere} ORDER BY paid_at, id LIMIT ?`, [tenantId, limit]);
}

/** Routable orders paid by `paidBefore` and not tried since `checkedBefore` (the automatic runner's), oldest payment first. */
export async function dueRoutableOrders(
  q: Reader,
  tenantId: string,
  due: { paidBefore: number; checkedBefore: number; skip: readonly string[] },
  limit: number,
): Promise<RoutableOrder[]> {
  const skip = due.skip.length ? ` AND id NOT IN (${placeholders(due.skip.length)})` : '';
  return q.all<RoutableOrder>(
    `SELECT ${columns} FROM orders WHERE ${routableWhere} AND paid_at <= ? AND (routing_checked_at IS NULL OR routing_checked_at < ?)${skip} ORDER BY paid_at, id LIMIT ?`,
    [tenantId, due.paidBefore, due.checkedBefore, ...due.skip, limit],
  );
}

/** Routable orders paid by `paidBefore` to any of these receiver phones (orders a merge rule may ship together). */
export async function routableOrdersToPhones(q: Reader, tenantId: string, paidBefore: number, phoneHashes: readonly string[]): Promise<RoutableOrder[]> {
  const rows: RoutableOrder[] = [];
  for (const c of chunks(phoneHashes)) {
    rows.push(...(await q.all<RoutableOrder>(`SELECT ${columns} FROM orders WHERE ${routableWhere} AND paid_at <= ? AND receiver_phone_hash IN (${placeholders(c.length)}) ORDER BY paid_at, id`, [tenantId, paidBefore, ...c])));
  }
  return rows;
}

/** The tenants that have routable orders due (see dueRoutableOrders). */
export async function tenantsWithDueOrders(q: Reader, due: { paidBefore: number; checkedBefore: number }): Promise<string[]> {
  const rows = await q.all<{ tenant_id: string }>(
    `SELECT DISTINCT tenant_id FROM orders WHERE status = 'paid' AND dispatch_plan_id IS NULL AND hold_code IS NULL AND reservation_state = 'deducted'
       AND paid_at <= ? AND (routing_checked_at IS NULL OR routing_checked_at < ?) ORDER BY tenant_id`,
    [due.paidBefore, due.checkedBefore],
  );
  return rows.map((r) => r.tenant_id);
}

/** The ids among these whose orders a data scope sees (the kernel's one order policy). */
export async function orderIdsWithinScope(q: Reader, scope: DataScope, ids: readonly string[]): Promise<Set<string>> {
  const f = orderScopeSql(scope, 'orders');
  const seen = new Set<string>();
  for (const c of chunks(ids)) {
    for (const r of await q.all<{ id: string }>(`SELECT id FROM orders WHERE id IN (${placeholders(c.length)}) AND ${f.text}`, [...c, ...f.params])) seen.add(r.id);
  }
  return seen;
}

/** What routing reads beyond an order's state, when it locks the order (lockOrders). */
const routingExtra = 'buyer_id, receiver_name, receiver_phone_hash, receiver_province, receiver_city, receiver_address, dispatch_plan_id, routing_problem';

/**
 * Locks the orders a routing run decides about through the one order lock (lockOrders: by id, FOR UPDATE on
 * PostgreSQL) and gives them as they are under the lock, in the order asked; orders gone meanwhile are left out.
 */
export async function lockRoutableOrders(tx: Tx, rows: readonly RoutableOrder[]): Promise<RoutableOrder[]> {
  const locked = await lockOrders<RoutableOrder>(tx, rows.map((r) => r.id), routingExtra);
  return rows.flatMap((r) => locked.get(r.id) ?? []);
}

/** The lines of these orders, by order and line number. */
export async function linesOfOrders(q: Reader, orderIds: readonly string[]): Promise<RoutedLine[]> {
  const out: RoutedLine[] = [];
  for (const c of chunks(orderIds)) {
    out.push(...(await q.all<RoutedLine>(
      `SELECT order_id, line_no, sku, quantity FROM order_lines WHERE order_id IN (${placeholders(c.length)}) ORDER BY order_id, line_no`,
      c,
    )));
  }
  return out;
}

/** Each line of these orders with its quantity and the platform's id of it (Taobao oid, JD skuId; null where none). */
export async function platformLinesOf(q: Reader, orderIds: readonly string[]): Promise<{ order_id: string; line_no: number; quantity: number; platform_line_id: string | null }[]> {
  const out: { order_id: string; line_no: number; quantity: number; platform_line_id: string | null }[] = [];
  for (const c of chunks(orderIds)) {
    out.push(...(await q.all<{ order_id: string; line_no: number; quantity: number; platform_line_id: string | null }>(
      `SELECT order_id, line_no, quantity, platform_line_id FROM order_lines WHERE order_id IN (${placeholders(c.length)}) ORDER BY order_id, line_no`,
      c,
    )));
  }
  return out;
}

/** The title each SKU was sold under in these orders (any one), for SKUs the catalogue has no title for. */
export async function titlesSoldUnder(q: Reader, orderIds: readonly string[], skus: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (skus.length === 0) return out;
  for (const c of chunks(orderIds, 400)) {
    const rows = await q.all<{ sku: string; title: string }>(
      `SELECT sku, MIN(title) AS title FROM order_lines WHERE order_id IN (${placeholders(c.length)}) AND sku IN (${placeholders(skus.length)}) AND title <> '' GROUP BY sku`,
      [...c, ...skus],
    );
    for (const r of rows) if (!out.has(r.sku) || r.title < (out.get(r.sku) as string)) out.set(r.sku, r.title);
  }
  return out;
}

/** The orders among these a warehouse must not pick or ship now: cancelled, or on hold. */
export async function stoppedOrders(q: Reader, orderIds: readonly string[]): Promise<StoppedOrder[]> {
  const out: StoppedOrder[] = [];
  for (const c of chunks([...new Set(orderIds)])) {
    out.push(...(await q.all<StoppedOrder>(
      `SELECT id, order_no, status, hold_code FROM orders WHERE id IN (${placeholders(c.length)}) AND (status = 'cancelled' OR hold_code IS NOT NULL)`,
      c,
    )));
  }
  return out;
}

/**
 * Records the plan a paid, unrouted order now ships by (the order must be locked). False when the order is no longer
 * paid or was routed meanwhile: nothing changed.
 */
export async function markRouted(tx: Tx, tenantId: string, orderId: string, planId: string, now: number): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE orders SET dispatch_plan_id = ?, routing_problem = NULL, routing_checked_at = ?, fulfilment_status = 'routed', updated_at = ?, version = version + 1
     WHERE id = ? AND tenant_id = ? AND status = 'paid' AND dispatch_plan_id IS NULL`,
    [planId, now, now, orderId, tenantId],
  );
  return changed === 1;
}

/** Why routing could not take an unrouted order this time (JSON of its reasons), and when it tried. */
export async function recordRoutingProblem(tx: Tx, orderId: string, problem: string, now: number): Promise<void> {
  await tx.run('UPDATE orders SET routing_problem = ?, routing_checked_at = ? WHERE id = ? AND dispatch_plan_id IS NULL', [problem, now, orderId]);
}

/** How far a (locked) order has left the warehouse, when that does not move it on the anchor. */
export async function setFulfilmentStatus(tx: Tx, orderId: string, status: 'partially_shipped' | 'shipped', now: number): Promise<void> {
  await tx.run(`UPDATE orders SET fulfilment_status = ?, updated_at = ?, version = version + 1 WHERE id = ?`, [status, now, orderId]);
}
