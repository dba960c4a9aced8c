// The fulfilment traits of SKUs (allowed warehouses, promised ship hours, weight, customs): every SKU of the catalogue,
// with the defaults where none were saved; for the console and for the routing world.
import type { Principal } from '../../../kernel/principal.ts';
import { knownSkus } from '../../inventory/store/catalogue.ts';
import type { RoutingDeps } from '../deps.ts';
import { parseJson, type Query, type SkuTraitsView } from '../routing/views.ts';

/** The traits of these SKUs (null: every SKU of the tenant), read with the caller's connection or transaction. */
export async function skuTraitsIn(deps: RoutingDeps, q: Query, tenant: string, skus: readonly string[] | null): Promise<SkuTraitsView[]> {
  type Row = { sku: string; allowed_warehouses: string | null; promised_ship_hours: number | null; weight_grams: number | null; needs_customs: number | null };
  // The SKUs are the catalogue's (inventory); their fulfilment traits are ours, where saved.
  const known = await knownSkus(q, tenant, skus);
  const saved = new Map<string, Row>();
  for (let i = 0; i < known.length; i += 500) {
    const part = known.slice(i, i + 500);
    const rows = await q.all<Row>(
      `SELECT sku, allowed_warehouses, promised_ship_hours, weight_grams, needs_customs FROM sku_traits WHERE tenant_id = ? AND sku IN (${part.map(() => '?').join(', ')})`,
      [tenant, ...part],
    );
    for (const r of rows) saved.set(r.sku, r);
  }
  const rows: Row[] = known.map((sku) => saved.get(sku) ?? { sku, allowed_warehouses: null, promised_ship_hours: null, weight_grams: null, needs_customs: null });
  return rows.map((r) => ({
    sku: r.sku,
    allowedWarehouses: parseJson<string[] | null>(r.allowed_warehouses, null),
    // A SKU nobody described yet ships from anywhere within the default promise, weighing nothing.
    promisedShipHours: r.promised_ship_hours === null ? deps.settings.defaultShipHours : Number(r.promised_ship_hours),
    weightGrams: r.weight_grams === null ? 0 : Number(r.weight_grams),
    needsCustomsClearance: Number(r.needs_customs ?? 0) === 1,
    configured: r.promised_ship_hours !== null,
  }));
}

export async function listSkuTraits(deps: RoutingDeps, who: Principal): Promise<SkuTraitsView[]> {
  return skuTraitsIn(deps, deps.db.read, who.tenantId, null);
}
