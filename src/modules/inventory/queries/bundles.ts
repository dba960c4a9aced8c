// Bundle definitions (组合装) as people read them: the components, their quantities and titles. Tenant catalogue, not
// stock levels: GET /api/stock/{sku} says how many a bundle makes.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { StockDeps } from '../deps.ts';
import { readBundles } from '../store/bundles.ts';
import { skuTitles } from '../store/catalogue.ts';

export interface BundleView {
  sku: string;
  title: string;
  components: { sku: string; title: string; quantity: number }[];
}

/** Every bundle of the tenant, in SKU order. */
export async function listBundles(deps: StockDeps, who: Principal): Promise<{ items: BundleView[] }> {
  const all = await readBundles(deps.db.read, who.tenantId, null);
  const titles = await skuTitles(deps.db.read, who.tenantId, [...new Set([...all.keys(), ...[...all.values()].flatMap((c) => c.map((x) => x.sku))])]);
  const items = [...all]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, components]) => ({
      sku,
      title: titles.get(sku) ?? '',
      components: components.map((c) => ({ sku: c.sku, title: titles.get(c.sku) ?? '', quantity: c.quantity })),
    }));
  return { items };
}

/** One bundle; BUNDLE_NOT_FOUND when the SKU is not one. */
export async function bundleView(deps: StockDeps, who: Principal, sku: string): Promise<BundleView> {
  const components = (await readBundles(deps.db.read, who.tenantId, [sku])).get(sku);
  if (!components) throw new HubError('BUNDLE_NOT_FOUND', `${sku} is not a bundle`);
  const titles = await skuTitles(deps.db.read, who.tenantId, [sku, ...components.map((c) => c.sku)]);
  return { sku, title: titles.get(sku) ?? '', components: components.map((c) => ({ sku: c.sku, title: titles.get(c.sku) ?? '', quantity: c.quantity })) };
}
