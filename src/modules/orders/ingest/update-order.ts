// An order the hub already has, reported again by its platform: amounts, buyer and receiver, status and holds follow.
import type { Tx } from '../../../platform/db/database.ts';
import type { NormalizedOrder } from '../domain/order.ts';
import { applyPlatformHold, type Cause } from '../lifecycle.ts';
import type { Delivery, OrderResult, SealedOrder } from './delivery.ts';
import type { IngestDeps } from './deps.ts';
import { moveReported, platformHold } from './reported-state.ts';
import { orderResult, type StoredOrder } from './stored-order.ts';
import { updateAmounts } from './update-amounts.ts';

export async function updateOrder(
  deps: IngestDeps,
  tx: Tx,
  d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>,
  o: StoredOrder,
  n: NormalizedOrder,
  sealed: SealedOrder,
  cause: Cause,
): Promise<OrderResult> {
  const before = o.status;
  const holdBefore = o.hold_code;
  const edited = await updateAmounts(tx, o, n, cause, deps.settings);
  o.paid_amount = n.paidAmount;
  const phones = sealed.phones;
  await tx.run(
    `UPDATE orders SET platform_status = ?, source_updated_at = ?, paid_amount = ?, buyer_name = COALESCE(?, buyer_name),
       buyer_phone = COALESCE(?, buyer_phone), buyer_phone_hash = COALESCE(?, buyer_phone_hash), receiver_name = ?, receiver_phone = ?,
       receiver_phone_hash = ?, receiver_province = ?, receiver_city = ?, receiver_district = ?, receiver_address = ?,
       receiver_protection = ?, updated_at = ?
     WHERE id = ?`,
    [
      n.platformStatus,
      n.sourceUpdatedAt,
      n.paidAmount,
      n.buyer.name ?? null,
      ...phones.slice(0, 2),
      n.receiver.name,
      ...phones.slice(2),
      n.receiver.province,
      n.receiver.city,
      n.receiver.district,
      sealed.address,
      n.receiverProtection ?? null,
      cause.at,
      o.id,
    ],
  );
  const refused = await moveReported(tx, o, n, cause, deps.settings);
  await applyPlatformHold(tx, o, await platformHold(tx, d, n), cause, deps.settings);
  if (refused) return orderResult(o, 'refused_transition', refused);
  return orderResult(o, o.status === before && o.hold_code === holdBefore && !edited ? 'unchanged' : 'updated');
}
