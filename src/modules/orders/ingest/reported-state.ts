// What the platform reports about an order's state: the status it moves to, and the holds its state asks for.
import { HubError } from '../../../kernel/errors.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendHistory } from '../../../platform/outbox/append.ts';
import { raiseAlert } from '../../health/alerts.ts';
import type { OrderStatus } from '../domain/machine.ts';
import { computeAmounts, type NormalizedOrder } from '../domain/order.ts';
import { applyMove, planMove, type Cause, type LifecycleSettings, type OrderState } from '../lifecycle.ts';
import type { Delivery } from './delivery.ts';

/**
 * The hold the platform's state asks for: an ambiguous or unknown status (from the adapter), or parts that do not
 * add up to the platform's own total. Unknown statuses and mismatches are alerted too, once per value.
 */
export async function platformHold(tx: Tx, d: Pick<Delivery, 'tenantId' | 'accountId' | 'channel' | 'receivedAt'>, n: NormalizedOrder) {
  let hold = n.hold ?? null;
  if (!hold && n.platformTotal !== undefined) {
    const total = computeAmounts(n).totalAmount;
    if (total !== n.platformTotal) {
      hold = {
        code: 'AMOUNT_MISMATCH',
        reason: `the parts add up to ${total} but the platform's total is ${n.platformTotal} (${n.currency} minor units): kept as sent, check before shipping`,
      };
    }
  }
  if (hold?.code === 'STATUS_UNKNOWN' || hold?.code === 'AMOUNT_MISMATCH') {
    await raiseAlert(tx, {
      tenantId: d.tenantId,
      accountId: d.accountId,
      platform: d.channel,
      kind: hold.code === 'STATUS_UNKNOWN' ? 'status_unknown' : 'amount_mismatch',
      key: hold.code === 'STATUS_UNKNOWN' ? n.platformStatus : 'amounts',
      message: hold.reason,
      detail: { platformOrderId: n.platformOrderId, platformStatus: n.platformStatus },
      at: d.receivedAt,
    });
  }
  return hold;
}

/** Moves to the status the platform reports; a move the anchor forbids is recorded, never forced. */
export async function moveReported(
  tx: Tx,
  o: OrderState,
  n: NormalizedOrder,
  cause: Cause,
  settings: LifecycleSettings,
  save = true,
): Promise<string | undefined> {
  // A status that does not say where the order is (ambiguous, unknown) leaves it where it is.
  if (n.status === null || o.status === n.status) return undefined;
  let path: OrderStatus[];
  try {
    path = planMove(o, n.status, cause.source);
  } catch (e) {
    if (!(e instanceof HubError)) throw e;
    await appendHistory(tx, {
      tenantId: o.tenant_id,
      orderId: o.id,
      at: cause.at,
      kind: 'ignored',
      from: o.status,
      to: n.status,
      cause: cause.cause,
      sourceTime: cause.sourceTime,
      rawEventId: cause.rawEventId,
      detail: { code: e.code, message: e.message, platformStatus: n.platformStatus },
    });
    return e.message;
  }
  await applyMove(tx, o, path, cause, settings, save);
  return undefined;
}
