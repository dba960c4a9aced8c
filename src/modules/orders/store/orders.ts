// Loading an order to decide about it: every write path that changes an order reads it here, locked (FOR UPDATE on
// PostgreSQL) and registered in the transaction's lock ledger, so no two writers decide on the same order at once.
import { HubError } from '../../../kernel/errors.ts';
import { forUpdate, inList, placeholders } from '../../../platform/db/unit-of-work.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { orderStateColumns, type OrderState } from '../lifecycle.ts';

/**
 * Locks the orders named (ids ascending: the one order in which writers take order locks) and returns their state, by id.
 * Ids that do not exist are simply absent from the answer.
 */
export async function lockOrders<Extra extends object = object>(tx: Tx, ids: readonly string[], extraColumns = ''): Promise<Map<string, OrderState & Extra>> {
  const out = new Map<string, OrderState & Extra>();
  if (ids.length === 0) return out;
  tx.locks.take('order', ids);
  const unique = [...new Set(ids)].sort();
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = await tx.all<OrderState & Extra>(
      `SELECT ${orderStateColumns}${extraColumns ? `, ${extraColumns}` : ''} FROM orders WHERE id IN (${placeholders(chunk.length)}) ORDER BY id${forUpdate(tx)}`,
      chunk,
    );
    for (const r of rows) out.set(r.id, r);
  }
  return out;
}

/** One order, locked; ORDER_NOT_FOUND when it does not exist. */
export async function lockOrder<Extra extends object = object>(tx: Tx, id: string, extraColumns = ''): Promise<OrderState & Extra> {
  const o = (await lockOrders<Extra>(tx, [id], extraColumns)).get(id);
  if (!o) throw new HubError('ORDER_NOT_FOUND', `order ${id} does not exist`);
  return o;
}

/** The hub SKUs the lines of these orders name (unmatched lines have none). */
export async function skusOfOrders(tx: Tx, orderIds: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (let i = 0; i < orderIds.length; i += 500) {
    const chunk = orderIds.slice(i, i + 500);
    const rows = await tx.all<{ sku: string }>(`SELECT DISTINCT sku FROM order_lines WHERE order_id IN (${placeholders(chunk.length)}) AND sku IS NOT NULL`, chunk);
    for (const r of rows) out.add(r.sku);
  }
  return [...out];
}

/** Orders held for short stock (库存不足) that have a line of one of these SKUs, oldest first (not locked: lock them next). */
export async function ordersHeldForStock(tx: Tx, tenantId: string, skus: readonly string[], limit: number): Promise<string[]> {
  const skuIn = inList(tx, 'l.sku', skus);
  const rows = await tx.all<{ id: string }>(
    `SELECT o.id FROM orders o
     WHERE o.tenant_id = ? AND o.hold_code IN ('STOCK_SHORT', 'PAID_NO_STOCK') AND o.status <> 'cancelled'
       AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id AND ${skuIn.sql})
     ORDER BY o.created_at, o.id LIMIT ?`,
    [tenantId, ...skuIn.params, limit],
  );
  return rows.map((r) => r.id);
}

/** Orders with a line of this platform code still unmatched (商品未匹配), of one account or any ('' for all). */
export async function ordersUnmatchedFor(tx: Tx, tenantId: string, accountId: string, externalSku: string): Promise<string[]> {
  const rows = await tx.all<{ order_id: string }>(
    `SELECT DISTINCT l.order_id FROM order_lines l JOIN orders o ON o.id = l.order_id
     WHERE l.sku IS NULL AND l.external_sku = ? AND o.tenant_id = ? AND (? = '' OR o.account_id = ?)`,
    [externalSku, tenantId, accountId, accountId],
  );
  return rows.map((r) => r.order_id);
}

/** The order's unmatched lines of a platform code now name a hub SKU (the order is locked by the caller). */
export async function matchLines(tx: Tx, orderId: string, externalSku: string, sku: string): Promise<void> {
  if (!tx.locks.holds('order', orderId)) throw new Error(`matchLines: order ${orderId} is not locked`);
  await tx.run('UPDATE order_lines SET sku = ? WHERE order_id = ? AND sku IS NULL AND external_sku = ?', [sku, orderId, externalSku]);
}
