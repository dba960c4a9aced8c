// Who a session cookie stands for, if it is still open and its user still active.
import { secretHash } from '../../../platform/security/secrets.ts';
import type { PeopleDeps } from '../deps.ts';
import { principalFor, type UserRow } from '../people-views.ts';

/** The principal behind a session cookie, with the CSRF hash to check state-changing requests against. */
export async function sessionPrincipal(deps: PeopleDeps, sessionSecret: string, from: { ip: string | null; userAgent: string | null }, now = Date.now()) {
  const s = await deps.db.read.get<{ id_hash: string; user_id: string; csrf_hash: string; expires_at: number; revoked_at: number | null }>(
    'SELECT id_hash, user_id, csrf_hash, expires_at, revoked_at FROM sessions WHERE id_hash = ?',
    [secretHash(sessionSecret)],
  );
  if (!s || s.revoked_at !== null || s.expires_at <= now) return null;
  const u = await deps.db.read.get<UserRow>('SELECT * FROM users WHERE id = ?', [s.user_id]);
  if (!u || u.active !== 1) return null;
  return { principal: await principalFor(deps, u, { kind: 'user', tokenId: null, sessionId: s.id_hash, ...from }), csrfHash: s.csrf_hash };
}
