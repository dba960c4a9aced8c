// Units free to take (on hand − reserved) per warehouse, as routing plans with them. A read: the take itself is the
// conditional update of inventory/store/stock.ts, which re-checks under the row lock.
import type { Reader } from '../../../platform/db/database.ts';
import type { StockTable } from '../../../platform/db/schema.ts';
import { placeholders } from '../../../platform/db/unit-of-work.ts';

/** A stock row's free units: on_hand − reserved. */
export type FreeStock = Pick<StockTable, 'warehouse' | 'sku'> & { available: number };

export async function freeStock(q: Reader, tenantId: string, skus: readonly string[]): Promise<FreeStock[]> {
  const out: FreeStock[] = [];
  for (let i = 0; i < skus.length; i += 500) {
    const part = skus.slice(i, i + 500);
    const rows = await q.all<FreeStock>(`SELECT warehouse, sku, on_hand - reserved AS available FROM stock WHERE tenant_id = ? AND sku IN (${placeholders(part.length)})`, [tenantId, ...part]);
    out.push(...rows.map((r) => ({ warehouse: r.warehouse, sku: r.sku, available: Number(r.available) })));
  }
  return out;
}
