// The roles of a tenant: the built-in ones, then its own, by name.
import { builtinRoles, type Permission, type RoleDefinition } from '../../../kernel/permissions.ts';
import type { PeopleDeps } from '../deps.ts';

export async function listRoles(deps: PeopleDeps, tenantId: string): Promise<RoleDefinition[]> {
  const custom = await deps.db.read.all<{ name: string; description: string; permissions: string }>(
    'SELECT name, description, permissions FROM roles WHERE tenant_id = ? ORDER BY name',
    [tenantId],
  );
  return [
    ...builtinRoles,
    ...custom.map((r) => ({ name: r.name, description: r.description, permissions: JSON.parse(r.permissions) as Permission[], builtin: false })),
  ];
}
