// The stock of one SKU, in the warehouses the principal's scope covers; a bundle's from its components.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { StockDeps } from '../deps.ts';
import { readBundles } from '../store/bundles.ts';
import { bundleStockView, stockView, type StockRow, type StockView } from '../views.ts';
import { warehouseInScope } from '../warehouse-scope.ts';
import { channelAccountIds } from '../../channels/queries/accounts.ts';
import { allocationOf } from './allocation.ts';

/**
 * One SKU, in the warehouses the principal's scope covers; a SKU not stocked in any of them is not there for it. A
 * bundle (组合装) reports how many of it its components make, and the components beside it.
 */
export async function skuStock(deps: StockDeps, who: Principal, sku: string): Promise<StockView> {
  const view = await skuStockOnly(deps, who, sku);
  const t = await deps.db.read.get<{ title: string | null }>('SELECT title FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]);
  return { ...view, title: t?.title ?? '' };
}

async function skuStockOnly(deps: StockDeps, who: Principal, sku: string): Promise<StockView> {
  const components = (await readBundles(deps.db.read, who.tenantId, [sku])).get(sku);
  if (components) {
    const views = new Map<string, StockView>();
    for (const c of components) views.set(c.sku, stockView(deps.settings.sellableRatio, c.sku, await rowsOf(deps, who, c.sku)));
    // Out of a warehouse scope's sight when none of its components is stocked there.
    if (who.scope.warehouses !== null && components.every((c) => (views.get(c.sku)?.byWarehouse.length ?? 0) === 0)) {
      throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
    }
    return bundleStockView(sku, components, views);
  }
  const rows = await rowsOf(deps, who, sku);
  if (rows.length === 0) {
    const known = who.scope.warehouses === null && (await deps.db.read.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]));
    if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
  }
  return stockView(deps.settings.sellableRatio, sku, rows);
}

/**
 * One SKU with what each channel account may offer of it (byChannel), by the same rule and rows a stock push uses
 * (listing overrides aside: a listing's fixed quantity or cap applies to that listing alone). Shops outside the
 * principal's scope are left out; an account whose sync is off is shown with null.
 */
export async function skuStockWithChannels(deps: StockDeps, who: Principal, sku: string): Promise<StockView & { byChannel: { accountId: string; sellable: number | null }[] }> {
  const view = await skuStock(deps, who, sku);
  const alloc = await allocationOf(deps.db.read, who.tenantId, sku);
  // A warehouse-scoped person would read other warehouses' stock through the sum: not shown to them.
  if (who.scope.warehouses !== null) return { ...view, byChannel: [] };
  const accounts = (await channelAccountIds(deps.db.read, who.tenantId)).filter((id) => who.scope.accounts === null || who.scope.accounts.includes(id));
  return { ...view, byChannel: accounts.map((accountId) => ({ accountId, sellable: alloc.sellable(accountId) })) };
}

async function rowsOf(deps: StockDeps, who: Principal, sku: string): Promise<StockRow[]> {
  return (
    await deps.db.read.all<StockRow>(
      'SELECT sku, warehouse, on_hand, reserved, safety_stock, updated_at FROM stock WHERE tenant_id = ? AND sku = ? ORDER BY warehouse',
      [who.tenantId, sku],
    )
  ).filter((r) => warehouseInScope(who.scope, r.warehouse));
}
