// Closing a pending request (approved, rejected, failed, expired, withdrawn): only one decision ever lands.
import { actorKey, type ApprovalState } from './domain/approvals.ts';
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Tx } from '../../platform/db/database.ts';

export async function closeApproval(tx: Tx, who: Principal, id: string, state: ApprovalState, reason: string | null, result: unknown, now: number): Promise<void> {
  tx.locks.take('approval', [id]);
  const changed = await tx.run(
    `UPDATE approvals SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ?, decision_reason = ?, result = ?
     WHERE id = ? AND state = 'pending'`,
    [state, actorKey(who), who.name, now, reason, result === undefined || result === null ? null : JSON.stringify(result), id],
  );
  if (changed !== 1) throw new HubError('APPROVAL_DECIDED', `approval ${id} was decided already`);
}
