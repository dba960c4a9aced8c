// An order's reservations as other modules read them: what it holds, and where (the order's 360° view, the scope
// policy's warehouse facts).
import type { Reader } from '../../../platform/db/database.ts';
import type { ReservationsTable } from '../../../platform/db/schema.ts';
import { placeholders } from '../../../platform/db/unit-of-work.ts';

export interface ReservationView {
  sku: string;
  warehouse: string;
  quantity: number;
  state: string;
  /** The bundle (组合装) whose line these component units serve; absent for a plain line. */
  bundleSku?: string;
}

/** One order's reservation rows, oldest first. */
export async function reservationsOf(q: Reader, orderId: string): Promise<ReservationView[]> {
  const rows = await q.all<Required<Omit<ReservationView, 'bundleSku'>> & { bundle_sku: string | null }>(
    'SELECT sku, warehouse, quantity, state, bundle_sku FROM reservations WHERE order_id = ? ORDER BY id',
    [orderId],
  );
  return rows.map((r) => ({ sku: r.sku, warehouse: r.warehouse, quantity: Number(r.quantity), state: r.state, ...(r.bundle_sku ? { bundleSku: r.bundle_sku } : {}) }));
}

/** The warehouses each order holds (or held) stock at: routing reserves at every warehouse it ships from. */
export async function warehousesReservedFor(q: Reader, orderIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < orderIds.length; i += 500) {
    const part = orderIds.slice(i, i + 500);
    for (const p of await q.all<{ order_id: string; warehouse: string }>(`SELECT DISTINCT order_id, warehouse FROM reservations WHERE order_id IN (${placeholders(part.length)})`, part)) {
      out.set(p.order_id, [...(out.get(p.order_id) ?? []), p.warehouse]);
    }
  }
  return out;
}

/** A firm (paid, `deducted`) reservation row. */
export type FirmReservation = Pick<ReservationsTable, 'id' | 'order_id' | 'sku' | 'warehouse' | 'quantity'>;

/** The firm reservations of these orders: where each order's paid units wait to ship (routing's world). */
export async function firmReservationsOf(q: Reader, orderIds: readonly string[]): Promise<FirmReservation[]> {
  const out: FirmReservation[] = [];
  for (let i = 0; i < orderIds.length; i += 500) {
    const part = orderIds.slice(i, i + 500);
    const rows = await q.all<FirmReservation>(`SELECT id, order_id, sku, warehouse, quantity FROM reservations WHERE order_id IN (${placeholders(part.length)}) AND state = 'deducted'`, part);
    out.push(...rows.map((r) => ({ ...r, quantity: Number(r.quantity) })));
  }
  return out;
}
