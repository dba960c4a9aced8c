// Finding a request the caller may see (its own, or, for a decider, one whose target is in its scope), and what
// runs it once approved.
import { actorKey, isApprovalKind, type ApprovalKind } from './domain/approvals.ts';
import { HubError } from '../../kernel/errors.ts';
import { can, type Principal } from '../../kernel/principal.ts';
import { isUnlimited } from '../../kernel/scope.ts';
import type { ApprovalDeps, ApprovalExecutor } from './deps.ts';
import type { ApprovalRow } from './approval-view.ts';

export function executorFor(deps: ApprovalDeps, kind: ApprovalKind): ApprovalExecutor {
  const e = deps.executors.get(kind);
  if (!e) throw new Error(`no executor registered for approval kind ${kind}`);
  return e;
}

export async function loadApproval(deps: ApprovalDeps, who: Principal, id: string): Promise<ApprovalRow> {
  const r = await deps.db.read.get<ApprovalRow>('SELECT * FROM approvals WHERE tenant_id = ? AND id = ?', [who.tenantId, id]);
  // Outside the caller's scope answers exactly like a request that does not exist.
  if (!r || !isApprovalKind(r.kind) || !(await visibleTo(deps, who, r))) throw new HubError('APPROVAL_NOT_FOUND', `approval ${id} does not exist`);
  return r;
}

export async function visibleTo(deps: ApprovalDeps, who: Principal, r: ApprovalRow): Promise<boolean> {
  if (r.requested_by === actorKey(who)) return true;
  if (!can(who, 'approvals.decide') || !isApprovalKind(r.kind)) return false;
  const check = executorFor(deps, r.kind).visible;
  return check ? check(who, { targetId: r.target_id, payload: JSON.parse(r.payload) as Record<string, unknown> }) : isUnlimited(who.scope);
}
