// Changes one stock row by a count or a difference, never below what is already reserved nor below zero.
import { HubError } from '../../kernel/errors.ts';
import type { Reader, Tx } from '../../platform/db/database.ts';
import { ensureWarehouse, warehouseExists } from '../fulfilment/store/warehouses.ts';
import { recordMovement, type MovementContext } from './store/movements.ts';
import { skuCatalog } from './store/stock.ts';
import { bundlesIn } from './store/bundles.ts';

/** One row of a bulk adjustment: a new count (onHand) or a difference (delta); optionally a new safety stock. */
export interface StockAdjustment {
  sku: string;
  warehouse: string;
  onHand?: number | undefined;
  delta?: number | undefined;
  safetyStock?: number | undefined;
}

/**
 * One stock row to a new count (onHand) or by a difference (delta), in one conditional upsert: the change applies
 * only if it still covers the reservations and stays at 0 or more.
 */
/**
 * How a stock write treats a warehouse code that names no warehouse: refused (WAREHOUSE_NOT_FOUND, nothing written) —
 * what every person's write gets, so a typo cannot make a new warehouse that routing then ships from — or created,
 * named after its code, for the hub's own seeding and the CLI's explicit --create-warehouse.
 */
export type UnknownWarehouse = 'refuse' | 'create';

/** Refuses a warehouse code that names no warehouse of the tenant (nothing written). */
export async function checkWarehouseKnown(q: Reader, tenant: string, warehouse: string): Promise<void> {
  if (!(await warehouseExists(q, tenant, warehouse))) {
    throw new HubError('WAREHOUSE_NOT_FOUND', `there is no warehouse ${warehouse}: create it first (仓库不存在)`, { warehouse });
  }
}

export async function applyStockRow(tx: Tx, tenant: string, a: StockAdjustment, now: number, ctx: MovementContext, unknown: UnknownWarehouse = 'refuse') {
  if ((await bundlesIn(tx, tenant, [a.sku])).size > 0) {
    throw new HubError('BUNDLE_HOLDS_NO_STOCK', `${a.sku} is a bundle (组合装): it holds no stock of its own; count its components instead`, { sku: a.sku });
  }
  if (unknown === 'create') await ensureWarehouse(tx, tenant, a.warehouse, now);
  else await checkWarehouseKnown(tx, tenant, a.warehouse);
  const before = await tx.get<{ on_hand: number; reserved: number; safety_stock: number }>(
    'SELECT on_hand, reserved, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?',
    [tenant, a.sku, a.warehouse],
  );
  if ((await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', ?) ON CONFLICT (tenant_id, sku) DO NOTHING`, [tenant, a.sku, now])) > 0) {
    skuCatalog.version++;
  }
  const delta = a.onHand === undefined ? (a.delta ?? 0) : null;
  let changed: number;
  if (a.onHand !== undefined) {
    changed = await tx.run(
      `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
       ON CONFLICT (tenant_id, sku, warehouse) DO UPDATE
         SET on_hand = excluded.on_hand, safety_stock = COALESCE(?, stock.safety_stock), updated_at = excluded.updated_at
         WHERE stock.reserved <= excluded.on_hand`,
      [tenant, a.sku, a.warehouse, a.onHand, a.safetyStock ?? 0, now, a.safetyStock ?? null],
    );
  } else {
    // A difference: the row exists first (0 on hand), then one conditional update moves it.
    await tx.run(
      `INSERT INTO stock (tenant_id, sku, warehouse, on_hand, reserved, safety_stock, updated_at) VALUES (?, ?, ?, 0, 0, 0, ?)
       ON CONFLICT (tenant_id, sku, warehouse) DO NOTHING`,
      [tenant, a.sku, a.warehouse, now],
    );
    changed = await tx.run(
      `UPDATE stock SET on_hand = on_hand + ?, safety_stock = COALESCE(?, safety_stock), updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND on_hand + ? >= reserved AND on_hand + ? >= 0`,
      [delta, a.safetyStock ?? null, now, tenant, a.sku, a.warehouse, delta, delta],
    );
  }
  if (changed !== 1) {
    const r = await tx.get<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?', [
      tenant,
      a.sku,
      a.warehouse,
    ]);
    const target = delta === null ? a.onHand : (r?.on_hand ?? 0) + delta;
    throw new HubError(
      'STOCK_BELOW_RESERVED',
      `${a.sku}@${a.warehouse}: on hand ${target} is below the ${r?.reserved ?? 0} units already reserved${(target ?? 0) < 0 ? ' (and below zero)' : ''}; cancel or move those orders first`,
      { sku: a.sku, warehouse: a.warehouse, reserved: r?.reserved ?? 0 },
    );
  }
  const after = (await tx.get<{ on_hand: number; reserved: number; safety_stock: number }>(
    'SELECT on_hand, reserved, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?',
    [tenant, a.sku, a.warehouse],
  )) as { on_hand: number; reserved: number; safety_stock: number };
  // Under the row's lock (PostgreSQL) or the one writer (SQLite): before and after are this write's own.
  await recordMovement(
    tx,
    tenant,
    { sku: a.sku, warehouse: a.warehouse, onHandAfter: Number(after.on_hand), reservedAfter: Number(after.reserved), dOnHand: Number(after.on_hand) - Number(before?.on_hand ?? 0), dReserved: 0 },
    ctx,
    now,
  );
  return {
    before: before ? { onHand: Number(before.on_hand), safetyStock: Number(before.safety_stock) } : null,
    after: { onHand: Number(after.on_hand), safetyStock: Number(after.safety_stock) },
  };
}
