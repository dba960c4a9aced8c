// Changing a channel account: its name, on/off, and credentials field by field (secrets are write-only).
import { HubError } from '../../../kernel/errors.ts';
import { mergeCredentials } from '../../../platform/account-cache.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { AccountDeps } from '../deps.ts';
import { adapterFor } from '../connectors/registry.ts';
import type { ChannelAccount } from '../account-views.ts';
import { channelAccount, channelAccountFor } from '../queries/channel-account.ts';

export async function updateAccount(deps: AccountDeps, who: Principal, id: string, patch: { name?: string; credentials?: unknown; active?: boolean }, now = Date.now()): Promise<ChannelAccount> {
  const current = await channelAccountFor(deps, who, id);
  // Credentials change field by field (secrets are never shown, so a form sends only what was typed); null removes one.
  let credentials: Record<string, unknown> | undefined;
  if (patch.credentials !== undefined) {
    if (!patch.credentials || typeof patch.credentials !== 'object' || Array.isArray(patch.credentials)) {
      throw new HubError('VALIDATION_FAILED', 'credentials must be an object');
    }
    credentials = mergeCredentials(current.credentials, patch.credentials as Record<string, unknown>);
    const problems = (adapterFor(current.platform)?.credentialProblems(credentials)) ?? [];
    if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  }
  if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  await deps.db.transaction(async (tx) => {
    await tx.run(`UPDATE channel_accounts SET name = ?, credentials = ?, active = ?, updated_at = ? WHERE id = ?`, [
      patch.name?.trim() ?? current.name,
      deps.keyring.encrypt(JSON.stringify(credentials ?? current.credentials)),
      patch.active === undefined ? (current.active ? 1 : 0) : patch.active ? 1 : 0,
      now,
      id,
    ]);
    await appendEvent(tx, {
      tenantId: current.tenantId,
      type: 'channel_account.updated',
      aggregateType: 'channel_account',
      aggregateId: id,
      at: now,
      payload: { id, fields: Object.keys(patch) },
    });
    const view = (a: { name: string; active: boolean }) => ({ name: a.name, active: a.active });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'channel_account.update',
        targetType: 'channel_account',
        targetId: id,
        before: view(current),
        after: view({ name: patch.name?.trim() ?? current.name, active: patch.active ?? current.active }),
        detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials as object) } : undefined,
      },
      now,
    );
  });
  deps.cache.forget(id);
  return (await channelAccount(deps, id)) as ChannelAccount;
}
