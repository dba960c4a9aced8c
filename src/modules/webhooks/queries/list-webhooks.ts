// The tenant's webhook endpoints, without their secrets and with any credentials in their URLs hidden.
import type { Principal } from '../../../kernel/principal.ts';
import { hideUrlCredentials } from '../../../kernel/redact.ts';
import { toIso } from '../../../kernel/time.ts';
import type { WebhookDeps } from '../deps.ts';
import { tenantWide } from '../tenant-wide.ts';

export async function listWebhooks(deps: WebhookDeps, who: Principal) {
  tenantWide(who);
  const rows = await deps.db.read.all<{ id: string; url: string; event_types: string; active: number; created_at: number }>(
    'SELECT id, url, event_types, active, created_at FROM webhook_endpoints WHERE tenant_id = ? ORDER BY created_at',
    [who.tenantId],
  );
  return rows.map((r) => ({ id: r.id, url: hideUrlCredentials(r.url), events: JSON.parse(r.event_types) as string[], active: r.active === 1, createdAt: toIso(r.created_at) }));
}
