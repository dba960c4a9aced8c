// One order of a delivery: created, moved along, or left alone as a duplicate or a stale update.
import type { Tx } from '../../../platform/db/database.ts';
import type { NormalizedOrder } from '../domain/order.ts';
import type { Cause } from '../lifecycle.ts';
import { createOrder } from './create-order.ts';
import { sealOrder, type Delivery, type OrderResult, type SealedOrder } from './delivery.ts';
import type { IngestDeps } from './deps.ts';
import { findOrder, orderResult } from './stored-order.ts';
import { updateOrder } from './update-order.ts';
import { confirmShipBacks } from '../../channels/store/outbound.ts';

export async function applyOrder(
  deps: IngestDeps,
  tx: Tx,
  d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
  n: NormalizedOrder,
  sealedOrder: SealedOrder | undefined,
  rawEventId: number,
  causeText: string,
  replay: boolean,
): Promise<OrderResult> {
  const sealed = sealedOrder ?? sealOrder(deps.keyring, n);
  const cause: Cause = {
    source: 'platform',
    cause: causeText,
    at: d.receivedAt,
    sourceTime: n.sourceUpdatedAt,
    rawEventId,
    cancelCause: 'platform',
  };
  const existing = await findOrder(tx, d.accountId, n.platformOrderId);
  if (!existing) return createOrder(deps, tx, d, n, sealed, cause);
  // The ship-back's closed loop: the platform showing our tracking number confirms it, whatever else this delivery
  // says (even a stale or repeated one still shows what the platform holds).
  if (n.platformTrackingNos?.length) await confirmShipBacks(tx, { orderId: existing.id, trackingNos: n.platformTrackingNos, at: d.receivedAt });
  // The stale guard: what the order already reflects is never overwritten by an older or equal source time.
  if (n.sourceUpdatedAt < existing.source_updated_at) {
    return orderResult(existing, 'stale', `source time ${new Date(n.sourceUpdatedAt).toISOString()} is older than the order's`);
  }
  if (n.sourceUpdatedAt === existing.source_updated_at && !replay) return orderResult(existing, 'duplicate');
  return updateOrder(deps, tx, d, existing, n, sealed, cause);
}
