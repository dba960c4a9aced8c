// Reading the event log (outbox) and the raw-event store, for integrations and engineers: inside the caller's
// tenant; a received payload (which carries phones and addresses) only in full with pii.view, and audited.
import { HubError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/principal.ts';
import { eventScopeSql, toKysely } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import { rawEventFor } from '../channels/store/raw-events.ts';

export class EventService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
  ) {}

  async events(who: Principal, f: { after: number; limit: number; aggregateId?: string | undefined }) {
    // A scoped principal reads the events of the orders, shipments, cases and waves in its scope.
    let q = this.db.kysely.selectFrom('outbox').selectAll().where('tenant_id', '=', who.tenantId).where('id', '>', f.after).where(toKysely(eventScopeSql(who.scope, 'outbox')));
    if (f.aggregateId) q = q.where('aggregate_id', '=', f.aggregateId);
    const rows = await q.orderBy('id').limit(f.limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      type: r.type,
      aggregateType: r.aggregate_type,
      aggregateId: r.aggregate_id,
      createdAt: toIso(r.created_at),
      data: JSON.parse(r.payload) as unknown,
    }));
  }

  /**
   * One received payload. Its body is withheld unless `reveal` (needs pii.view; the caller audits the view):
   * a platform's payload is personal data through and through, and cannot be masked field by field.
   */
  async rawEvent(who: Principal, id: number, reveal: boolean) {
    if (reveal) requirePermission(who, 'pii.view');
    const r = await rawEventFor(this.db, who, id);
    if (!r) throw new HubError('RAW_EVENT_NOT_FOUND', `raw event ${id} does not exist`);
    return {
      id: Number(r.id),
      channel: r.channel,
      accountId: r.account_id,
      eventId: r.event_id,
      receivedAt: toIso(r.received_at),
      deliveries: r.deliveries,
      lastDeliveryAt: toIso(r.last_delivery_at),
      outcome: r.outcome,
      orderId: r.order_id,
      bodySha256: r.body_sha256,
      headers: JSON.parse(r.headers) as unknown,
      body: reveal ? this.keyring.decrypt(r.body) : null,
    };
  }
}
