// Changes a user's name, roles, scope, password or whether it is active; taking access away ends its sessions.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';
import type { UserRow, UserView } from '../people-views.ts';
import { getUser } from '../queries/get-user.ts';
import { checkRoles, scopeToSave } from '../user-rules.ts';

export async function updateUser(
  deps: PeopleDeps,
  who: Principal,
  id: string,
  patch: { displayName?: string; roles?: string[]; scope?: unknown; active?: boolean; passwordHash?: string },
  now = Date.now(),
): Promise<UserView> {
  await deps.db.transaction(async (tx) => {
    const u = await tx.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [who.tenantId, id]);
    if (!u) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
    if (patch.roles) await checkRoles(tx, who.tenantId, patch.roles);
    if (u.id === who.userId && (patch.active === false || (patch.roles && !patch.roles.includes('admin') && JSON.parse(u.roles).includes('admin')))) {
      throw new HubError('CONFLICT', 'you cannot deactivate yourself or take away your own admin role; ask another admin');
    }
    const next = {
      display_name: patch.displayName?.trim() || u.display_name,
      roles: patch.roles ? JSON.stringify([...new Set(patch.roles)]) : u.roles,
      scope: patch.scope !== undefined ? JSON.stringify(await scopeToSave(tx, who, patch.scope)) : u.scope,
      active: patch.active === undefined ? u.active : patch.active ? 1 : 0,
    };
    await tx.run(
      `UPDATE users SET display_name = ?, roles = ?, scope = ?, active = ?, password_hash = ?, password_changed_at = ?,
         failed_attempts = CASE WHEN ? THEN 0 ELSE failed_attempts END, locked_until = CASE WHEN ? THEN NULL ELSE locked_until END, updated_at = ?
       WHERE id = ?`,
      [
        next.display_name,
        next.roles,
        next.scope,
        next.active,
        patch.passwordHash ?? u.password_hash,
        patch.passwordHash ? now : u.password_changed_at,
        patch.passwordHash ? 1 : 0,
        patch.passwordHash ? 1 : 0,
        now,
        id,
      ],
    );
    // Taking access away ends the user's sessions at once.
    if (patch.active === false || patch.passwordHash || patch.roles || patch.scope !== undefined) {
      await tx.run('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', [now, id]);
    }
    const before = { displayName: u.display_name, roles: JSON.parse(u.roles), scope: JSON.parse(u.scope), active: u.active === 1 };
    const after = { displayName: next.display_name, roles: JSON.parse(next.roles), scope: JSON.parse(next.scope), active: next.active === 1 };
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'user.update', targetType: 'user', targetId: id, before, after, detail: patch.passwordHash ? { passwordChanged: true } : undefined },
      now,
    );
  });
  return getUser(deps, who.tenantId, id);
}
