// Deleting a tracking source account: switched off and marked deleted (the row stays), audited, with an event.
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { TrackingAccountDeps } from '../deps.ts';
import { trackingAccountFor } from '../queries/tracking-account.ts';

export async function deleteTrackingAccount(deps: TrackingAccountDeps, who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
  const current = await trackingAccountFor(deps, who, id);
  await deps.db.transaction(async (tx) => {
    await tx.run('UPDATE tracking_accounts SET deleted_at = ?, active = 0, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [now, now, id]);
    await appendAudit(tx, deps.keyring, who, { action: 'tracking_account.delete', targetType: 'tracking_account', targetId: id, before: { source: current.source, name: current.name } }, now);
    await appendEvent(tx, { tenantId: current.tenantId, type: 'tracking_account.deleted', aggregateType: 'tracking_account', aggregateId: id, at: now, payload: { id } });
  });
  deps.cache.forget(id);
  return { id, deleted: true };
}
