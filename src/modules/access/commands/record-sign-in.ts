// Records a sign-in attempt: a failure counts towards the lockout, a success opens a session.
import type { Principal } from '../../../kernel/principal.ts';
import { newSecret, secretHash } from '../../../platform/security/secrets.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';

/** Records a sign-in attempt whose password was already checked; a success opens a session. */
export async function recordSignIn(
  deps: PeopleDeps,
  who: Principal,
  input: { username: string; userId: string | null; ok: boolean; reason?: string },
  now = Date.now(),
): Promise<{ session: string; csrf: string; expiresAt: number } | null> {
  return deps.db.transaction(async (tx) => {
    if (!input.ok || !input.userId) {
      if (input.userId) {
        await tx.run(
          `UPDATE users SET failed_attempts = failed_attempts + 1,
             locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END WHERE id = ?`,
          [deps.settings.lockoutThreshold, now + deps.settings.lockoutMinutes * 60_000, input.userId],
        );
      }
      await appendAudit(
        tx,
        deps.keyring,
        who,
        { action: 'auth.sign_in_failed', targetType: 'user', targetId: input.userId, detail: { username: input.username, reason: input.reason ?? 'wrong password' } },
        now,
      );
      return null;
    }
    const session = newSecret('ohs');
    const csrf = deps.keyring.csrfFor(session);
    const expiresAt = now + deps.settings.sessionHours * 3_600_000;
    await tx.run('UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in_at = ? WHERE id = ?', [now, input.userId]);
    await tx.run(
      `INSERT INTO sessions (id_hash, tenant_id, user_id, csrf_hash, ip, user_agent, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [secretHash(session), who.tenantId, input.userId, secretHash(csrf), who.ip, who.userAgent?.slice(0, 300) ?? null, now, expiresAt],
    );
    await appendAudit(
      tx,
      deps.keyring,
      { ...who, userId: input.userId, name: input.username, kind: 'user' },
      { action: 'auth.sign_in', targetType: 'user', targetId: input.userId },
      now,
    );
    return { session, csrf, expiresAt };
  });
}
