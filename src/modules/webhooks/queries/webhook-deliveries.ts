// What was delivered to one webhook endpoint, newest first: state, attempts and the endpoint's last answer.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { WebhookDeps } from '../deps.ts';
import { tenantWide } from '../tenant-wide.ts';

export async function webhookDeliveries(deps: WebhookDeps, who: Principal, id: string, limit: number) {
  tenantWide(who);
  const ep = await deps.db.read.get('SELECT id FROM webhook_endpoints WHERE id = ? AND tenant_id = ?', [id, who.tenantId]);
  if (!ep) throw new HubError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
  const rows = await deps.db.read.all<{
    id: number;
    event_id: number;
    event_type: string;
    state: string;
    attempts: number;
    next_attempt_at: number;
    last_status: number | null;
    last_error: string | null;
    updated_at: number;
  }>(
    `SELECT id, event_id, event_type, state, attempts, next_attempt_at, last_status, last_error, updated_at
     FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT ?`,
    [id, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    eventId: `evt_${r.event_id}`,
    eventType: r.event_type,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.state === 'pending' ? toIso(r.next_attempt_at) : null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    updatedAt: toIso(r.updated_at),
  }));
}
