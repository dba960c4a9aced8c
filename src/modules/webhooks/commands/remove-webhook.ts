// Removes a webhook endpoint: it stops receiving, and the deliveries still waiting for it are cancelled.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WebhookDeps } from '../deps.ts';
import { tenantWide } from '../tenant-wide.ts';

export async function removeWebhook(deps: WebhookDeps, who: Principal, id: string, now = Date.now()): Promise<void> {
  tenantWide(who);
  const n = await deps.db.transaction(async (tx) => {
    const changed = await tx.run('UPDATE webhook_endpoints SET active = 0, updated_at = ? WHERE id = ? AND tenant_id = ? AND active = 1', [
      now,
      id,
      who.tenantId,
    ]);
    if (changed === 1) await appendAudit(tx, deps.keyring, who, { action: 'webhook.remove', targetType: 'webhook', targetId: id }, now);
    await tx.run(`UPDATE webhook_deliveries SET state = 'cancelled', updated_at = ? WHERE endpoint_id = ? AND state = 'pending'`, [now, id]);
    return changed;
  });
  if (n !== 1) throw new HubError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
}
