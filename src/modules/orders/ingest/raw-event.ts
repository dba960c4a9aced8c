// A delivery kept as it came (its raw event), a redelivery answered without doing anything twice, a stored one replayed.
import { HubError } from '../../../kernel/errors.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { insertRawEvent, rawEventDeliveredAgain, recordRawOutcome } from '../../channels/store/raw-events.ts';
import { applyOrder } from './apply-order.ts';
import { sealDelivery, type Delivery, type DeliveryResult, type OrderResult, type Replay } from './delivery.ts';
import type { IngestDeps } from './deps.ts';
import { orderResult, readOrder } from './stored-order.ts';

/** Applies one verified delivery inside the caller's transaction. */
export async function applyDelivery(deps: IngestDeps, tx: Tx, d: Delivery): Promise<DeliveryResult> {
  await deps.skus.checkCache(tx);
  const sealed = d.sealed ?? sealDelivery(deps.keyring, d);
  const bodySha = sealed.bodySha256;
  const inserted = await insertRawEvent(tx, {
    tenantId: d.tenantId,
    channel: d.channel,
    accountId: d.accountId,
    eventId: d.eventId,
    receivedAt: d.receivedAt,
    headers: d.headers,
    body: sealed.body,
    bodySha256: bodySha,
    via: d.via ?? 'push',
  });
  if (inserted === undefined) return redelivery(tx, d, bodySha);

  const rawEventId = inserted;
  const results: OrderResult[] = [];
  const cause = `${d.channel} ${d.via ?? 'push'} ${d.eventId}`;
  for (const [i, n] of d.orders.entries()) results.push(await applyOrder(deps, tx, d, n, sealed.orders[i], rawEventId, cause, false));
  // A delivery that carries no order (a refund notice, a topic not taken yet) is kept as it came.
  const outcome = results.length === 1 ? (results[0] as OrderResult).outcome : results.length === 0 ? 'no_order' : 'batch';
  await recordRawOutcome(tx, rawEventId, {
    outcome,
    orderId: results[0]?.orderId ?? null,
    detail: results.some((r) => r.detail) ? JSON.stringify(results.map((r) => r.detail ?? null)) : null,
  });
  return { rawEventId, duplicateDelivery: false, orders: results };
}

async function redelivery(tx: Tx, d: Delivery, bodySha: string): Promise<DeliveryResult> {
  const prior = await rawEventDeliveredAgain(tx, d.accountId, d.eventId, d.receivedAt);
  if (!prior) throw new Error('raw event vanished during redelivery');
  // A different body under the same event id is refused (and its count rolls back with this item).
  if (prior.body_sha256 !== bodySha) {
    throw new HubError('CONFLICT', `event id ${d.eventId} was already delivered with a different body`, { rawEventId: prior.id });
  }
  const orders: OrderResult[] = [];
  for (const n of d.orders) {
    const o = await readOrder(tx, d.accountId, n.platformOrderId);
    if (o) orders.push(orderResult(o, 'duplicate'));
  }
  return { rawEventId: prior.id, duplicateDelivery: true, orders };
}

/** Applies a stored raw event's orders again (after a mapping fix), and records the new outcome on the event. */
export async function replayRawEvent(deps: IngestDeps, tx: Tx, r: Replay): Promise<OrderResult[]> {
  await deps.skus.checkCache(tx);
  const d = { tenantId: r.tenantId, accountId: r.accountId, channel: r.channel, receivedAt: r.at };
  const results: OrderResult[] = [];
  for (const n of r.orders) results.push(await applyOrder(deps, tx, d, n, undefined, r.rawEventId, `replay of raw event ${r.rawEventId} by ${r.by}`, true));
  const outcome = results.length === 1 ? (results[0] as OrderResult).outcome : results.length === 0 ? 'no_order' : 'batch';
  await recordRawOutcome(tx, r.rawEventId, {
    outcome,
    orderId: results[0]?.orderId ?? null,
    detail: results.some((x) => x.detail) ? JSON.stringify(results.map((x) => x.detail ?? null)) : null,
    keepOrder: true,
  });
  return results;
}
