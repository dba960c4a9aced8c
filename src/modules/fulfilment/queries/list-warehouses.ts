// Warehouses with their routing attributes and how many parcels each has taken today (the seller's day): the ones the
// principal's scope sees, and the tenant's whole list as the routing world reads it.
import type { Principal } from '../../../kernel/principal.ts';
import { contains } from '../../../kernel/scope.ts';
import { startOfDayInZone } from '../../../kernel/time.ts';
import type { RoutingDeps } from '../deps.ts';
import { parseJson, type CarrierSetting, type Query, type WarehouseSettings } from '../routing/views.ts';

function dayStart(deps: RoutingDeps, now: number): number {
  return startOfDayInZone(now, deps.settings.timezone);
}

/** Every warehouse of the tenant, priority first, read with the caller's connection or transaction. */
export async function warehousesIn(deps: RoutingDeps, q: Query, tenant: string, now: number): Promise<WarehouseSettings[]> {
  const rows = await q.all<{ code: string; name: string; priority: number; regions: string; daily_capacity: number; can_clear_customs: number; carriers: string | null }>(
    'SELECT code, name, priority, regions, daily_capacity, can_clear_customs, carriers FROM warehouses WHERE tenant_id = ? ORDER BY priority, code',
    [tenant],
  );
  const used = await q.all<{ warehouse: string; n: number }>(
    // A parcel stopped before it left (its order cancelled) frees its place for the day.
    `SELECT warehouse, COUNT(*) AS n FROM shipments WHERE tenant_id = ? AND created_at >= ? AND state <> 'cancelled' GROUP BY warehouse`,
    [tenant, dayStart(deps, now)],
  );
  const usedBy = new Map(used.map((u) => [u.warehouse, Number(u.n)]));
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    priority: Number(r.priority),
    regions: JSON.parse(r.regions) as string[],
    dailyCapacity: Number(r.daily_capacity),
    canClearCustoms: Number(r.can_clear_customs) === 1,
    carriers: parseJson<CarrierSetting[] | null>(r.carriers, null),
    usedToday: usedBy.get(r.code) ?? 0,
  }));
}

export async function listWarehouses(deps: RoutingDeps, who: Principal, now = Date.now()): Promise<WarehouseSettings[]> {
  return (await warehousesIn(deps, deps.db.read, who.tenantId, now)).filter((w) => contains(who.scope, 'warehouse', { warehouses: [w.code] }));
}
