// An account's latest raw events, for the replay list.
import type { Principal } from '../../../kernel/principal.ts';
import { rawEventScopeSql, toKysely } from '../../../kernel/scope.ts';
import { toIso } from '../../../kernel/time.ts';
import type { IntegrationDeps } from '../deps.ts';

/** The account's latest raw events (newest first), for the replay list: no bodies. */
export async function recentRawEvents(deps: IntegrationDeps, who: Principal, accountId: string, f: { outcome?: string | undefined; limit: number }) {
  await deps.accounts.getFor(who, accountId);
  let q = deps.db.kysely
    .selectFrom('raw_events')
    .select(['id', 'event_id', 'received_at', 'deliveries', 'outcome', 'order_id', 'via', 'detail'])
    .where('account_id', '=', accountId)
    .where('tenant_id', '=', who.tenantId)
    .where(toKysely(rawEventScopeSql(who.scope, 'raw_events')));
  if (f.outcome) q = q.where('outcome', '=', f.outcome);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    eventId: r.event_id,
    receivedAt: toIso(r.received_at),
    deliveries: r.deliveries,
    outcome: r.outcome,
    orderId: r.order_id,
    via: r.via,
    detail: r.detail,
  }));
}
