// One user of the tenant; a deleted one answers like one that does not exist.
import { HubError } from '../../../kernel/errors.ts';
import type { PeopleDeps } from '../deps.ts';
import { userView, type UserRow, type UserView } from '../people-views.ts';

export async function getUser(deps: PeopleDeps, tenantId: string, id: string): Promise<UserView> {
  const r = await deps.db.read.get<UserRow>('SELECT * FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [tenantId, id]);
  if (!r) throw new HubError('USER_NOT_FOUND', `user ${id} does not exist`);
  return userView(deps, r);
}
