// Adding a channel account (a shop): a platform the hub supports, credentials its adapter accepts (encrypted at rest).
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { AccountDeps } from '../deps.ts';
import { adapterFor, channelAdapters } from '../connectors/registry.ts';
import type { ChannelAccount } from '../account-views.ts';
import { channelAccount } from '../queries/channel-account.ts';

export async function createAccount(deps: AccountDeps, who: Principal, input: { platform: string; name: string; credentials: unknown }, now = Date.now()): Promise<ChannelAccount> {
  const adapter = adapterFor(input.platform);
  if (!adapter) {
    throw new HubError('PLATFORM_NOT_SUPPORTED', `platform "${input.platform}" is not supported yet`, {
      supported: Object.keys(channelAdapters),
    });
  }
  const problems = adapter.credentialProblems(input.credentials);
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  const name = input.name.trim();
  if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO channel_accounts (id, tenant_id, platform, name, credentials, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
      [id, who.tenantId, input.platform, name, deps.keyring.encrypt(JSON.stringify(input.credentials)), now, now],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'channel_account.create', targetType: 'channel_account', targetId: id, after: { platform: input.platform, name, credentialKeys: Object.keys(input.credentials as object) } },
      now,
    );
    await appendEvent(tx, {
      tenantId: who.tenantId,
      type: 'channel_account.created',
      aggregateType: 'channel_account',
      aggregateId: id,
      at: now,
      payload: { id, platform: input.platform, name },
    });
  });
  deps.cache.forget(id);
  return (await channelAccount(deps, id)) as ChannelAccount;
}
