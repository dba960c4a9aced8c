// Issues an API token for a user of the tenant.
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { newSecret, secretHash } from '../../../platform/security/secrets.ts';
import { appendAudit } from '../audit.ts';
import type { PeopleDeps } from '../deps.ts';
import type { TokenView } from '../people-views.ts';
import { listTokens } from '../queries/list-tokens.ts';

/** A new API token for a user; the secret is returned once and only its hash is kept. */
export async function createToken(
  deps: PeopleDeps,
  who: Principal,
  input: { name: string; userId: string; expiresAt?: number | null },
  now = Date.now(),
): Promise<TokenView & { token: string }> {
  const name = input.name.trim();
  if (!name) throw new HubError('VALIDATION_FAILED', 'a token needs a name (what it is for)');
  if (input.expiresAt !== undefined && input.expiresAt !== null && input.expiresAt <= now) {
    throw new HubError('VALIDATION_FAILED', 'expiresAt must be in the future');
  }
  const token = newSecret('oht');
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    // A deleted user is gone for every purpose: no new token stands for them (it would only ever be refused).
    const u = await tx.get<{ id: string }>('SELECT id FROM users WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL', [who.tenantId, input.userId]);
    if (!u) throw new HubError('USER_NOT_FOUND', `user ${input.userId} does not exist`);
    await tx.run(
      `INSERT INTO api_tokens (id, tenant_id, user_id, name, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, who.tenantId, input.userId, name, secretHash(token), who.name, now, input.expiresAt ?? null],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'token.create', targetType: 'api_token', targetId: id, after: { name, userId: input.userId, expiresAt: toIso(input.expiresAt ?? null) } },
      now,
    );
  });
  const view = (await listTokens(deps, who.tenantId)).find((t) => t.id === id) as TokenView;
  return { ...view, token };
}
