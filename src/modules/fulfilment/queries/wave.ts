// One wave (波次) with the shipments in it the principal's scope sees; the wave row and its shipments are also what
// confirming a wave picked reads.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql, waveScopeSql, type DataScope } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { cols, shipmentViews, type Query, type ShipmentRow, type WaveView } from '../views.ts';

export async function waveRow(deps: Pick<WarehouseFlowDeps, 'db'>, who: Principal, id: string) {
  const f = waveScopeSql(who.scope, 'waves');
  const w = await deps.db.read.get<{ id: string; warehouse: string; state: string; created_by: string; created_at: number }>(
    `SELECT id, warehouse, state, created_by, created_at FROM waves WHERE id = ? AND tenant_id = ? AND ${f.text}`,
    [id, who.tenantId, ...f.params],
  );
  if (!w) throw new HubError('WAVE_NOT_FOUND', `wave ${id} does not exist`);
  return w;
}

/** The wave's shipments the scope sees (a wave of several shops' parcels shows a shop its own). */
export async function waveShipments(q: Query, scope: DataScope, waveId: string, state?: string): Promise<ShipmentRow[]> {
  const f = shipmentScopeSql(scope, 'shipments');
  return q.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE wave_id = ?${state ? ' AND state = ?' : ''} AND ${f.text} ORDER BY ship_by, id`, [waveId, ...(state ? [state] : []), ...f.params]);
}

export async function wave(deps: WarehouseFlowDeps, who: Principal, id: string): Promise<WaveView> {
  const w = await waveRow(deps, who, id);
  const rows = await waveShipments(deps.db.read, who.scope, id);
  return { id: w.id, warehouse: w.warehouse, state: w.state, createdBy: w.created_by, createdAt: toIso(Number(w.created_at)), shipments: await shipmentViews(deps.db.read, rows) };
}
