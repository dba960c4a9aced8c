// The tenant's API tokens (or one user's), oldest first; never their secrets, which the hub does not keep.
import { toIso } from '../../../kernel/time.ts';
import type { PeopleDeps } from '../deps.ts';
import type { TokenView } from '../people-views.ts';

export async function listTokens(deps: PeopleDeps, tenantId: string, userId?: string): Promise<TokenView[]> {
  const rows = await deps.db.read.all<{
    id: string;
    name: string;
    user_id: string;
    created_by: string;
    created_at: number;
    expires_at: number | null;
    last_used_at: number | null;
    revoked_at: number | null;
  }>(
    `SELECT id, name, user_id, created_by, created_at, expires_at, last_used_at, revoked_at FROM api_tokens
     WHERE tenant_id = ?${userId ? ' AND user_id = ?' : ''} ORDER BY created_at`,
    userId ? [tenantId, userId] : [tenantId],
  );
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    userId: t.user_id,
    createdBy: t.created_by,
    createdAt: toIso(t.created_at),
    expiresAt: toIso(t.expires_at),
    lastUsedAt: toIso(t.last_used_at),
    revoked: t.revoked_at !== null,
  }));
}
