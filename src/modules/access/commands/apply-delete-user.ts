// Deletes a user inside the caller's transaction: asked for directly, or approved by a second person.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../audit.ts';
import type { ApprovalContext, PeopleDeps } from '../deps.ts';
import type { UserRow } from '../people-views.ts';

export async function applyDeleteUser(deps: PeopleDeps, tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
  const id = String(payload.userId);
  if (id === who.userId) throw new HubError('CONFLICT', 'you cannot delete yourself; ask another admin');
  const u = await tx.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [who.tenantId, id]);
  if (!u) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
  await tx.run('UPDATE users SET active = 0, deleted_at = ?, updated_at = ? WHERE id = ?', [now, now, id]);
  await tx.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
  const tokens = await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
  await appendAudit(
    tx,
    deps.keyring,
    who,
    {
      action: 'user.delete',
      targetType: 'user',
      targetId: id,
      before: { username: u.username, roles: JSON.parse(u.roles), scope: JSON.parse(u.scope), active: u.active === 1 },
      after: { deleted: true, tokensRevoked: tokens },
      detail: ctx ? { reason: payload.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: payload.reason },
    },
    now,
  );
  return { id };
}
