// After the payment timeout closed an order the provider never answered about: the exception that says so.
import { orderFacts } from '../../orders/queries/order-facts.ts';
import type { PaymentDeps } from '../deps.ts';

/** After an order was closed without the provider having answered: the exception that says so. */
export async function recordClosedUnconfirmed(deps: PaymentDeps, orderId: string, now: number): Promise<void> {
  const o = await orderFacts(deps.db.read, orderId);
  if (!o) return;
  const a = await deps.accounts.forChannelAccount(deps.db.read, o.tenant_id, o.account_id);
  if (!a) return;
  await deps.db.transaction((tx) =>
    deps.refunds.raiseException(tx, o.tenant_id, a.id, a.provider, {
      orderId,
      code: 'QUERY_FAILED',
      reason: `closed by the payment timeout after ${deps.settings.queryAttempts} failed payment queries: a payment the provider holds would arrive as a late payment`,
      at: now,
    }),
  );
}
