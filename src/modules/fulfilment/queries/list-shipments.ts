// The shipments the principal's scope sees, filtered by warehouse, state or wave, one page of them, most urgent first.
import type { Principal } from '../../../kernel/principal.ts';
import { shipmentScopeSql } from '../../../kernel/scope.ts';
import type { SqlValue } from '../../../platform/db/database.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import { cols, shipmentViews, type ShipmentRow, type ShipmentView } from '../views.ts';

export async function listShipments(
  deps: WarehouseFlowDeps,
  who: Principal,
  f: { warehouse?: string | undefined; state?: string | undefined; waveId?: string | undefined; limit: number; offset: number },
): Promise<{ items: ShipmentView[]; total: number }> {
  const where = ['tenant_id = ?'];
  const params: SqlValue[] = [who.tenantId];
  for (const [column, value] of [['warehouse', f.warehouse], ['state', f.state], ['wave_id', f.waveId]] as const) {
    if (!value) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  const inScope = shipmentScopeSql(who.scope, 'shipments');
  where.push(inScope.text);
  params.push(...inScope.params);
  const w = where.join(' AND ');
  const total = await deps.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM shipments WHERE ${w}`, params);
  const rows = await deps.db.read.all<ShipmentRow>(`SELECT ${cols} FROM shipments WHERE ${w} ORDER BY ship_by, id LIMIT ? OFFSET ?`, [...params, f.limit, f.offset]);
  return { items: await shipmentViews(deps.db.read, rows), total: Number(total?.c ?? 0) };
}
