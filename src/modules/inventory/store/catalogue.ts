// The SKU catalogue as the rest of the hub asks it: which hub SKU a platform's code names (an alias of the account, of
// the whole tenant, or the code itself).
import type { Tx } from '../../../platform/db/database.ts';
import { inList } from '../../../platform/db/unit-of-work.ts';

const resolveSql = `SELECT COALESCE(
  (SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = ? AND external_sku = ?),
  (SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = '' AND external_sku = ?),
  (SELECT sku FROM skus WHERE tenant_id = ? AND sku = ?)) AS sku`;

/** The hub SKU a platform's code names for this account, or null when the hub does not know it (商品未匹配). */
export async function resolveSkuCode(tx: Tx, tenantId: string, accountId: string, code: string): Promise<string | null> {
  return (await tx.get<{ sku: string | null }>(resolveSql, [tenantId, accountId, code, tenantId, code, tenantId, code]))?.sku ?? null;
}

/** The hub SKUs any alias of the tenant maps these codes to (any account). */
export async function skusAliasedFrom(tx: Tx, tenantId: string, codes: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (let i = 0; i < codes.length; i += 500) {
    const codeIn = inList(tx, 'external_sku', codes.slice(i, i + 500));
    const rows = await tx.all<{ sku: string }>(`SELECT DISTINCT sku FROM sku_aliases WHERE tenant_id = ? AND ${codeIn.sql}`, [tenantId, ...codeIn.params]);
    for (const r of rows) out.add(r.sku);
  }
  return [...out];
}
