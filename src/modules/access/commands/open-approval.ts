// Opens a second-approval request inside the caller's transaction: the operation waits for another person.
import { actorKey, approvalKinds, type ApprovalKind } from '../domain/approvals.ts';
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../audit.ts';
import type { ApprovalDeps } from '../deps.ts';
import { approvalView, type ApprovalRow, type ApprovalView } from '../approval-view.ts';

/** What a service hands over when an operation needs a second approval. */
export interface ApprovalDraft {
  kind: ApprovalKind;
  targetType: string;
  targetId: string | null;
  /** One line a decider reads, e.g. `ORD-20261122-00001: total 19900 → 15900`. */
  summary: string;
  /** Everything needed to run the operation later; plain JSON, no personal data. */
  payload: Record<string, unknown>;
}

/**
 * Stores a request inside the caller's transaction (after the caller checked it could run now) and audits it.
 * A second open request of the same kind for the same target is refused: decide the first one.
 */
export async function openApproval(deps: ApprovalDeps, tx: Tx, who: Principal, d: ApprovalDraft, now: number): Promise<ApprovalView> {
  if (d.targetId !== null) {
    const open = await tx.get<{ id: string }>(
      `SELECT id FROM approvals WHERE tenant_id = ? AND kind = ? AND target_type = ? AND target_id = ? AND state = 'pending' AND requested_at > ?`,
      [who.tenantId, d.kind, d.targetType, d.targetId, now - deps.settings.ttlHours * 3_600_000],
    );
    if (open) throw new HubError('CONFLICT', `a ${d.kind} request for this ${d.targetType} is already waiting for approval (${open.id})`, { approval: open.id });
  }
  const row: ApprovalRow = {
    id: newId(now),
    tenant_id: who.tenantId,
    kind: d.kind,
    permission: approvalKinds[d.kind].permission,
    target_type: d.targetType,
    target_id: d.targetId,
    summary: d.summary.slice(0, 500),
    payload: JSON.stringify(d.payload),
    state: 'pending',
    requested_by: actorKey(who),
    requested_by_name: who.name,
    requested_at: now,
    decided_by: null,
    decided_by_name: null,
    decided_at: null,
    decision_reason: null,
    result: null,
  };
  await tx.run(
    `INSERT INTO approvals (id, tenant_id, kind, permission, target_type, target_id, summary, payload, state, requested_by, requested_by_name, requested_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
    [row.id, row.tenant_id, row.kind, row.permission, row.target_type, row.target_id, row.summary, row.payload, row.requested_by, row.requested_by_name, now],
  );
  await appendAudit(
    tx,
    deps.keyring,
    who,
    { action: 'approval.request', targetType: d.targetType, targetId: d.targetId, after: { approval: row.id, kind: d.kind, summary: row.summary }, detail: d.payload },
    now,
  );
  return approvalView(deps.settings, row, who);
}
