// Deleting a channel account, in the caller's transaction (asked directly, or once a second person approved it).
import { HubError } from '../../../kernel/errors.ts';
import type { Tx } from '../../../platform/db/database.ts';
import type { ApprovalContext } from '../../access/approvals.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { AccountDeps } from '../deps.ts';
import { channelAccountFor } from '../queries/channel-account.ts';

export async function applyDeleteAccount(deps: AccountDeps, tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
  const id = String(payload.accountId);
  const a = await channelAccountFor(deps, who, id);
  const changed = await tx.run(
    `UPDATE channel_accounts SET active = 0, deleted_at = ?, credentials = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL`,
    [now, deps.keyring.encrypt('{}'), now, id, who.tenantId],
  );
  if (changed !== 1) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
  await appendEvent(tx, { tenantId: who.tenantId, type: 'channel_account.deleted', aggregateType: 'channel_account', aggregateId: id, at: now, payload: { id, platform: a.platform, name: a.name } });
  await appendAudit(
    tx,
    deps.keyring,
    who,
    {
      action: 'channel_account.delete',
      targetType: 'channel_account',
      targetId: id,
      before: { name: a.name, platform: a.platform, active: a.active, credentialKeys: Object.keys(a.credentials) },
      after: { deleted: true },
      detail: ctx ? { reason: payload.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: payload.reason },
    },
    now,
  );
  deps.cache.forget(id);
  return { id };
}
