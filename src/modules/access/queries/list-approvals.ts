// The requests a principal may see, newest first: its own, and for a decider every one whose target is in its scope.
import { actorKey, isApprovalKind, type ApprovalState } from '../domain/approvals.ts';
import { can, type Principal } from '../../../kernel/principal.ts';
import type { SqlValue } from '../../../platform/db/database.ts';
import type { ApprovalDeps } from '../deps.ts';
import { approvalView, type ApprovalRow, type ApprovalView } from '../approval-view.ts';
import { visibleTo } from '../approval-lookup.ts';

/** Requests the caller made, and, for a decider, the ones in their scope. Newest first. */
export async function listApprovals(deps: ApprovalDeps, who: Principal, f: { state?: ApprovalState | undefined; limit: number }): Promise<ApprovalView[]> {
  const decider = can(who, 'approvals.decide');
  const params: SqlValue[] = [who.tenantId];
  let where = 'tenant_id = ?';
  if (!decider) {
    where += ' AND requested_by = ?';
    params.push(actorKey(who));
  }
  if (f.state) {
    where += ' AND state = ?';
    params.push(f.state);
  }
  // Whether a request is in scope depends on its kind's target (an order, a shop, a stock change's warehouses), so it
  // is decided per row: read page after page until there are enough, or none are left.
  const out: ApprovalView[] = [];
  const page = Math.max(f.limit, 50);
  for (let offset = 0; out.length < f.limit; offset += page) {
    const rows = await deps.db.read.all<ApprovalRow>(`SELECT * FROM approvals WHERE ${where} ORDER BY requested_at DESC, id DESC LIMIT ? OFFSET ?`, [...params, page, offset]);
    for (const r of rows) {
      if (out.length >= f.limit) break;
      if (isApprovalKind(r.kind) && (await visibleTo(deps, who, r))) out.push(approvalView(deps.settings, r, who));
    }
    if (rows.length < page) break;
  }
  return out;
}
