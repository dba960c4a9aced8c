// Who an API token stands for, or why it is refused.
import type { Principal } from '../../../kernel/principal.ts';
import { secretHash } from '../../../platform/security/secrets.ts';
import type { PeopleDeps } from '../deps.ts';
import { principalFor, type UserRow } from '../people-views.ts';

/** The principal behind an API token, or why it is refused (unknown, revoked, expired, or its user inactive). */
export async function tokenPrincipal(
  deps: PeopleDeps,
  token: string,
  from: { ip: string | null; userAgent: string | null },
  now = Date.now(),
): Promise<{ principal: Principal; lastUsedAt: number | null } | { refused: 'unknown' | 'revoked' | 'expired' | 'user_inactive'; tokenId: string | null; tenantId: string | null }> {
  const t = await deps.db.read.get<{ id: string; tenant_id: string; user_id: string; expires_at: number | null; revoked_at: number | null; last_used_at: number | null }>(
    'SELECT id, tenant_id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = ?',
    [secretHash(token)],
  );
  if (!t) return { refused: 'unknown', tokenId: null, tenantId: null };
  const refused = (why: 'revoked' | 'expired' | 'user_inactive') => ({ refused: why, tokenId: t.id, tenantId: t.tenant_id });
  if (t.revoked_at !== null) return refused('revoked');
  if (t.expires_at !== null && t.expires_at <= now) return refused('expired');
  const u = await deps.db.read.get<UserRow>('SELECT * FROM users WHERE id = ?', [t.user_id]);
  if (!u || u.active !== 1) return refused('user_inactive');
  return {
    principal: await principalFor(deps, u, { kind: 'token', tokenId: t.id, sessionId: null, ...from }),
    lastUsedAt: t.last_used_at,
  };
}
