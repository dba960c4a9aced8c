// Creates or changes one of the tenant's own roles (the built-in ones cannot be changed).
import { isCode } from '../../../kernel/codes.ts';
import { HubError } from '../../../kernel/errors.ts';
import { allPermissions, builtinRole, isPermission, type RoleDefinition } from '../../../kernel/permissions.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

export async function saveRole(deps: PeopleDeps, who: Principal, input: { name: string; description?: string; permissions: string[] }, now = Date.now()): Promise<RoleDefinition> {
  if (!isCode('role', input.name)) throw new HubError('VALIDATION_FAILED', 'a role name is 2–40 lowercase letters, digits or _, starting with a letter');
  if (builtinRole(input.name)) throw new HubError('CONFLICT', `${input.name} is a built-in role and cannot be changed`);
  const unknown = input.permissions.filter((p) => !isPermission(p));
  if (unknown.length) throw new HubError('VALIDATION_FAILED', `unknown permissions: ${unknown.join(', ')}`, { unknown, known: allPermissions });
  const perms = allPermissions.filter((p) => input.permissions.includes(p));
  await deps.db.transaction(async (tx) => {
    const old = await tx.get<{ permissions: string; description: string }>('SELECT permissions, description FROM roles WHERE tenant_id = ? AND name = ?', [
      who.tenantId,
      input.name,
    ]);
    await tx.run(
      `INSERT INTO roles (tenant_id, name, description, permissions, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, name) DO UPDATE SET description = excluded.description, permissions = excluded.permissions, updated_at = excluded.updated_at`,
      [who.tenantId, input.name, input.description ?? '', JSON.stringify(perms), now, now],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: old ? 'role.update' : 'role.create',
        targetType: 'role',
        targetId: input.name,
        before: old ? { description: old.description, permissions: JSON.parse(old.permissions) } : undefined,
        after: { description: input.description ?? '', permissions: perms },
      },
      now,
    );
  });
  return { name: input.name, description: input.description ?? '', permissions: perms, builtin: false };
}
