// A person saves a SKU's fulfilment traits: where it may ship from, its promised ship hours, weight and customs need.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import { knownSkus } from '../../inventory/store/catalogue.ts';
import type { RoutingDeps } from '../deps.ts';
import { skuTraitsIn } from '../queries/list-sku-traits.ts';
import type { SkuTraitsView } from '../routing/views.ts';

export async function saveSkuTraits(
  deps: RoutingDeps,
  who: Principal,
  sku: string,
  input: { allowedWarehouses?: string[] | null | undefined; promisedShipHours: number; weightGrams: number; needsCustomsClearance?: boolean | undefined },
  now = Date.now(),
): Promise<SkuTraitsView> {
  await deps.db.transaction(async (tx) => {
    if ((await knownSkus(tx, who.tenantId, [sku])).length === 0) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
    // Warehouses are named inside the caller's organisation; one that does not exist there would never match a plan.
    const unknown: string[] = [];
    for (const code of new Set(input.allowedWarehouses ?? [])) {
      if (!(await tx.get('SELECT 1 AS x FROM warehouses WHERE tenant_id = ? AND code = ?', [who.tenantId, code]))) unknown.push(code);
    }
    if (unknown.length) {
      throw new HubError('VALIDATION_FAILED', `allowedWarehouses names warehouses that do not exist: ${unknown.join(', ')}`, { errors: unknown.map((w) => `unknown warehouse ${w}`) });
    }
    const before = await tx.get<Record<string, unknown>>('SELECT allowed_warehouses, promised_ship_hours, weight_grams, needs_customs FROM sku_traits WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]);
    await tx.run(
      `INSERT INTO sku_traits (tenant_id, sku, allowed_warehouses, promised_ship_hours, weight_grams, needs_customs, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, sku) DO UPDATE SET allowed_warehouses = excluded.allowed_warehouses, promised_ship_hours = excluded.promised_ship_hours,
         weight_grams = excluded.weight_grams, needs_customs = excluded.needs_customs, updated_at = excluded.updated_at`,
      [who.tenantId, sku, input.allowedWarehouses ? JSON.stringify(input.allowedWarehouses) : null, input.promisedShipHours, input.weightGrams, input.needsCustomsClearance ? 1 : 0, now],
    );
    await appendAudit(tx, deps.keyring, who, { action: 'sku.traits', targetType: 'sku', targetId: sku, before: before ?? null, after: input }, now);
  });
  return (await skuTraitsIn(deps, deps.db.read, who.tenantId, [sku]))[0] as SkuTraitsView;
}
