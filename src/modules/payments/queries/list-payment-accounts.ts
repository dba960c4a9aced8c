// The tenant's payment accounts, oldest first.
import type { Principal } from '../../../kernel/principal.ts';
import { toAccount, type PaymentAccount, type PaymentAccountRow } from '../account-view.ts';
import type { PaymentAccountDeps } from '../deps.ts';

export async function listPaymentAccounts(deps: PaymentAccountDeps, who: Principal): Promise<PaymentAccount[]> {
  const rows = await deps.db.read.all<PaymentAccountRow>('SELECT * FROM payment_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at', [who.tenantId]);
  return rows.map((r) => toAccount(deps.keyring, r));
}
