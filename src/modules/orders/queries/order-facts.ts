// What other modules need to know of an order without reaching into the orders tables: its identity and numbers
// (payments name orders by their number or the platform's), its currency, whether a principal may see it.
import type { Reader } from '../../../platform/db/database.ts';
import { orderScopeSql, type DataScope } from '../../../kernel/scope.ts';

export interface OrderFacts {
  id: string;
  tenant_id: string;
  account_id: string;
  order_no: string;
  platform_order_id: string;
  status: string;
  currency: string;
}

const factColumns = 'id, tenant_id, account_id, order_no, platform_order_id, status, currency';

export async function orderFacts(q: Reader, orderId: string): Promise<OrderFacts | undefined> {
  return q.get<OrderFacts>(`SELECT ${factColumns} FROM orders WHERE id = ?`, [orderId]);
}

/** The orders of a tenant a payment names, by the hub's order number or the platform's order id (not locked). */
export async function orderIdsByRef(q: Reader, tenantId: string, ref: { by: 'order_no' | 'platform_order_id'; value: string }): Promise<string[]> {
  const column = ref.by === 'platform_order_id' ? 'platform_order_id' : 'order_no';
  return (await q.all<{ id: string }>(`SELECT id FROM orders WHERE tenant_id = ? AND ${column} = ?`, [tenantId, ref.value])).map((r) => r.id);
}

/** Whether an order of the tenant lies inside a data scope (the one scope policy, kernel/scope.ts). */
export async function orderWithinScope(q: Reader, tenantId: string, scope: DataScope, orderId: string): Promise<boolean> {
  const f = orderScopeSql(scope, 'orders');
  return !!(await q.get(`SELECT 1 AS x FROM orders WHERE id = ? AND tenant_id = ? AND ${f.text}`, [orderId, tenantId, ...f.params]));
}

/** The order numbers among these that a principal's scope sees (a stock change serves orders of every shop). */
export async function orderNosWithinScope(q: Reader, tenantId: string, scope: DataScope, orderNos: readonly string[]): Promise<string[]> {
  const f = orderScopeSql(scope, 'orders');
  const seen = new Set<string>();
  for (let i = 0; i < orderNos.length; i += 500) {
    const part = orderNos.slice(i, i + 500);
    const rows = await q.all<{ order_no: string }>(`SELECT order_no FROM orders WHERE tenant_id = ? AND order_no IN (${part.map(() => '?').join(', ')}) AND ${f.text}`, [tenantId, ...part, ...f.params]);
    for (const r of rows) seen.add(r.order_no);
  }
  return orderNos.filter((n) => seen.has(n));
}

/** Order numbers by id (for views that name the orders they point at). */
export async function orderNumbers(q: Reader, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    for (const r of await q.all<{ id: string; order_no: string }>(`SELECT id, order_no FROM orders WHERE id IN (${part.map(() => '?').join(', ')})`, part)) out.set(r.id, r.order_no);
  }
  return out;
}
