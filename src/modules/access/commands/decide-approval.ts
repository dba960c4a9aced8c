// A second person approves a pending request (its operation runs in the decision's transaction) or rejects it.
import { checkDecider, type ApprovalKind } from '../domain/approvals.ts';
import { HubError, isHubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../audit.ts';
import type { ApprovalDeps } from '../deps.ts';
import type { ApprovalView } from '../approval-view.ts';
import { executorFor, loadApproval } from '../approval-lookup.ts';
import { closeApproval } from '../approval-decision.ts';
import { getApproval } from '../queries/get-approval.ts';

/**
 * Approves (runs the operation) or rejects a pending request. Refused: one's own request (APPROVAL_SELF, audited),
 * missing permissions, a request already decided or expired. An approved operation that can no longer run
 * (the order moved on, stock was taken) closes the request as failed and answers with the operation's error.
 */
export async function decideApproval(deps: ApprovalDeps, who: Principal, id: string, input: { decision: 'approve' | 'reject'; reason?: string | undefined }, now = Date.now()): Promise<ApprovalView> {
  const r = await loadApproval(deps, who, id);
  const kind = r.kind as ApprovalKind;
  const reason = input.reason?.trim() || null;
  if (r.state !== 'pending') throw new HubError('APPROVAL_DECIDED', `approval ${id} is ${r.state} already`, { state: r.state });
  try {
    checkDecider(who, { kind, requestedBy: r.requested_by, id });
  } catch (e) {
    if (isHubError(e) && e.code === 'APPROVAL_SELF') {
      await deps.db.transaction((tx) =>
        appendAudit(tx, deps.keyring, who, { action: 'approval.self_refused', targetType: 'approval', targetId: id, detail: { kind, decision: input.decision } }, now),
      );
    }
    throw e;
  }
  if (Number(r.requested_at) + deps.settings.ttlHours * 3_600_000 <= now) {
    await deps.db.transaction(async (tx) => {
      await closeApproval(tx, who, id, 'expired', null, null, now);
      await appendAudit(tx, deps.keyring, who, { action: 'approval.expired', targetType: 'approval', targetId: id, detail: { kind } }, now);
    });
    throw new HubError('APPROVAL_EXPIRED', `approval ${id} expired (requests stay open ${deps.settings.ttlHours} h); ask for it again`);
  }
  const payload = JSON.parse(r.payload) as Record<string, unknown>;
  const audit = (tx: Tx, action: string, detail: Record<string, unknown>) =>
    appendAudit(
      tx,
      deps.keyring,
      who,
      { action, targetType: 'approval', targetId: id, before: { state: 'pending' }, after: { state: detail.state }, detail: { kind, target: `${r.target_type}:${r.target_id ?? ''}`, requestedBy: r.requested_by_name, reason, ...detail } },
      now,
    );
  if (input.decision === 'reject') {
    await deps.db.transaction(async (tx) => {
      await closeApproval(tx, who, id, 'rejected', reason, null, now);
      await audit(tx, 'approval.reject', { state: 'rejected' });
    });
    return getApproval(deps, who, id);
  }
  try {
    await deps.db.transaction(async (tx) => {
      // Claim first: of two deciders at once, one runs the operation and the other gets APPROVAL_DECIDED.
      await closeApproval(tx, who, id, 'approved', reason, null, now);
      const result = await executorFor(deps, kind).apply(tx, who, payload, { approvalId: id, requestedBy: r.requested_by_name }, now);
      await tx.run('UPDATE approvals SET result = ? WHERE id = ?', [JSON.stringify(result ?? null), id]);
      await audit(tx, 'approval.approve', { state: 'approved' });
    });
  } catch (e) {
    if (!isHubError(e) || e.code === 'APPROVAL_DECIDED') throw e;
    await deps.db.transaction(async (tx) => {
      await closeApproval(tx, who, id, 'failed', reason, { error: { code: e.code, message: e.message } }, now);
      await audit(tx, 'approval.failed', { state: 'failed', error: e.code });
    });
    throw new HubError(e.code, `approval ${id} could not be carried out: ${e.message}. It is closed as failed; request it again if it is still wanted`, {
      approval: id,
      ...(typeof e.details === 'object' && e.details !== null ? (e.details as Record<string, unknown>) : {}),
    });
  }
  return getApproval(deps, who, id);
}
