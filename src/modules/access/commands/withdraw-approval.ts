// The requester takes back a pending request.
import { actorKey } from '../domain/approvals.ts';
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { ApprovalDeps } from '../deps.ts';
import type { ApprovalView } from '../approval-view.ts';
import { loadApproval } from '../approval-lookup.ts';
import { closeApproval } from '../approval-decision.ts';
import { getApproval } from '../queries/get-approval.ts';

export async function withdrawApproval(deps: ApprovalDeps, who: Principal, id: string, now = Date.now()): Promise<ApprovalView> {
  const r = await loadApproval(deps, who, id);
  if (r.requested_by !== actorKey(who)) throw new HubError('FORBIDDEN', `only ${r.requested_by_name}, who asked, can withdraw approval ${id}`);
  if (r.state !== 'pending') throw new HubError('APPROVAL_DECIDED', `approval ${id} is ${r.state} already`, { state: r.state });
  await deps.db.transaction(async (tx) => {
    await closeApproval(tx, who, id, 'withdrawn', null, null, now);
    await appendAudit(tx, deps.keyring, who, { action: 'approval.withdraw', targetType: 'approval', targetId: id, detail: { kind: r.kind } }, now);
  });
  return getApproval(deps, who, id);
}
