// Adding a tracking source account: credentials checked by the source's adapter and encrypted, audited, with an event.
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { TrackingAccountDeps } from '../deps.ts';
import { checkApiBase, refuseCredentialProblems, type TrackingAccount, type TrackingAccountInput } from '../account-views.ts';
import { trackingAccount } from '../queries/tracking-account.ts';

export async function createTrackingAccount(deps: TrackingAccountDeps, who: Principal, input: TrackingAccountInput, now = Date.now()): Promise<TrackingAccount> {
  refuseCredentialProblems(input.source, input.credentials);
  const name = input.name.trim();
  if (!name) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  const apiBase = checkApiBase(input.apiBase);
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO tracking_accounts (id, tenant_id, source, name, credentials, api_base, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      [id, who.tenantId, input.source, name, deps.keyring.encrypt(JSON.stringify(input.credentials)), apiBase, now, now],
    );
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'tracking_account.create', targetType: 'tracking_account', targetId: id, after: { source: input.source, name, apiBase, credentialKeys: Object.keys(input.credentials) } },
      now,
    );
    await appendEvent(tx, { tenantId: who.tenantId, type: 'tracking_account.created', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id, source: input.source, name } });
  });
  deps.cache.forget(id);
  return (await trackingAccount(deps, id)) as TrackingAccount;
}
