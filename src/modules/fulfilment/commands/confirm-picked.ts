// The wave's shelves are emptied into its parcels: its waved shipments are picked, and the wave once none of it waits.
import type { Principal } from '../../../kernel/principal.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { shipmentMachine } from '../domain/shipment-machine.ts';
import { wave, waveRow, waveShipments } from '../queries/wave.ts';
import { shipmentStep } from '../shipment-step.ts';
import type { WaveView } from '../views.ts';

/** The wave's shelves are emptied into its parcels: its waved shipments are picked. */
export async function confirmPicked(deps: WarehouseFlowDeps, who: Principal, waveId: string, now = Date.now()): Promise<WaveView> {
  await waveRow(deps, who, waveId);
  await deps.db.transaction(async (tx) => {
    // The principal confirms the shipments it may see; the wave is picked once none of it is still waiting.
    const rows = await waveShipments(tx, who.scope, waveId, 'waved');
    for (const s of rows) {
      shipmentMachine.check(s.state, 'picked', {});
      if ((await tx.run(`UPDATE shipments SET state = 'picked', picked_at = ?, updated_at = ? WHERE id = ? AND state = 'waved'`, [now, now, s.id])) === 1) {
        await shipmentStep(tx, who, s, 'shipment.picked', now, { waveId });
      }
    }
    await tx.run(`UPDATE waves SET state = 'picked', updated_at = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM shipments WHERE wave_id = ? AND state = 'waved')`, [now, waveId, waveId]);
  });
  return wave(deps, who, waveId);
}
