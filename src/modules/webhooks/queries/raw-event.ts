// One payload a platform sent, as the raw-event store kept it; its body only for a principal with pii.view.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { rawEventFor } from '../../channels/store/raw-events.ts';
import type { WebhookDeps } from '../deps.ts';

/**
 * One received payload. Its body is withheld unless `reveal` (needs pii.view; the caller audits the view):
 * a platform's payload is personal data through and through, and cannot be masked field by field.
 */
export async function rawEvent(deps: WebhookDeps, who: Principal, id: number, reveal: boolean) {
  if (reveal) requirePermission(who, 'pii.view');
  const r = await rawEventFor(deps.db, who, id);
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
    body: reveal ? deps.keyring.decrypt(r.body) : null,
  };
}
