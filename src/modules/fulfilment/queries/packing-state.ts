// A shipment's state and the units still to be packed into it, read inside the caller's transaction (the WMS push
// decides its step from it).
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { shipmentRow } from '../store/shipment-row.ts';
import type { LineRow } from '../views.ts';

/** A shipment's state and the units still to be packed into it, inside the caller's transaction (locked unless `lock` is false). */
export async function packingState(tx: Tx, who: Principal, shipmentId: string, lock = true): Promise<{ state: string; remaining: string[] }> {
  const s = await shipmentRow(tx, who, shipmentId, lock);
  const lines = await tx.all<LineRow>('SELECT shipment_id, order_id, line_no, sku, quantity, scanned, bundle_sku, bundle_line_no FROM shipment_lines WHERE shipment_id = ? ORDER BY order_id, line_no', [s.id]);
  return { state: s.state, remaining: lines.flatMap((l) => Array.from({ length: Number(l.quantity) - Number(l.scanned) }, () => l.sku)) };
}
