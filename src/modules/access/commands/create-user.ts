// Creates a user with roles and a data scope; the password arrives already hashed (argon2 runs where the request is).
import { isCode } from '../../../kernel/codes.ts';
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';
import type { UserView } from '../people-views.ts';
import { getUser } from '../queries/get-user.ts';
import { checkRoles, scopeToSave } from '../user-rules.ts';

export async function createUser(
  deps: PeopleDeps,
  who: Principal,
  input: { username: string; displayName?: string; passwordHash: string; roles: string[]; scope?: unknown },
  now = Date.now(),
): Promise<UserView> {
  const username = input.username.trim();
  // The same patterns as the edge's (kernel/codes.ts): the CLI and the demo create users without passing it.
  if (!isCode('username', username)) throw new HubError('VALIDATION_FAILED', 'username must be 2–64 letters, digits, . _ @ or -');
  const roles = [...new Set(input.roles)];
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    const scope = await scopeToSave(tx, who, input.scope);
    await checkRoles(tx, who.tenantId, roles);
    const taken = await tx.get('SELECT id FROM users WHERE tenant_id = ? AND username = ?', [who.tenantId, username]);
    if (taken) throw new HubError('CONFLICT', `username ${username} is taken`);
    await tx.run(
      `INSERT INTO users (id, tenant_id, username, display_name, password_hash, roles, scope, active, failed_attempts, password_changed_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?, ?)`,
      [id, who.tenantId, username, input.displayName?.trim() || username, input.passwordHash, JSON.stringify(roles), JSON.stringify(scope), now, now, now],
    );
    await appendAudit(tx, deps.keyring, who, { action: 'user.create', targetType: 'user', targetId: id, after: { username, roles, scope } }, now);
  });
  return getUser(deps, who.tenantId, id);
}
