// The event log (outbox) as integrations follow it: the caller's tenant, after a position, inside its data scope.
import type { Principal } from '../../../kernel/principal.ts';
import { eventScopeSql, toKysely } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { WebhookDeps } from '../deps.ts';

export async function listEvents(deps: WebhookDeps, who: Principal, f: { after: number; limit: number; aggregateId?: string | undefined }) {
  // A scoped principal reads the events of the orders, shipments, cases and waves in its scope.
  let q = deps.db.kysely.selectFrom('outbox').selectAll().where('tenant_id', '=', who.tenantId).where('id', '>', f.after).where(toKysely(eventScopeSql(who.scope, 'outbox')));
  if (f.aggregateId) q = q.where('aggregate_id', '=', f.aggregateId);
  const rows = await q.orderBy('id').limit(f.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    type: r.type,
    aggregateType: r.aggregate_type,
    aggregateId: r.aggregate_id,
    createdAt: toIso(r.created_at),
    data: JSON.parse(r.payload) as unknown,
  }));
}
