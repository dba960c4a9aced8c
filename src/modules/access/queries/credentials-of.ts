// What sign-in checks a password against: the stored hash and lock state of a username.
import type { PeopleDeps } from '../deps.ts';
import type { UserRow } from '../people-views.ts';

/** For sign-in: the stored hash and lock state of a username (undefined when unknown). */
export async function credentialsOf(deps: PeopleDeps, tenantId: string, username: string) {
  return deps.db.read.get<Pick<UserRow, 'id' | 'password_hash' | 'active' | 'locked_until'>>(
    'SELECT id, password_hash, active, locked_until FROM users WHERE tenant_id = ? AND username = ?',
    [tenantId, username],
  );
}
