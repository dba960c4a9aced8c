// Stock rows change only through atomic conditional UPDATEs: no read-then-write, no application lock.
import { quantitiesBySku } from '../../orders/domain/order.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { forUpdate, inList } from '../../../platform/db/unit-of-work.ts';
import { reservationMachine, type ReservationState } from '../domain/reservation-machine.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { stockLines } from '../domain/bundles.ts';
import { bundlesIn, withComponents } from './bundles.ts';
import { recordMovement, returningFigures, type Figures } from './movements.ts';

/**
 * The SKU catalogue's version in this process: bumped by every write that adds a SKU or changes an alias, so that
 * what ingest remembers of SKU codes is dropped. (Other processes' writes show in SQLite's data_version instead.)
 */
export const skuCatalog = { version: 0 };

/**
 * Locks every stock row of these SKUs (all warehouses), SKU by SKU in ascending order: what a write that will move
 * stock of several SKUs — or of several orders — takes up front, after its orders, so it never waits on a row while
 * holding a later one. A bundle among them brings its components (a bundle line reserves those). SQLite's one writer
 * only records them.
 */
export async function lockStock(tx: Tx, tenantId: string, skus: readonly string[]): Promise<void> {
  const fresh = tx.locks.take('stock', await withComponents(tx, tenantId, skus, true));
  if (fresh.length === 0 || !forUpdate(tx)) return;
  for (let i = 0; i < fresh.length; i += 500) {
    const skuIn = inList(tx, 'sku', fresh.slice(i, i + 500));
    await tx.all(`SELECT 1 FROM stock WHERE tenant_id = ? AND ${skuIn.sql} ORDER BY sku, warehouse${forUpdate(tx)}`, [tenantId, ...skuIn.params]);
  }
}

/**
 * Says, in the transaction that moved them, that these SKUs' stock changed: the stock sync (channels) learns it from
 * the outbox and pushes the listings' new quantities. One insert per transaction and cause; it locks nothing.
 */
export async function markStockChanged(tx: Tx, tenantId: string, skus: readonly string[], cause: string, now: number): Promise<void> {
  if (skus.length === 0) return;
  const unique = [...new Set(skus)].sort();
  await appendEvent(tx, { tenantId, type: 'stock.changed', aggregateType: 'sku', aggregateId: unique[0] as string, at: now, payload: { skus: unique, cause } });
}

export interface HeldReservation {
  id: number;
  sku: string;
  warehouse: string;
  quantity: number;
  /** The bundle whose line these units serve; null for a plain line. */
  bundleSku: string | null;
}

/** Thrown by reserveLines once it has put back what it took, so the order is left with no stock at all. */
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
RETURNING warehouse, on_hand, reserved`;

// Paid or not, taking stock for an order reserves it: on-hand counts what is on the shelf, and units leave it only
// when they are shipped (warehouse-flow). A paid order's reservation is firm (state `deducted`): no timer frees it.
const take = takeFromWarehouse('reserved = reserved + ?');
// The exact inverse of a take, for the SKUs already taken when a later one is short. Nothing else can have
// moved those units in between: SQLite has one writer, and PostgreSQL holds the row locks until commit.
const giveBack = 'UPDATE stock SET reserved = reserved - ?, updated_at = ? WHERE tenant_id = ? AND sku = ? AND warehouse = ?' + returningFigures;

/**
 * Reserves every line of an order or none. A bundle line (组合装) takes its components instead (line quantity ×
 * component quantity), summed with the order's other lines of the same SKU: one conditional update per SKU, SKUs taken
 * in sorted order, so concurrent writers lock rows alike. When one SKU is short, the ones taken before it are given
 * back and StockShort is thrown (naming the component): no savepoint needed (each costs a journal copy of every page
 * the order touches). Each reservation row says which bundle its units serve.
 */
export async function reserveLines(
  tx: Tx,
  tenantId: string,
  orderId: string,
  lines: readonly { sku: string; quantity: number }[],
  now: number,
  mode: 'hold' | 'deduct' = 'hold',
): Promise<HeldReservation[]> {
  reservationMachine.start(mode === 'hold' ? 'held' : 'deducted');
  const bundles = await bundlesIn(tx, tenantId, lines.map((l) => l.sku));
  const wanted = bundles.size ? stockLines(lines, bundles) : null;
  const taken: { sku: string; warehouse: string; quantity: number; after: Figures }[] = [];
  for (const [sku, qty] of quantitiesBySku(wanted ?? lines)) {
    // Told just before its row is taken: SKUs out of order throw here, on SQLite too (unit-of-work.ts).
    tx.locks.take('stock', [sku]);
    let row: ({ warehouse: string } & Figures) | undefined;
    // On PostgreSQL a concurrent commit can empty the chosen warehouse between sub-select and lock: look again.
    for (let attempt = 0; attempt < 3 && !row; attempt++) {
      row = await tx.get<{ warehouse: string } & Figures>(take, [qty, now, tenantId, sku, qty, tenantId, sku, qty]);
      if (tx.dialect === 'sqlite') break;
    }
    if (!row) {
      // Given back before any ledger row was written: the order took nothing, and the ledger says nothing.
      for (const t of taken) {
        const back = await tx.get<Figures>(giveBack, [t.quantity, now, tenantId, t.sku, t.warehouse]);
        if (!back) throw new Error(`stock invariant broken: cannot give back ${t.quantity} of ${t.sku}@${t.warehouse}`);
      }
      throw new StockShort(sku, qty);
    }
    taken.push({ sku, warehouse: row.warehouse, quantity: qty, after: row });
  }
  for (const t of taken) {
    await recordMovement(tx, tenantId, { sku: t.sku, warehouse: t.warehouse, onHandAfter: t.after.on_hand, reservedAfter: t.after.reserved, dOnHand: 0, dReserved: t.quantity }, { cause: 'reserve', ref: orderId }, now);
  }
  const held: HeldReservation[] = [];
  for (const t of taken) {
    // One row per bundle the SKU's units serve (and one for the plain lines), all from the warehouse the take chose.
    const parts = new Map<string | null, number>();
    if (wanted) {
      for (const w of wanted) if (w.sku === t.sku) parts.set(w.bundleSku, (parts.get(w.bundleSku) ?? 0) + w.quantity);
    } else {
      parts.set(null, t.quantity);
    }
    for (const [bundleSku, quantity] of parts) {
      const ins = await tx.get<{ id: number }>(
        `INSERT INTO reservations (tenant_id, order_id, sku, warehouse, quantity, state, created_at, updated_at, bundle_sku)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [tenantId, orderId, t.sku, t.warehouse, quantity, mode === 'hold' ? 'held' : 'deducted', now, now, bundleSku],
      );
      held.push({ id: (ins as { id: number }).id, sku: t.sku, warehouse: t.warehouse, quantity, bundleSku });
    }
  }
  await markStockChanged(tx, tenantId, taken.map((t) => t.sku), 'reserve', now);
  return held;
}

export async function heldReservations(tx: Tx, orderId: string, state: ReservationState = 'held'): Promise<HeldReservation[]> {
  const rows = await tx.all<Omit<HeldReservation, 'bundleSku'> & { state: string; bundle_sku: string | null }>(
    `SELECT id, sku, warehouse, quantity, state, bundle_sku FROM reservations WHERE order_id = ?`,
    [orderId],
  );
  // Sorted here, not in SQL: the same lock order as reserveLines, without a sort step in the plan.
  const out = rows
    .filter((r) => r.state === state)
    .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.warehouse < b.warehouse ? -1 : a.warehouse > b.warehouse ? 1 : 0))
    .map(({ id, sku, warehouse, quantity, bundle_sku }) => ({ id, sku, warehouse, quantity, bundleSku: bundle_sku }));
  return out;
}

/**
 * Payment: the reservation becomes firm (no payment timer frees it any more). The units stay reserved and on hand
 * until they are shipped; the stock row does not move, so nothing here can fail on stock.
 */
export async function deductReservations(tx: Tx, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId);
  if (rows.length) reservationMachine.check('held', 'deducted', {});
  for (const r of rows) await tx.run(`UPDATE reservations SET state = 'deducted', updated_at = ? WHERE id = ? AND state = 'held'`, [now, r.id]);
  return rows;
}

/**
 * The order left by another way than the hub's warehouse flow (the seller shipped it from the platform's back office):
 * its units still reserved here left the shelf all the same. Each firm reservation leaves on-hand and reserved together.
 * After the warehouse flow shipped everything this finds nothing to do.
 */
export async function shipDeducted(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId, 'deducted');
  if (rows.length) reservationMachine.check('deducted', 'shipped', {});
  for (const r of rows) {
    tx.locks.take('stock', [r.sku]);
    const after = await tx.get<Figures>(
      `UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ? AND on_hand >= ?${returningFigures}`,
      [r.quantity, r.quantity, now, tenantId, r.sku, r.warehouse, r.quantity, r.quantity],
    );
    if (!after) throw new Error(`stock invariant broken: cannot ship reservation ${r.id} of ${r.sku}@${r.warehouse}`);
    await recordMovement(tx, tenantId, { sku: r.sku, warehouse: r.warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: -r.quantity, dReserved: -r.quantity }, { cause: 'ship', reason: 'shipped outside the hub', ref: orderId }, now);
    await tx.run(`UPDATE reservations SET state = 'shipped', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  await markStockChanged(tx, tenantId, rows.map((r) => r.sku), 'ship', now);
  return rows;
}

/** Cancel or timeout before payment: reserved units become available again. */
export async function releaseReservations(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId);
  if (rows.length) reservationMachine.check('held', 'released', {});
  for (const r of rows) {
    tx.locks.take('stock', [r.sku]);
    const after = await tx.get<Figures>(
      `UPDATE stock SET reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ?${returningFigures}`,
      [r.quantity, now, tenantId, r.sku, r.warehouse, r.quantity],
    );
    if (!after) throw new Error(`stock invariant broken: cannot release reservation ${r.id} of ${r.sku}@${r.warehouse}`);
    await recordMovement(tx, tenantId, { sku: r.sku, warehouse: r.warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: 0, dReserved: -r.quantity }, { cause: 'release', ref: orderId }, now);
    await tx.run(`UPDATE reservations SET state = 'released', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  await markStockChanged(tx, tenantId, rows.map((r) => r.sku), 'release', now);
  return rows;
}

/** Cancel after payment, for what has not shipped: the units were never taken off the shelf, only reserved. */
export async function restoreDeducted(tx: Tx, tenantId: string, orderId: string, now: number): Promise<HeldReservation[]> {
  const rows = await heldReservations(tx, orderId, 'deducted');
  if (rows.length) reservationMachine.check('deducted', 'restocked', {});
  for (const r of rows) {
    tx.locks.take('stock', [r.sku]);
    const after = await tx.get<Figures>(
      `UPDATE stock SET reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ?${returningFigures}`,
      [r.quantity, now, tenantId, r.sku, r.warehouse, r.quantity],
    );
    if (!after) throw new Error(`stock invariant broken: cannot restock reservation ${r.id} of ${r.sku}@${r.warehouse}`);
    await recordMovement(tx, tenantId, { sku: r.sku, warehouse: r.warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: 0, dReserved: -r.quantity }, { cause: 'restock', ref: orderId }, now);
    await tx.run(`UPDATE reservations SET state = 'restocked', updated_at = ? WHERE id = ?`, [now, r.id]);
  }
  await markStockChanged(tx, tenantId, rows.map((r) => r.sku), 'restock', now);
  return rows;
}

/** A change of reserved units at one stock row: a positive delta gives units back, a negative one takes them. */
export interface ReservedMove {
  sku: string;
  warehouse: string;
  delta: number;
}

/**
 * Moves reserved units between warehouses (routing ships from another warehouse than payment reserved at): each row's
 * change is one conditional update, applied in (sku, warehouse) order — the lock order of stock rows. A take happens
 * only while the row has the units free (on_hand − reserved ≥ q); the first that does not is returned, and the caller
 * rolls the whole transaction back. Null when every move was made.
 */
export async function moveReserved(tx: Tx, tenantId: string, moves: readonly ReservedMove[], now: number, ref: string | null = null): Promise<ReservedMove | null> {
  const sorted = [...moves].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : a.warehouse < b.warehouse ? -1 : a.warehouse > b.warehouse ? 1 : 0));
  tx.locks.take('stock', sorted.map((m) => m.sku));
  for (const m of sorted) {
    if (m.delta > 0) {
      const after = await tx.get<Figures>('UPDATE stock SET reserved = reserved - ?, updated_at = ? WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ?' + returningFigures, [
        m.delta,
        now,
        tenantId,
        m.sku,
        m.warehouse,
        m.delta,
      ]);
      if (!after) throw new Error(`stock invariant broken: ${m.sku}@${m.warehouse} does not hold the ${m.delta} reserved units being moved away`);
      await recordMovement(tx, tenantId, { sku: m.sku, warehouse: m.warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: 0, dReserved: -m.delta }, { cause: 'reroute', ref }, now);
    } else if (m.delta < 0) {
      const after = await tx.get<Figures>('UPDATE stock SET reserved = reserved + ?, updated_at = ? WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND on_hand - reserved >= ?' + returningFigures, [
        -m.delta,
        now,
        tenantId,
        m.sku,
        m.warehouse,
        -m.delta,
      ]);
      if (!after) return m;
      await recordMovement(tx, tenantId, { sku: m.sku, warehouse: m.warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: 0, dReserved: -m.delta }, { cause: 'reroute', ref }, now);
    }
  }
  await markStockChanged(tx, tenantId, sorted.map((m) => m.sku), 'reroute', now);
  return null;
}

/**
 * An order's firm reservation of a SKU leaves its warehouse (deducted → rerouted) for new firm rows where the units now
 * wait (after moveReserved moved the stock counters alike).
 */
export async function rerouteReservation(tx: Tx, tenantId: string, orderId: string, sku: string, to: ReadonlyMap<string, number>, now: number): Promise<void> {
  reservationMachine.check('deducted', 'rerouted', {});
  reservationMachine.start('deducted');
  // What each bundle (and the plain lines: '') held of the SKU, so the new rows still say whom their units serve.
  const served = new Map<string, number>();
  for (const r of await tx.all<{ bundle_sku: string | null; quantity: number }>(
    `SELECT bundle_sku, quantity FROM reservations WHERE order_id = ? AND sku = ? AND state = 'deducted' ORDER BY id`,
    [orderId, sku],
  )) {
    served.set(r.bundle_sku ?? '', (served.get(r.bundle_sku ?? '') ?? 0) + Number(r.quantity));
  }
  const owners = [...served].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await tx.run(`UPDATE reservations SET state = 'rerouted', updated_at = ? WHERE order_id = ? AND sku = ? AND state = 'deducted'`, [now, orderId, sku]);
  for (const [warehouse, quantity] of [...to].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let left = quantity;
    // The warehouse's units go to the owners in turn; past what they held (a plan for more), the rest is unowned.
    while (left > 0) {
      const owner = owners.find(([, q]) => q > 0);
      const q = owner ? Math.min(owner[1], left) : left;
      if (owner) owner[1] -= q;
      await tx.run(
        `INSERT INTO reservations (tenant_id, order_id, sku, warehouse, quantity, state, created_at, updated_at, bundle_sku) VALUES (?, ?, ?, ?, ?, 'deducted', ?, ?, ?)`,
        [tenantId, orderId, sku, warehouse, q, now, now, owner && owner[0] !== '' ? owner[0] : null],
      );
      left -= q;
    }
  }
}

/**
 * Units handed to a carrier at one warehouse (`parcel` names them in errors): they leave each order's firm reservation
 * there for a `shipped` one — a row that ships in part is carved in two — and leave the stock row, on-hand and
 * reserved together, one conditional update per SKU in SKU order. Every SKU is locked up front, since the reservations
 * go order by order.
 */
export async function shipFromWarehouse(
  tx: Tx,
  tenantId: string,
  warehouse: string,
  units: readonly { orderId: string; sku: string; quantity: number }[],
  parcel: string,
  now: number,
): Promise<void> {
  await lockStock(tx, tenantId, units.map((u) => u.sku));
  const need = new Map<string, { orderId: string; sku: string; quantity: number }>();
  for (const u of units) {
    const k = `${u.orderId}\u0000${u.sku}`;
    const e = need.get(k) ?? { orderId: u.orderId, sku: u.sku, quantity: 0 };
    e.quantity += u.quantity;
    need.set(k, e);
  }
  for (const { orderId, sku, quantity } of [...need.values()].sort((a, b) => (a.orderId + a.sku < b.orderId + b.sku ? -1 : 1))) {
    let left = quantity;
    const rows = await tx.all<{ id: number; quantity: number; bundle_sku: string | null }>(
      `SELECT id, quantity, bundle_sku FROM reservations WHERE order_id = ? AND sku = ? AND warehouse = ? AND state = 'deducted' ORDER BY id`,
      [orderId, sku, warehouse],
    );
    for (const r of rows) {
      if (left === 0) break;
      const q = Number(r.quantity);
      reservationMachine.check('deducted', 'shipped', {});
      if (q <= left) {
        await tx.run(`UPDATE reservations SET state = 'shipped', updated_at = ? WHERE id = ? AND state = 'deducted'`, [now, r.id]);
        left -= q;
      } else {
        // Part of the row ships: that part is carved off as its own row, deducted → shipped; the rest stays deducted.
        await tx.run(`UPDATE reservations SET quantity = quantity - ?, updated_at = ? WHERE id = ? AND state = 'deducted' AND quantity > ?`, [left, now, r.id, left]);
        await tx.run(
          `INSERT INTO reservations (tenant_id, order_id, sku, warehouse, quantity, state, created_at, updated_at, bundle_sku) VALUES (?, ?, ?, ?, ?, 'shipped', ?, ?, ?)`,
          [tenantId, orderId, sku, warehouse, left, now, now, r.bundle_sku],
        );
        left = 0;
      }
    }
    if (left > 0) throw new Error(`stock invariant broken: order ${orderId} has no deducted ${sku}@${warehouse} for ${left} shipped units`);
  }
  const bySku = new Map<string, number>();
  for (const { sku, quantity } of need.values()) bySku.set(sku, (bySku.get(sku) ?? 0) + quantity);
  for (const [sku, q] of [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const after = await tx.get<Figures>(
      `UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ?, updated_at = ?
       WHERE tenant_id = ? AND sku = ? AND warehouse = ? AND reserved >= ? AND on_hand >= ?${returningFigures}`,
      [q, q, now, tenantId, sku, warehouse, q, q],
    );
    if (!after) throw new Error(`stock invariant broken: ${sku}@${warehouse} does not hold the ${q} reserved units ${parcel} takes`);
    await recordMovement(tx, tenantId, { sku, warehouse, onHandAfter: after.on_hand, reservedAfter: after.reserved, dOnHand: -q, dReserved: -q }, { cause: 'ship', ref: parcel }, now);
  }
  await markStockChanged(tx, tenantId, [...bySku.keys()], 'ship', now);
}
