// The payment timeout fires: an order still unpaid is cancelled and its stock released (a background write).
import type { OrderDeps } from '../deps.ts';
import { claimTimer } from '../../../platform/jobs/timer-store.ts';
import { platformHoldCodes } from '../../channels/connectors/types.ts';
import { moveOrder } from '../lifecycle.ts';
import { lockOrders } from '../store/orders.ts';

/**
 * Fires one due payment-timeout timer: an order still unpaid is cancelled and its stock released. `claim` is the token
 * of the timer pass that claimed it: the timer fires only while that claim is still the timer's.
 */
export async function expireUnpaid(deps: OrderDeps, timer: { id: number; ref: string; claim?: string }, now = Date.now()): Promise<'cancelled' | 'skipped'> {
  return deps.db.transaction(async (tx) => {
    // The order row first, then the timer: the payment service takes them in the same order (PostgreSQL), so a
    // payment notice and the timeout serialise on the order instead of deadlocking.
    const o = (await lockOrders(tx, [timer.ref])).get(timer.ref);
    if (!(await claimTimer(tx, timer.id, now, { claim: timer.claim, timed: { kind: 'payment_timeout', ref: timer.ref } }))) return 'skipped';
    if (!o || o.status !== 'pending_payment') return 'skipped';
    // The platform's own state is unclear (an unknown or ambiguous status): cancelling would be a guess. The stock
    // stays held until the platform says paid or cancelled.
    if (o.hold_code && (platformHoldCodes as readonly string[]).includes(o.hold_code)) return 'skipped';
    await moveOrder(
      tx,
      o,
      'cancelled',
      { source: 'system', cause: 'timer: payment timeout', at: now, cancelCause: 'payment_timeout' },
      deps.settings,
    );
    return 'cancelled';
  });
}
