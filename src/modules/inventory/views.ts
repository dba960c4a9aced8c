// How stock is shown: per warehouse and summed per SKU, with what may still be reserved and what may be offered.
import { toIso } from '../../kernel/time.ts';
import { bundleSellable, type BundleComponent } from './domain/bundles.ts';

export interface WarehouseStock {
  warehouse: string;
  onHand: number;
  reserved: number;
  available: number;
  safetyStock: number;
  sellable: number;
  lowStock: boolean;
  updatedAt: string | null;
}

export interface StockView {
  sku: string;
  /** The product's name from the catalogue ('' when none was given). */
  title?: string;
  onHand: number;
  reserved: number;
  /** Units that can still be reserved: on hand − reserved. */
  available: number;
  safetyStock: number;
  /** What may be offered to channels: on hand × sellable ratio − safety stock − reserved, never below 0. */
  sellable: number;
  lowStock: boolean;
  byWarehouse: WarehouseStock[];
  /** A bundle (组合装): its components and their stock; absent for a plain SKU. A bundle holds no stock of its own. */
  components?: BundleComponentStock[];
}

/** One component of a bundle as the stock view shows it: per unit of the bundle, and the component's own figures. */
export interface BundleComponentStock {
  sku: string;
  quantity: number;
  onHand: number;
  available: number;
  sellable: number;
}

export interface StockRow {
  sku: string;
  warehouse: string;
  on_hand: number;
  reserved: number;
  safety_stock: number;
  updated_at: number;
}

export function stockView(sellableRatio: number, sku: string, rows: StockRow[]): StockView {
  const byWarehouse = rows.map((r) => {
    const sellable = Math.max(0, Math.floor(r.on_hand * sellableRatio) - r.safety_stock - r.reserved);
    return {
      warehouse: r.warehouse,
      onHand: r.on_hand,
      reserved: r.reserved,
      available: r.on_hand - r.reserved,
      safetyStock: r.safety_stock,
      sellable,
      lowStock: r.on_hand - r.reserved <= r.safety_stock,
      updatedAt: toIso(r.updated_at),
    };
  });
  const sum = (f: (w: WarehouseStock) => number) => byWarehouse.reduce((a, w) => a + f(w), 0);
  const onHand = sum((w) => w.onHand);
  const reserved = sum((w) => w.reserved);
  const safetyStock = sum((w) => w.safetyStock);
  return {
    sku,
    onHand,
    reserved,
    available: onHand - reserved,
    safetyStock,
    sellable: sum((w) => w.sellable),
    lowStock: onHand - reserved <= safetyStock,
    byWarehouse,
  };
}

/**
 * A bundle's stock, from its components' views: each figure is how many whole bundles the components make
 * (⌊component figure ÷ quantity⌋, the scarcest component wins). Reserved is what on hand makes beyond what is available.
 */
export function bundleStockView(sku: string, components: readonly BundleComponent[], views: ReadonlyMap<string, StockView>): StockView {
  const of = (f: (v: StockView) => number) => (s: string) => {
    const v = views.get(s);
    return v ? f(v) : 0;
  };
  const onHand = bundleSellable(components, of((v) => v.onHand));
  const available = bundleSellable(components, of((v) => v.available));
  return {
    sku,
    onHand,
    reserved: onHand - available,
    available,
    safetyStock: 0,
    sellable: bundleSellable(components, of((v) => v.sellable)),
    lowStock: components.some((c) => views.get(c.sku)?.lowStock ?? true),
    byWarehouse: [],
    components: components.map((c) => {
      const v = views.get(c.sku);
      return { sku: c.sku, quantity: c.quantity, onHand: v?.onHand ?? 0, available: v?.available ?? 0, sellable: v?.sellable ?? 0 };
    }),
  };
}
