// The tenant's users (deleted ones left out), by username.
import type { PeopleDeps } from '../deps.ts';
import { userView, type UserRow, type UserView } from '../people-views.ts';
import { listRoles } from './list-roles.ts';

export async function listUsers(deps: PeopleDeps, tenantId: string): Promise<UserView[]> {
  const rows = await deps.db.read.all<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY username', [tenantId]);
  // The tenant's roles once, not once per user.
  const known = await listRoles(deps, tenantId);
  return Promise.all(rows.map((r) => userView(deps, r, known)));
}
