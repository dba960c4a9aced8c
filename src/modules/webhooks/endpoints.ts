// Registered outbound webhook endpoints, and what was delivered to them.
import { randomBytes } from 'node:crypto';
import { HubError } from '../../kernel/errors.ts';
import { toIso } from '../../kernel/time.ts';
import type { Database } from '../../platform/db/database.ts';
import { newId } from '../../kernel/ids.ts';
import { appendAudit } from '../access/audit.ts';
import type { Principal } from '../../kernel/principal.ts';
import { isUnlimited } from '../../kernel/scope.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { hideUrlCredentials } from '../../kernel/redact.ts';
import { eventTypes, isEventType } from '../../kernel/events.ts';

/**
 * An endpoint receives every event of the tenant, whatever shop, province or warehouse it is about: registering,
 * listing, removing one or reading its deliveries needs an unlimited data scope.
 */
function tenantWide(who: Principal): void {
  if (!isUnlimited(who.scope)) {
    throw new HubError('FORBIDDEN', `webhooks carry every event of the organisation; ${who.name} has a limited data scope`, { scope: who.scope });
  }
}

export class WebhookEndpointService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
  ) {}

  async create(who: Principal, input: { url: string; secret?: string | undefined; events?: string[] | undefined }, now = Date.now()) {
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
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO webhook_endpoints (id, tenant_id, url, secret, event_types, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
        // The signing secret must be readable to sign with, so it is encrypted at rest rather than hashed.
        [id, who.tenantId, url.toString(), this.keyring.encrypt(secret), JSON.stringify(events), now, now],
      );
      await appendAudit(tx, this.keyring, who, { action: 'webhook.create', targetType: 'webhook', targetId: id, after: { url: hideUrlCredentials(url.toString()), events } }, now);
    });
    // The secret is shown once, at creation.
    return { id, url: url.toString(), events, secret, active: true, createdAt: toIso(now) };
  }

  async list(who: Principal) {
    tenantWide(who);
    const rows = await this.db.read.all<{ id: string; url: string; event_types: string; active: number; created_at: number }>(
      'SELECT id, url, event_types, active, created_at FROM webhook_endpoints WHERE tenant_id = ? ORDER BY created_at',
      [who.tenantId],
    );
    return rows.map((r) => ({ id: r.id, url: hideUrlCredentials(r.url), events: JSON.parse(r.event_types) as string[], active: r.active === 1, createdAt: toIso(r.created_at) }));
  }

  async remove(who: Principal, id: string, now = Date.now()): Promise<void> {
    tenantWide(who);
    const n = await this.db.transaction(async (tx) => {
      const changed = await tx.run('UPDATE webhook_endpoints SET active = 0, updated_at = ? WHERE id = ? AND tenant_id = ? AND active = 1', [
        now,
        id,
        who.tenantId,
      ]);
      if (changed === 1) await appendAudit(tx, this.keyring, who, { action: 'webhook.remove', targetType: 'webhook', targetId: id }, now);
      await tx.run(`UPDATE webhook_deliveries SET state = 'cancelled', updated_at = ? WHERE endpoint_id = ? AND state = 'pending'`, [now, id]);
      return changed;
    });
    if (n !== 1) throw new HubError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
  }

  async deliveries(who: Principal, id: string, limit: number) {
    tenantWide(who);
    const ep = await this.db.read.get('SELECT id FROM webhook_endpoints WHERE id = ? AND tenant_id = ?', [id, who.tenantId]);
    if (!ep) throw new HubError('WEBHOOK_NOT_FOUND', `webhook ${id} does not exist`);
    const rows = await this.db.read.all<{
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
}
