// The SKU catalogue as the rest of the hub asks it: which hub SKU a platform's code names (an alias of the account, of
// the whole tenant, or the code itself), which SKUs exist, and what they are called.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import { inList, placeholders } from '../../../platform/db/unit-of-work.ts';

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

/** The hub SKUs of the tenant among these codes (all of them, with null), in SKU order. */
export async function knownSkus(q: Reader, tenantId: string, skus: readonly string[] | null): Promise<string[]> {
  if (skus === null) return (await q.all<{ sku: string }>('SELECT sku FROM skus WHERE tenant_id = ? ORDER BY sku', [tenantId])).map((r) => r.sku);
  const out: string[] = [];
  for (let i = 0; i < skus.length; i += 500) {
    const part = skus.slice(i, i + 500);
    out.push(...(await q.all<{ sku: string }>(`SELECT sku FROM skus WHERE tenant_id = ? AND sku IN (${placeholders(part.length)})`, [tenantId, ...part])).map((r) => r.sku));
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The catalogue's titles of these SKUs, where it has a non-blank one. */
export async function skuTitles(q: Reader, tenantId: string, skus: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < skus.length; i += 500) {
    const part = skus.slice(i, i + 500);
    for (const r of await q.all<{ sku: string; title: string }>(`SELECT sku, title FROM skus WHERE tenant_id = ? AND sku IN (${placeholders(part.length)})`, [tenantId, ...part])) {
      if (r.title.trim() !== '') out.set(r.sku, r.title);
    }
  }
  return out;
}
