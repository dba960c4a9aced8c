// Deleting a WMS account that never reported anything; one whose pushes are on record is switched off instead.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WmsDeps } from '../deps.ts';
import { wmsAccountRowFor } from '../queries/wms-account.ts';
import { toWmsAccount } from '../wms/views.ts';

/**
 * Deletes an account that never reported anything. One whose pushes are on record is refused (switch it off
 * instead): its name is in the shipments' and orders' history, and its dictionary is what tells what each recorded
 * code meant, so it must stay readable.
 */
export async function deleteWmsAccount(deps: WmsDeps, who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
  const current = toWmsAccount(await wmsAccountRowFor(deps, who, id));
  await deps.db.transaction(async (tx) => {
    // The row first: a push being applied holds it (FOR SHARE), so the count below sees that push once it committed,
    // and a push that comes after sees the account deleted.
    const changed = await tx.run('UPDATE wms_accounts SET deleted_at = ?, active = 0, secret = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL', [now, deps.keyring.encrypt(''), now, id]);
    if (changed !== 1) throw new HubError('ACCOUNT_NOT_FOUND', `WMS account ${id} does not exist`);
    const used = await tx.get<{ c: number }>('SELECT COUNT(*) AS c FROM wms_pushes WHERE wms_account_id = ?', [id]);
    const n = Number(used?.c ?? 0);
    if (n > 0) throw new HubError('CONFLICT', `WMS account ${current.name} has ${n} recorded push(es) in the shipments' history: switch it off instead of deleting it`, { pushes: n });
    await appendAudit(tx, deps.keyring, who, { action: 'wms_account.delete', targetType: 'wms_account', targetId: id, before: { name: current.name, warehouse: current.warehouse, dictionary: current.dictionary }, after: { deleted: true } }, now);
    await appendEvent(tx, { tenantId: current.tenantId, type: 'wms_account.deleted', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id } });
  });
  deps.cache.forget(id);
  return { id, deleted: true };
}
