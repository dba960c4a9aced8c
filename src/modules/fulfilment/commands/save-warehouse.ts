// A person creates a warehouse or changes its routing attributes (priority, regions, capacity, customs, carriers).
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { contains } from '../../../kernel/scope.ts';
import { appendAudit } from '../../access/audit.ts';
import type { RoutingDeps } from '../deps.ts';
import { warehousesIn } from '../queries/list-warehouses.ts';
import type { CarrierSetting, WarehouseSettings } from '../routing/views.ts';

/** Creates or changes a warehouse's routing attributes. */
export async function saveWarehouse(
  deps: RoutingDeps,
  who: Principal,
  code: string,
  input: { name?: string | undefined; priority?: number | undefined; regions?: string[] | undefined; dailyCapacity?: number | undefined; canClearCustoms?: boolean | undefined; carriers?: CarrierSetting[] | null | undefined },
  now = Date.now(),
): Promise<WarehouseSettings> {
  if (!contains(who.scope, 'warehouse', { warehouses: [code] })) throw new HubError('FORBIDDEN', `${who.name} may not change warehouse ${code}`);
  const codes = input.carriers?.map((c) => c.code) ?? [];
  if (new Set(codes).size !== codes.length) throw new HubError('VALIDATION_FAILED', 'a carrier is listed twice');
  await deps.db.transaction(async (tx) => {
    const before = await tx.get<Record<string, unknown>>(
      'SELECT name, priority, regions, daily_capacity, can_clear_customs, carriers FROM warehouses WHERE tenant_id = ? AND code = ?',
      [who.tenantId, code],
    );
    await tx.run(`INSERT INTO warehouses (tenant_id, code, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO NOTHING`, [who.tenantId, code, input.name ?? code, now]);
    await tx.run(
      `UPDATE warehouses SET name = COALESCE(?, name), priority = COALESCE(?, priority), regions = COALESCE(?, regions),
         daily_capacity = COALESCE(?, daily_capacity), can_clear_customs = COALESCE(?, can_clear_customs),
         carriers = CASE WHEN ? = 1 THEN ? ELSE carriers END, updated_at = ?
       WHERE tenant_id = ? AND code = ?`,
      [
        input.name ?? null,
        input.priority ?? null,
        input.regions ? JSON.stringify(input.regions) : null,
        input.dailyCapacity ?? null,
        input.canClearCustoms === undefined ? null : input.canClearCustoms ? 1 : 0,
        input.carriers === undefined ? 0 : 1,
        input.carriers ? JSON.stringify(input.carriers) : null,
        now,
        who.tenantId,
        code,
      ],
    );
    await appendAudit(tx, deps.keyring, who, { action: 'warehouse.save', targetType: 'warehouse', targetId: code, before: before ?? null, after: input }, now);
  });
  return (await warehousesIn(deps, deps.db.read, who.tenantId, now)).find((w) => w.code === code) as WarehouseSettings;
}
