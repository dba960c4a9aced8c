// Stock rows change only through atomic conditional UPDATEs: no read-then-write, no application lock.
import { quantitiesBySku } from '../domain/order.ts';
import type { Tx } from './db.ts';

export interface HeldReservation {
  id: number;
  sku: string;
  warehouse: string;
  quantity: number;
}

/** Thrown inside a savepoint so that a partly reserved order is undone as a whole. */
export class StockShort extends Error {
  constructor(
    readonly sku: string,
    readonly wanted: number,
  ) {
    super(`not enough stock of ${sku} for ${wanted}`);
  }
}

// The sub-select names a warehouse that had enough; the outer WHERE re-checks under the row lock,
// so a concurrent writer can make this miss but never oversell. Parameters: quantity, now, tenant, sku,
// quantity, tenant, sku, quantity.
const takeFromWarehouse = (set: string) => `
UPDATE stock SET ${set}, updated_at = ?
WHERE tenant_id = ? AND sku = ? AND on_hand - reserved >= ? AND warehouse = (
  SELECT s.warehouse FROM stock s
  LEFT JOIN warehouses w ON w.tenant_id = s.tenant_id AND w.code = s.warehouse
  WHERE s.tenant_id = ? AND s.sku = ? AND s.on_hand - s.reserved >= ?
  ORDER BY COALESCE(w.priority, 100), s.warehouse
  LIMIT 1)
RETURNING warehouse`;

const reserveSql = takeFromWarehouse('reserved = reserved + ?');
// An order that is already paid when its stock is taken: the units leave on-hand at once, same guard.
const takeSql = takeFromWarehouse('on_hand = on_hand - ?');

/**
 * Reserves every line of an order or none (the caller runs this inside a savepoint and lets StockShort undo it).
 * Lines of the same SKU are summed and SKUs taken in sorted order, so concurrent writers lock rows alike.
 */
export async function reserveLines(
  tx: Tx,
  tenantId: string,
  orderId: string,
  lines: readonly { sku: string; quantity: number }[],
  now: number,
  mode: 'hold' | 'deduct' = 'hold',
): Promise<HeldReservation[]> {
  const held: HeldReservation[] = [];
  const sql = mode === 'hold' ? reserveSql : takeSql;
  for (const [sku, qty] of quantitiesBySku(lines)) {
    let row: { warehouse: string } | undefined;
    // On PostgreSQL a concurrent commit can empty the chosen warehouse between sub-select and lock: look again.
    for (let attempt = 0; attempt < 3 && !row; attempt++) {
      row = await tx.get<{ warehouse: string }>(sql, [qty, now, tenantId, sku, qty, tenantId, sku, qty]);
      if (tx.dialect === 'sqlite') break;
    }
    if (!row) throw new StockShort(sku, qty);
    const ins = await tx.get<{ id: number }>(
      `INSERT INTO reservations (tenant_id, order_id, sku, warehouse, quantity, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [tenantId, orderId, sku, row.warehouse, qty, mode === 'hold' ? 'held' : 'deducted', now, now],
    );
    held.push({ id: (ins as { id: number }).id, sku, warehouse: row.warehouse, quantity: qty });
  }
  return held;
}

export async function heldReservations(tx: Tx, orderId: string, state = 'held'): Promise<HeldReservation[]> {
  const rows = await tx.all<HeldReservation & { state: string }>(
    `SELECT id, sku, warehouse, quantity, state FROM reservations WHERE order_id = ?`,
    [orderId],
  );
  // Sorted here, not in SQL: the same lock order as reserveLines, without a sort step in the plan.
  return rows
    .filter((r) => r.state === state)
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.warehouse < b.warehouse ? -1 : a.warehouse > b.warehouse ? 1 : 0))
    .map(({ id, sku, warehouse, quantity }) => ({ id, sku, warehouse, quantity }));
}

/** Payment: the reserved units leave on-hand and reserved together. */
export async function deductReservations(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId);
  for (const r of rows) {
    const changed = await tx.run(
      `UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ? AND on_hand >= ?`,
      [r.quantity, r.quantity, now, tenantId, r.sku, r.warehouse, r.quantity, r.quantity],
    );
    if (changed !== 1) throw new Error(`stock invariant broken: cannot deduct reservation ${r.id} of ${r.sku}@${r.warehouse}`);
    await tx.run(`UPDATE reservations SET state = 'deducted', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  return rows;
}

/** Cancel or timeout before payment: reserved units become available again. */
export async function releaseReservations(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId);
  for (const r of rows) {
    const changed = await tx.run(
      `UPDATE stock SET reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ?`,
      [r.quantity, now, tenantId, r.sku, r.warehouse, r.quantity],
    );
    if (changed !== 1) throw new Error(`stock invariant broken: cannot release reservation ${r.id} of ${r.sku}@${r.warehouse}`);
    await tx.run(`UPDATE reservations SET state = 'released', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  return rows;
}

/** Cancel after payment but before shipping: the deducted units never left the warehouse. */
export async function restoreDeducted(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId, 'deducted');
  for (const r of rows) {
    await tx.run(`UPDATE stock SET on_hand = on_hand + ?, updated_at = ? WHERE tenant_id = ? AND sku = ? AND warehouse = ?`, [
      r.quantity,
      now,
      tenantId,
      r.sku,
      r.warehouse,
    ]);
    await tx.run(`UPDATE reservations SET state = 'restocked', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  return rows;
}
