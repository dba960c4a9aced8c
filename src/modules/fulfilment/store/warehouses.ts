// Warehouses as other modules touch them: a stock count names one into being; a scope names one that must exist.
import type { Reader, Tx } from '../../../platform/db/database.ts';

/** The warehouse row for a code, created (named after its code) when stock is first counted there. */
export async function ensureWarehouse(tx: Tx, tenantId: string, code: string, now: number): Promise<void> {
  await tx.run(`INSERT INTO warehouses (tenant_id, code, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO NOTHING`, [tenantId, code, code, now]);
}

/** Whether the tenant has a warehouse with this code. */
export async function warehouseExists(q: Reader, tenantId: string, code: string): Promise<boolean> {
  return !!(await q.get('SELECT 1 AS x FROM warehouses WHERE tenant_id = ? AND code = ?', [tenantId, code]));
}
