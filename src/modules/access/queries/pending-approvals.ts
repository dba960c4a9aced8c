// Requests still waiting, as the rest of the console needs them: the "待审批" marker on an order (list and 360° view)
// and the number in the notification bell of what the caller may decide.
import { approvalKinds, isApprovalKind, type ApprovalKind } from '../domain/approvals.ts';
import { can, type Principal } from '../../../kernel/principal.ts';
import type { ApprovalDeps } from '../deps.ts';
import { listApprovals } from './list-approvals.ts';

export interface PendingMarker {
  id: string;
  kind: ApprovalKind;
}

/**
 * The open (pending, not expired) requests on each of the given targets, by target id. The marker says that a
 * request exists, not what it asks: the request itself is read through /api/approvals with its own visibility.
 */
export async function pendingOnTargets(deps: ApprovalDeps, tenantId: string, targetType: string, ids: readonly string[], now: number): Promise<Map<string, PendingMarker[]>> {
  const out = new Map<string, PendingMarker[]>();
  if (!ids.length) return out;
  const unique = [...new Set(ids)];
  // The state index narrows to the few open requests; the ids (a page of orders) are matched among them.
  const rows = await deps.db.read.all<{ id: string; kind: string; target_id: string }>(
    `SELECT id, kind, target_id FROM approvals WHERE tenant_id = ? AND state = 'pending' AND requested_at > ? AND target_type = ?
       AND target_id IN (${unique.map(() => '?').join(', ')}) ORDER BY requested_at, id`,
    [tenantId, now - deps.settings.ttlHours * 3_600_000, targetType, ...unique],
  );
  for (const r of rows) {
    if (!isApprovalKind(r.kind)) continue;
    out.set(r.target_id, [...(out.get(r.target_id) ?? []), { id: r.id, kind: r.kind }]);
  }
  return out;
}

/** How many open requests the caller may decide now (not its own, its permission, in its scope); capped at `cap`. */
export async function decidableCount(deps: ApprovalDeps, who: Principal, now: number, cap = 200): Promise<{ count: number; more: boolean }> {
  if (!can(who, 'approvals.decide')) return { count: 0, more: false };
  const open = await listApprovals(deps, who, { state: 'pending', limit: cap + 1 });
  const n = open.filter((a) => !a.mine && can(who, approvalKinds[a.kind].permission) && a.expiresAt !== null && Date.parse(a.expiresAt) > now).length;
  return { count: Math.min(n, cap), more: n > cap };
}
