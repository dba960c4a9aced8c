// Loading an order to decide about it: every write path that changes an order reads it here, locked (FOR UPDATE on
// PostgreSQL) and registered in the transaction's lock ledger, so no two writers decide on the same order at once.
import { HubError } from '../../../kernel/errors.ts';
import { forUpdate, placeholders } from '../../../platform/db/unit-of-work.ts';
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
