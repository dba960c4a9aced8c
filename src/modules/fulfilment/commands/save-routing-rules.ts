// A person replaces the tenant's routing rules: checked whole first, audited, with an event.
import { HubError, isHubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { RoutingDeps } from '../deps.ts';
import { routingRules } from '../queries/routing-rules.ts';
import { loadRoutingRules, type RoutingRules } from '../routing/planner.ts';
import { defaultRoutingRules, type RoutingRulesView } from '../routing/views.ts';

/** Replaces the tenant's rules after checking them whole (loadRoutingRules): a bad set is refused, never half-saved. */
export async function saveRoutingRules(deps: RoutingDeps, who: Principal, input: unknown[], now = Date.now()): Promise<RoutingRulesView> {
  let checked: RoutingRules;
  try {
    checked = loadRoutingRules(input);
  } catch (e) {
    if (isHubError(e) && e.code === 'CONFIG_INVALID') throw new HubError('VALIDATION_FAILED', e.message, e.details);
    throw e;
  }
  const rules = JSON.stringify(checked.rules);
  await deps.db.transaction(async (tx) => {
    const before = await tx.get<{ rules: string; version: number }>('SELECT rules, version FROM routing_rules WHERE tenant_id = ?', [who.tenantId]);
    await tx.run(
      `INSERT INTO routing_rules (tenant_id, rules, version, updated_by, updated_at) VALUES (?, ?, 1, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET rules = excluded.rules, version = routing_rules.version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [who.tenantId, rules, who.name, now],
    );
    await appendEvent(tx, { tenantId: who.tenantId, type: 'routing.rules_changed', aggregateType: 'routing_rules', aggregateId: who.tenantId, at: now, payload: { rules: checked.rules } });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'routing.rules', targetType: 'routing_rules', targetId: who.tenantId, before: before ? JSON.parse(before.rules) : defaultRoutingRules, after: checked.rules },
      now,
    );
  });
  return routingRules(deps, who);
}
