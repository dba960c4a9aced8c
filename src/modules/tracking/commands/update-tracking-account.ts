// Changing a tracking source account: name, API base, on/off, and credentials field by field (secrets are write-only).
import { HubError } from '../../../kernel/errors.ts';
import { mergeCredentials } from '../../../platform/account-cache.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { TrackingAccountDeps } from '../deps.ts';
import { checkApiBase, refuseCredentialProblems, type TrackingAccount, type TrackingAccountPatch } from '../account-views.ts';
import { trackingAccount, trackingAccountFor } from '../queries/tracking-account.ts';

export async function updateTrackingAccount(deps: TrackingAccountDeps, who: Principal, id: string, patch: TrackingAccountPatch, now = Date.now()): Promise<TrackingAccount> {
  const current = await trackingAccountFor(deps, who, id);
  let credentials = current.credentials;
  if (patch.credentials !== undefined) {
    // Field by field: secrets are never shown, so a form sends only what was typed; null removes a field.
    credentials = mergeCredentials(current.credentials, patch.credentials);
    refuseCredentialProblems(current.source, credentials);
  }
  if (patch.name !== undefined && !patch.name.trim()) throw new HubError('VALIDATION_FAILED', 'name must not be empty');
  const after = {
    name: patch.name?.trim() ?? current.name,
    active: patch.active ?? current.active,
    apiBase: patch.apiBase === undefined ? current.apiBase : checkApiBase(patch.apiBase),
  };
  await deps.db.transaction(async (tx) => {
    await tx.run('UPDATE tracking_accounts SET name = ?, credentials = ?, api_base = ?, active = ?, updated_at = ? WHERE id = ?', [
      after.name,
      deps.keyring.encrypt(JSON.stringify(credentials)),
      after.apiBase,
      after.active ? 1 : 0,
      now,
      id,
    ]);
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'tracking_account.update',
        targetType: 'tracking_account',
        targetId: id,
        before: { name: current.name, active: current.active, apiBase: current.apiBase },
        after,
        detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials) } : undefined,
      },
      now,
    );
    await appendEvent(tx, { tenantId: current.tenantId, type: 'tracking_account.updated', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id, fields: Object.keys(patch) } });
  });
  deps.cache.forget(id);
  return (await trackingAccount(deps, id)) as TrackingAccount;
}
