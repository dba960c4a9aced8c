// One page of the orders a filter matches, as summaries (personal data masked), with the total.
import { sql } from 'kysely';
import type { Principal } from '../../../kernel/principal.ts';
import type { OrderDeps } from '../deps.ts';
import { summary, type OrderSummary } from '../views.ts';
import { filteredOrders, type OrderFilter } from './order-filter.ts';

export async function listOrders(deps: OrderDeps, who: Principal, f: OrderFilter): Promise<{ items: (OrderSummary & { pendingApprovals: string[] })[]; total: number; page: number; pageSize: number }> {
  const q = await filteredOrders(deps, who, f);
  const [{ total }] = (await q.select(sql<number>`count(*)`.as('total')).execute()) as [{ total: number }];
  // With an exact key (platform id, phone, order number) few rows match: order by an expression so the
  // planner picks the key's index instead of walking the creation-time index for its ordering.
  const selective = Boolean(f.platformOrderId || f.q);
  const sort = f.sort ?? '-createdAt';
  const dir = sort.startsWith('-') ? 'desc' : 'asc';
  const column = sort.endsWith('totalAmount') ? 'total_amount' : 'created_at';
  const rows = await q
    .selectAll()
    .orderBy(selective ? sql<number>`${sql.ref(column)} + 0` : sql<number>`${sql.ref(column)}`, dir)
    .orderBy('id', dir)
    .limit(f.pageSize)
    .offset((f.page - 1) * f.pageSize)
    .execute();
  // The "待审批" marker: open requests on the page's orders, in one query.
  const pending = await deps.approvals.pendingOn(who.tenantId, 'order', rows.map((o) => o.id));
  return {
    items: rows.map((o) => ({ ...summary(o, deps.keyring, { reveal: false }), pendingApprovals: (pending.get(o.id) ?? []).map((p) => p.kind) })),
    total: Number(total),
    page: f.page,
    pageSize: f.pageSize,
  };
}
