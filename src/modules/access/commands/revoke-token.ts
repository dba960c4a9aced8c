// Revokes an API token of the tenant; revoking one already revoked changes nothing.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

export async function revokeToken(deps: PeopleDeps, who: Principal, id: string, now = Date.now()): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const t = await tx.get<{ id: string; revoked_at: number | null }>('SELECT id, revoked_at FROM api_tokens WHERE tenant_id = ? AND id = ?', [who.tenantId, id]);
    if (!t) throw new HubError('TOKEN_NOT_FOUND', `API token ${id} does not exist`);
    if (t.revoked_at !== null) return;
    await tx.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ?', [now, id]);
    await appendAudit(tx, deps.keyring, who, { action: 'token.revoke', targetType: 'api_token', targetId: id }, now);
  });
}
