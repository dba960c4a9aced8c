// The stock of every SKU the principal's scope sees, one page of it, optionally only what runs low; bundles among them.
import type { Principal } from '../../../kernel/principal.ts';
import type { StockDeps } from '../deps.ts';
import { readBundles } from '../store/bundles.ts';
import { bundleStockView, stockView, type StockRow, type StockView } from '../views.ts';
import { warehouseInScope } from '../warehouse-scope.ts';

export async function listStock(
  deps: StockDeps,
  who: Principal,
  opts: { lowOnly: boolean; limit: number; offset: number; q?: string | undefined },
): Promise<{ items: StockView[]; total: number }> {
  const all = await deps.db.read.all<{ sku: string; title: string | null }>('SELECT sku, title FROM skus WHERE tenant_id = ? ORDER BY sku', [who.tenantId]);
  // A search (the console's SKU picker) matches a part of the code or of the product's name, case aside.
  const q = opts.q?.trim().toLowerCase();
  const skus = q ? all.filter((s) => s.sku.toLowerCase().includes(q) || (s.title ?? '').toLowerCase().includes(q)) : all;
  const titles = new Map(all.map((s) => [s.sku, s.title ?? '']));
  const rows = await deps.db.read.all<StockRow>(
    'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? ORDER BY sku, warehouse',
    [who.tenantId],
  );
  const bundles = await readBundles(deps.db.read, who.tenantId, null);
  const bySku = new Map<string, StockRow[]>();
  for (const r of rows) if (warehouseInScope(who.scope, r.warehouse)) bySku.set(r.sku, [...(bySku.get(r.sku) ?? []), r]);
  const plain = new Map<string, StockView>();
  for (const s of skus) if (!bundles.has(s.sku)) plain.set(s.sku, stockView(deps.settings.sellableRatio, s.sku, bySku.get(s.sku) ?? []));
  // A warehouse-scoped principal sees the SKUs stocked in its warehouses only, and the bundles made of them.
  const visible = (sku: string): boolean => {
    if (who.scope.warehouses === null) return true;
    const components = bundles.get(sku);
    return components ? components.some((c) => bySku.has(c.sku)) : bySku.has(sku);
  };
  let views = skus
    .filter((s) => visible(s.sku))
    .map((s) => {
      const components = bundles.get(s.sku);
      return components ? bundleStockView(s.sku, components, plain) : (plain.get(s.sku) as StockView);
    });
  if (opts.lowOnly) views = views.filter((v) => v.lowStock);
  views = views.map((v) => ({ ...v, title: titles.get(v.sku) ?? '' }));
  return { items: views.slice(opts.offset, opts.offset + opts.limit), total: views.length };
}
