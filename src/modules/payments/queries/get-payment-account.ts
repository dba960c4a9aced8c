// One payment account: of any tenant (the notice path knows no principal), or of the principal's own.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toAccount, type PaymentAccount, type PaymentAccountRow } from '../account-view.ts';
import type { PaymentAccountDeps } from '../deps.ts';

/** Any tenant's account (the notice path knows no principal); null when unknown or deleted. */
export async function getPaymentAccount(deps: PaymentAccountDeps, id: string): Promise<PaymentAccount | null> {
  const r = await deps.db.read.get<PaymentAccountRow>('SELECT * FROM payment_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
  return r ? toAccount(deps.keyring, r) : null;
}

export async function getPaymentAccountFor(deps: PaymentAccountDeps, who: Principal, id: string): Promise<PaymentAccount> {
  const a = await getPaymentAccount(deps, id);
  if (!a || a.tenantId !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `payment account ${id} does not exist`);
  return a;
}
