// A wave's pick list (拣货单): what to take from the shelves, summed per SKU, with each SKU's title.
import type { Principal } from '../../../kernel/principal.ts';
import { skuTitles } from '../../inventory/store/catalogue.ts';
import { titlesSoldUnder } from '../../orders/store/fulfilment.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import type { PickList } from '../views.ts';
import { wave } from './wave.ts';

/** What to take from the shelves for a wave, summed per SKU (拣货单). */
export async function pickList(deps: WarehouseFlowDeps, who: Principal, waveId: string): Promise<PickList> {
  const w = await wave(deps, who, waveId);
  const titles = await skuTitles(deps.db.read, who.tenantId, [...new Set(w.shipments.flatMap((s) => s.lines.flatMap((l) => (l.bundleSku ? [l.sku, l.bundleSku] : [l.sku]))))]);
  // A SKU first seen in a stock count has no title of its own: the picker reads the one its orders were sold under.
  const untitled = [...new Set(w.shipments.flatMap((s) => s.lines.flatMap((l) => (l.bundleSku ? [l.sku, l.bundleSku] : [l.sku]))))].filter((sku) => !titles.has(sku));
  if (untitled.length) {
    const orderIds = [...new Set(w.shipments.flatMap((s) => s.lines.map((l) => l.orderId)))];
    for (const [sku, title] of await titlesSoldUnder(deps.db.read, orderIds, untitled)) titles.set(sku, title);
  }
  const bySku = new Map<string, Map<string, number>>();
  // A bundle's components are picked as themselves (组合装), each with the bundles it goes into named beside it.
  const forBundles = new Map<string, Map<string, number>>();
  for (const s of w.shipments) for (const l of s.lines) {
    const m = bySku.get(l.sku) ?? new Map<string, number>();
    m.set(s.id, (m.get(s.id) ?? 0) + l.quantity);
    bySku.set(l.sku, m);
    if (l.bundleSku) {
      const b = forBundles.get(l.sku) ?? new Map<string, number>();
      b.set(l.bundleSku, (b.get(l.bundleSku) ?? 0) + l.quantity);
      forBundles.set(l.sku, b);
    }
  }
  const items = [...bySku]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, m]) => ({
      sku,
      title: titles.get(sku) ?? '',
      quantity: [...m.values()].reduce((a, b) => a + b, 0),
      shipments: [...m].map(([shipmentId, quantity]) => ({ shipmentId, quantity })),
      bundles: [...(forBundles.get(sku) ?? [])].sort(([a], [b]) => (a < b ? -1 : 1)).map(([bundle, quantity]) => ({ sku: bundle, title: titles.get(bundle) ?? '', quantity })),
    }));
  return { waveId: w.id, warehouse: w.warehouse, createdAt: w.createdAt, shipments: w.shipments.length, units: items.reduce((a, i) => a + i.quantity, 0), items };
}
