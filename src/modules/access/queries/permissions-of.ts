// The permissions a set of roles gives, in the catalogue's order.
import { allPermissions, type Permission, type RoleDefinition } from '../../../kernel/permissions.ts';
import type { PeopleDeps } from '../deps.ts';
import { listRoles } from './list-roles.ts';

export async function permissionsOf(deps: PeopleDeps, tenantId: string, roleNames: readonly string[], known?: readonly RoleDefinition[]): Promise<Permission[]> {
  const all = known ?? (await listRoles(deps, tenantId));
  const out = new Set<Permission>();
  for (const n of roleNames) for (const p of all.find((r) => r.name === n)?.permissions ?? []) out.add(p);
  return allPermissions.filter((p) => out.has(p));
}
