// The bundle catalogue (组合装) as the stock path reads it: which of an order's SKUs are bundles, and their components.
// Asked for every order, so it must cost nothing for an order without bundles: on SQLite the tenant's whole catalogue
// is kept in memory until it changes; on PostgreSQL each transaction asks once for the SKUs it locks up front.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import { inList, placeholders } from '../../../platform/db/unit-of-work.ts';
import type { BundleCatalogue, BundleComponent } from '../domain/bundles.ts';

/**
 * The bundle catalogue's version in this process: bumped by every write that defines or deletes a bundle, so that what
 * the stock path remembers of bundles is dropped. (Other connections' writes show in SQLite's data_version instead.)
 */
export const bundleCatalog = { version: 0 };

interface Row {
  bundle_sku: string;
  component_sku: string;
  quantity: number;
}

function catalogueOf(rows: readonly Row[]): Map<string, BundleComponent[]> {
  const out = new Map<string, BundleComponent[]>();
  for (const r of rows) out.set(r.bundle_sku, [...(out.get(r.bundle_sku) ?? []), { sku: r.component_sku, quantity: Number(r.quantity) }]);
  return out;
}

// SQLite: one writer per file (this thread), so the tenant's catalogue is read once and kept until a bundle write here
// bumps the version or another connection commits (data_version), checked once per transaction.
const sqliteCache = new Map<string, Map<string, BundleComponent[]>>();
let sqliteStamp = '';
const checkedIn = new WeakSet<object>();

// PostgreSQL: what this transaction already read, per tenant and SKU (null: not a bundle), so reserving after the
// up-front lockStock asks nothing again.
const pgSeen = new WeakMap<object, Map<string, Map<string, readonly BundleComponent[] | null>>>();

/**
 * The bundles among these SKUs, with their components in definition order (SKUs that are not bundles are absent).
 * On PostgreSQL the definition rows are read FOR SHARE: a definition cannot change under a transaction that reserves
 * by it (the define command deletes them first, so it waits, then sees the reservation and refuses).
 */
export async function bundlesIn(tx: Tx, tenantId: string, skus: readonly string[]): Promise<BundleCatalogue> {
  if (skus.length === 0) return new Map();
  if (tx.dialect === 'sqlite') {
    // Keyed by the ledger, which every transaction gets new (SQLite reuses its one Tx object).
    if (!checkedIn.has(tx.locks)) {
      checkedIn.add(tx.locks);
      const dataVersion = (await tx.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
      const stamp = `${bundleCatalog.version}:${dataVersion}`;
      if (stamp !== sqliteStamp) {
        sqliteCache.clear();
        sqliteStamp = stamp;
      }
    }
    let all = sqliteCache.get(tenantId);
    if (!all) {
      all = catalogueOf(await tx.all<Row>('SELECT bundle_sku, component_sku, quantity FROM bundle_components WHERE tenant_id = ? ORDER BY bundle_sku, place', [tenantId]));
      sqliteCache.set(tenantId, all);
    }
    const out = new Map<string, BundleComponent[]>();
    for (const s of skus) {
      const c = all.get(s);
      if (c) out.set(s, c);
    }
    return out;
  }
  let byTenant = pgSeen.get(tx.locks);
  if (!byTenant) pgSeen.set(tx.locks, (byTenant = new Map()));
  let seen = byTenant.get(tenantId);
  if (!seen) byTenant.set(tenantId, (seen = new Map()));
  const unknown = [...new Set(skus)].filter((s) => !seen.has(s)).sort();
  for (let i = 0; i < unknown.length; i += 500) {
    const part = unknown.slice(i, i + 500);
    const skuIn = inList(tx, 'bundle_sku', part);
    const found = catalogueOf(
      await tx.all<Row>(`SELECT bundle_sku, component_sku, quantity FROM bundle_components WHERE tenant_id = ? AND ${skuIn.sql} ORDER BY bundle_sku, place FOR SHARE`, [
        tenantId,
        ...skuIn.params,
      ]),
    );
    for (const s of part) seen.set(s, found.get(s) ?? null);
  }
  const out = new Map<string, readonly BundleComponent[]>();
  for (const s of skus) {
    const c = seen.get(s);
    if (c) out.set(s, c);
  }
  return out;
}

/** These SKUs with every bundle among them replaced by (or, with `keepBundles`, joined by) its components. */
export async function withComponents(tx: Tx, tenantId: string, skus: readonly string[], keepBundles = false): Promise<string[]> {
  const bundles = await bundlesIn(tx, tenantId, skus);
  if (bundles.size === 0) return [...skus];
  const out = new Set<string>();
  for (const s of skus) {
    const c = bundles.get(s);
    if (!c || keepBundles) out.add(s);
    if (c) for (const x of c) out.add(x.sku);
  }
  return [...out];
}

/** The bundles among these SKUs as any reader sees them (views, routing's world): no cache, no lock. */
export async function readBundles(q: Reader, tenantId: string, skus: readonly string[] | null): Promise<Map<string, BundleComponent[]>> {
  if (skus === null) return catalogueOf(await q.all<Row>('SELECT bundle_sku, component_sku, quantity FROM bundle_components WHERE tenant_id = ? ORDER BY bundle_sku, place', [tenantId]));
  const out = new Map<string, BundleComponent[]>();
  const unique = [...new Set(skus)];
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    const sql = `SELECT bundle_sku, component_sku, quantity FROM bundle_components WHERE tenant_id = ? AND bundle_sku IN (${placeholders(part.length)}) ORDER BY bundle_sku, place`;
    for (const [k, v] of catalogueOf(await q.all<Row>(sql, [tenantId, ...part]))) {
      out.set(k, v);
    }
  }
  return out;
}

/** The bundles that have any of these SKUs as a component (a stock change of a component concerns them too). */
export async function bundlesContaining(q: Reader, tenantId: string, skus: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const unique = [...new Set(skus)];
  for (let i = 0; i < unique.length; i += 500) {
    const part = unique.slice(i, i + 500);
    for (const r of await q.all<{ bundle_sku: string }>(`SELECT DISTINCT bundle_sku FROM bundle_components WHERE tenant_id = ? AND component_sku IN (${placeholders(part.length)})`, [tenantId, ...part])) {
      out.add(r.bundle_sku);
    }
  }
  return [...out].sort();
}
