// The facts the scope policy judges an order by — its shop, its receiver's province, the warehouses it is reserved at
// or shipped from (its reservation rows: routing reserves at every warehouse it ships from) — read for orders at hand,
// so one order can be checked with the kernel's contains().
import type { ScopeFacts } from '../../../kernel/scope.ts';
import type { Reader } from '../../../platform/db/database.ts';
import { warehousesReservedFor } from '../../inventory/queries/reservations.ts';

export async function orderScopeFacts(q: Reader, orderIds: readonly string[]): Promise<Map<string, ScopeFacts>> {
  const facts = new Map<string, { accounts: string[]; provinces: string[]; warehouses: string[] }>();
  const ids = [...new Set(orderIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    const ph = part.map(() => '?').join(', ');
    for (const o of await q.all<{ id: string; account_id: string; receiver_province: string }>(`SELECT id, account_id, receiver_province FROM orders WHERE id IN (${ph})`, part)) {
      facts.set(o.id, { accounts: [o.account_id], provinces: [o.receiver_province], warehouses: [] });
    }
    for (const [orderId, warehouses] of await warehousesReservedFor(q, part)) {
      const f = facts.get(orderId);
      if (f) f.warehouses = [...new Set(warehouses)];
    }
  }
  return facts;
}
