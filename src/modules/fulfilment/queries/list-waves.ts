// The latest waves the principal's scope sees, optionally of one warehouse (without their shipments).
import type { Principal } from '../../../kernel/principal.ts';
import { waveScopeSql } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { WarehouseFlowDeps } from '../deps.ts';
import type { WaveView } from '../views.ts';

export async function listWaves(deps: WarehouseFlowDeps, who: Principal, f: { warehouse?: string | undefined; limit: number }): Promise<Omit<WaveView, 'shipments'>[]> {
  const s = waveScopeSql(who.scope, 'waves');
  const rows = await deps.db.read.all<{ id: string; warehouse: string; state: string; created_by: string; created_at: number }>(
    `SELECT id, warehouse, state, created_by, created_at FROM waves WHERE tenant_id = ?${f.warehouse ? ' AND warehouse = ?' : ''} AND ${s.text} ORDER BY created_at DESC, id DESC LIMIT ?`,
    [who.tenantId, ...(f.warehouse ? [f.warehouse] : []), ...s.params, f.limit],
  );
  return rows.map((w) => ({ id: w.id, warehouse: w.warehouse, state: w.state, createdBy: w.created_by, createdAt: toIso(Number(w.created_at)) }));
}
