// Changing a WMS account: name, dictionary, on/off, and its secret field by field (a replaced secret keeps signing a
// while), audited, with an event.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { mergeCredentials } from '../../../platform/account-cache.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WmsDeps } from '../deps.ts';
import { wmsAccountFor, wmsAccountRowFor } from '../queries/wms-account.ts';
import { dictionaryProblems, openSecrets, previousSecretValidMs, sealSecrets, secretProblems, toWmsAccount, type WmsAccount, type WmsAccountPatch, type WmsStep } from '../wms/views.ts';

/**
 * Name, dictionary (replaced whole, checked as on create), on/off, and the secret field by field. A replaced secret
 * keeps signing for `previousSecretValidMs`, so pushes the WMS sends before it switches are not refused.
 */
export async function updateWmsAccount(deps: WmsDeps, who: Principal, id: string, patch: WmsAccountPatch, now = Date.now()): Promise<WmsAccount> {
  const r = await wmsAccountRowFor(deps, who, id);
  const current = toWmsAccount(r);
  const problems: string[] = [];
  if (patch.name !== undefined && !patch.name.trim()) problems.push('name must not be empty');
  if (patch.dictionary !== undefined) problems.push(...dictionaryProblems(patch.dictionary));
  let secrets = openSecrets(deps.keyring, r);
  let rotated = false;
  if (patch.credentials !== undefined) {
    const merged = mergeCredentials({ secret: secrets.secret }, patch.credentials);
    const unknown = Object.keys(merged).filter((k) => k !== 'secret');
    if (unknown.length) problems.push(`credentials take only secret (not ${unknown.join(', ')})`);
    problems.push(...secretProblems(merged.secret));
    if (problems.length === 0 && merged.secret !== secrets.secret) {
      secrets = { secret: merged.secret as string, previousSecret: secrets.secret, previousSecretUntil: now + previousSecretValidMs };
      rotated = true;
    }
  }
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  const after = { name: patch.name?.trim() ?? current.name, active: patch.active ?? current.active, dictionary: (patch.dictionary as Record<string, WmsStep> | undefined) ?? current.dictionary };
  await deps.db.transaction(async (tx) => {
    await tx.run('UPDATE wms_accounts SET name = ?, dictionary = ?, active = ?, secret = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [
      after.name,
      JSON.stringify(after.dictionary),
      after.active ? 1 : 0,
      sealSecrets(deps.keyring, secrets),
      now,
      id,
    ]);
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'wms_account.update',
        targetType: 'wms_account',
        targetId: id,
        before: { name: current.name, active: current.active, dictionary: current.dictionary },
        after,
        detail: patch.credentials !== undefined ? { credentialsReplaced: Object.keys(patch.credentials), secretRotated: rotated } : undefined,
      },
      now,
    );
    await appendEvent(tx, { tenantId: current.tenantId, type: 'wms_account.updated', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id, fields: Object.keys(patch) } });
  });
  deps.cache.forget(id);
  return wmsAccountFor(deps, who, id);
}
