// Acknowledging a channel alert: once, audited (acknowledging it again answers when it was).
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { acknowledge, alertFor } from '../../health/alerts.ts';
import { appendAudit } from '../../access/audit.ts';
import type { IntegrationDeps } from '../deps.ts';

export async function acknowledgeAlert(deps: IntegrationDeps, who: Principal, id: number, now = Date.now()): Promise<{ id: number; acknowledgedAt: string | null }> {
  requirePermission(who, 'accounts.manage');
  return deps.db.transaction(async (tx) => {
    const a = await alertFor(tx, who, id);
    if (!a) throw new HubError('ALERT_NOT_FOUND', `alert ${id} does not exist`);
    if (a.acknowledged_at === null) {
      await acknowledge(tx, id, who.name, now);
      await appendAudit(tx, deps.keyring, who, { action: 'channel_alert.acknowledge', targetType: 'channel_account', targetId: a.account_id, detail: { alert: id, kind: a.kind, key: a.alert_key } }, now);
    }
    return { id, acknowledgedAt: toIso(a.acknowledged_at ?? now) };
  });
}
