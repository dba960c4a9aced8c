// One shipment picked, wave or not, inside the caller's transaction: what a WMS reports of its own picking.
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { shipmentStep } from '../shipment-step.ts';
import { shipmentRow } from '../store/shipment-row.ts';

/**
 * One shipment picked, wave or not (a WMS reports its own picking): planned or waved → picked, with the same event
 * and history as a wave's confirmation. False when it was no longer planned or waved.
 */
export async function pickShipmentIn(tx: Tx, who: Principal, shipmentId: string, now: number): Promise<boolean> {
  const s = await shipmentRow(tx, who, shipmentId, true);
  // Already picked or further on: the report is older news than the shipment has (the WMS path ranks it first).
  if (s.state !== 'planned' && s.state !== 'waved') return false;
  shipmentMachine.check(s.state, 'picked', {});
  if ((await tx.run(`UPDATE shipments SET state = 'picked', picked_at = ?, updated_at = ? WHERE id = ? AND state = ?`, [now, now, s.id, s.state])) !== 1) return false;
  await shipmentStep(tx, who, s, 'shipment.picked', now, s.wave_id ? { waveId: s.wave_id } : {});
  return true;
}
