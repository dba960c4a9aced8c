// Deletes one of the tenant's own roles, once no user holds it.
import { HubError } from '../../../kernel/errors.ts';
import { builtinRole } from '../../../kernel/permissions.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

export async function deleteRole(deps: PeopleDeps, who: Principal, name: string, now = Date.now()): Promise<void> {
  if (builtinRole(name)) throw new HubError('CONFLICT', `${name} is a built-in role and cannot be deleted`);
  await deps.db.transaction(async (tx) => {
    const old = await tx.get<{ permissions: string }>('SELECT permissions FROM roles WHERE tenant_id = ? AND name = ?', [who.tenantId, name]);
    if (!old) throw new HubError('ROLE_NOT_FOUND', `role ${name} does not exist`);
    const users = await tx.all<{ username: string; roles: string }>('SELECT username, roles FROM users WHERE tenant_id = ?', [who.tenantId]);
    const holders = users.filter((u) => (JSON.parse(u.roles) as string[]).includes(name)).map((u) => u.username);
    if (holders.length) throw new HubError('CONFLICT', `role ${name} is still given to: ${holders.join(', ')}`, { holders });
    await tx.run('DELETE FROM roles WHERE tenant_id = ? AND name = ?', [who.tenantId, name]);
    await appendAudit(tx, deps.keyring, who, { action: 'role.delete', targetType: 'role', targetId: name, before: { permissions: JSON.parse(old.permissions) } }, now);
  });
}
