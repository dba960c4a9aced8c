// Asks to delete a user: at once, or as a request waiting for a second person's approval (the default policy).
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { MaybePending } from '../approval-view.ts';
import type { PeopleDeps } from '../deps.ts';
import { getUser } from '../queries/get-user.ts';
import { applyDeleteUser } from './apply-delete-user.ts';

/**
 * Deletes a user: sessions and API tokens end at once, the row stays (the audit log names it) and the username
 * stays taken. Needs a second person's approval under the default policy.
 */
export async function deleteUser(deps: PeopleDeps, who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
  const u = await getUser(deps, who.tenantId, id);
  if (u.id === who.userId) throw new HubError('CONFLICT', 'you cannot delete yourself; ask another admin');
  const payload = { userId: id, username: u.username, reason };
  if (deps.approvals.required('user.delete')) {
    const pending = await deps.db.transaction((tx) =>
      deps.approvals.open(tx, who, { kind: 'user.delete', targetType: 'user', targetId: id, summary: `delete user ${u.username} (${u.roles.join(', ')}): ${reason}`, payload }, now),
    );
    return { pending };
  }
  await deps.db.transaction((tx) => applyDeleteUser(deps, tx, who, payload, null, now));
  return { done: { id } };
}
