// Which payment account a shop's orders are paid through (asked before the payment timeout closes an order).
import type { Database, Tx } from '../../../platform/db/database.ts';
import { toAccount, type PaymentAccount, type PaymentAccountRow } from '../account-view.ts';
import type { PaymentAccountDeps } from '../deps.ts';

/** The active payment account that pays for a channel account's orders, if any (the first one created). */
export async function paymentAccountForChannel(deps: PaymentAccountDeps, tx: Tx | Database['read'], tenantId: string, channelAccountId: string): Promise<PaymentAccount | null> {
  const rows = await tx.all<PaymentAccountRow>(
    'SELECT * FROM payment_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL ORDER BY created_at',
    [tenantId],
  );
  for (const r of rows) {
    const channels = JSON.parse(r.channel_accounts) as string[];
    if (channels.includes(channelAccountId)) return toAccount(deps.keyring, r);
  }
  return null;
}
