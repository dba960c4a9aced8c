// The stock of every SKU the principal's scope sees, one page of it, optionally only what runs low.
import type { Principal } from '../../../kernel/principal.ts';
import type { StockDeps } from '../deps.ts';
import { stockView, type StockRow, type StockView } from '../views.ts';
import { warehouseInScope } from '../warehouse-scope.ts';

export async function listStock(deps: StockDeps, who: Principal, opts: { lowOnly: boolean; limit: number; offset: number }): Promise<{ items: StockView[]; total: number }> {
  const skus = await deps.db.read.all<{ sku: string }>('SELECT sku FROM skus WHERE tenant_id = ? ORDER BY sku', [who.tenantId]);
  const rows = await deps.db.read.all<StockRow>(
    'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? ORDER BY sku, warehouse',
    [who.tenantId],
  );
  const bySku = new Map<string, StockRow[]>();
  for (const r of rows) if (warehouseInScope(who.scope, r.warehouse)) bySku.set(r.sku, [...(bySku.get(r.sku) ?? []), r]);
  // A warehouse-scoped principal sees the SKUs stocked in its warehouses only.
  let views = skus.filter((s) => who.scope.warehouses === null || bySku.has(s.sku)).map((s) => stockView(deps.settings.sellableRatio, s.sku, bySku.get(s.sku) ?? []));
  if (opts.lowOnly) views = views.filter((v) => v.lowStock);
  return { items: views.slice(opts.offset, opts.offset + opts.limit), total: views.length };
}
