// Ends the caller's session (a token-authenticated caller has none to end).
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

export async function signOut(deps: PeopleDeps, who: Principal, now = Date.now()): Promise<void> {
  if (!who.sessionId) return;
  await deps.db.transaction(async (tx) => {
    await tx.run('UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL', [now, who.sessionId]);
    await appendAudit(tx, deps.keyring, who, { action: 'auth.sign_out', targetType: 'user', targetId: who.userId }, now);
  });
}
