// The tenant's routing rules: as the console shows them (the defaults until it saves its own), and as the planner loads
// them inside a routing run.
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { RoutingDeps } from '../deps.ts';
import { loadRoutingRules, type RoutingRule, type RoutingRules } from '../routing/planner.ts';
import { defaultRoutingRules, type Query, type RoutingRulesView } from '../routing/views.ts';

export async function routingRules(deps: RoutingDeps, who: Principal): Promise<RoutingRulesView> {
  const r = await deps.db.read.get<{ rules: string; version: number; updated_at: number; updated_by: string }>(
    'SELECT rules, version, updated_at, updated_by FROM routing_rules WHERE tenant_id = ?',
    [who.tenantId],
  );
  if (!r) return { rules: defaultRoutingRules, version: 0, updatedAt: null, updatedBy: null, isDefault: true };
  return { rules: JSON.parse(r.rules) as RoutingRule[], version: Number(r.version), updatedAt: toIso(Number(r.updated_at)), updatedBy: r.updated_by, isDefault: false };
}

/** The tenant's rules, checked and loaded for the planner, read with the caller's connection or transaction. */
export async function routingRulesIn(q: Query, tenant: string): Promise<RoutingRules> {
  const r = await q.get<{ rules: string }>('SELECT rules FROM routing_rules WHERE tenant_id = ?', [tenant]);
  return loadRoutingRules(r ? JSON.parse(r.rules) : defaultRoutingRules);
}
