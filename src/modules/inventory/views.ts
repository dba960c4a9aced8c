// How stock is shown: per warehouse and summed per SKU, with what may still be reserved and what may be offered.
import { toIso } from '../../kernel/time.ts';

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
  onHand: number;
  reserved: number;
  /** Units that can still be reserved: on hand − reserved. */
  available: number;
  safetyStock: number;
  /** What may be offered to channels: on hand × sellable ratio − safety stock − reserved, never below 0. */
  sellable: number;
  lowStock: boolean;
  byWarehouse: WarehouseStock[];
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
