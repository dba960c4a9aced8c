// Registers an outbound webhook endpoint for the tenant's events; its signing secret is shown this once.
import { randomBytes } from 'node:crypto';
import { HubError } from '../../../kernel/errors.ts';
import { eventTypes, isEventType } from '../../../kernel/events.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { hideUrlCredentials } from '../../../kernel/redact.ts';
import { toIso } from '../../../kernel/time.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WebhookDeps } from '../deps.ts';
import { tenantWide } from '../tenant-wide.ts';

export async function createWebhook(deps: WebhookDeps, who: Principal, input: { url: string; secret?: string | undefined; events?: string[] | undefined }, now = Date.now()) {
  tenantWide(who);
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new HubError('VALIDATION_FAILED', 'url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubError('VALIDATION_FAILED', 'url must be http or https');
  const secret = input.secret ?? 'whsec_' + randomBytes(24).toString('base64url');
  const events = input.events?.length ? input.events : ['*'];
  // A type the hub never emits would be a subscription that silently never fires (a typo, a renamed event).
  const unknown = events.filter((e) => e !== '*' && !isEventType(e));
  if (unknown.length) {
    throw new HubError('VALIDATION_FAILED', `unknown event type${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; known: *, ${eventTypes.join(', ')}`, {
      unknown,
      known: ['*', ...eventTypes],
    });
  }
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, secret, event_types, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
      // The signing secret must be readable to sign with, so it is encrypted at rest rather than hashed.
      [id, who.tenantId, url.toString(), deps.keyring.encrypt(secret), JSON.stringify(events), now, now],
    );
    await appendAudit(tx, deps.keyring, who, { action: 'webhook.create', targetType: 'webhook', targetId: id, after: { url: hideUrlCredentials(url.toString()), events } }, now);
  });
  // The secret is shown once, at creation.
  return { id, url: url.toString(), events, secret, active: true, createdAt: toIso(now) };
}
