// Payment accounts (WeChat Pay, Alipay, Stripe merchants) per tenant: credentials encrypted and write-only, and the
// channel accounts whose orders each one is paid through. The service the command registry, the payment service,
// the refund worker and the routes call; each method is one use case of commands/ or queries/.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { AccountCache } from '../../platform/account-cache.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { PaymentAccount } from './account-view.ts';
import type { PaymentAccountDeps } from './deps.ts';
import { createPaymentAccount, type PaymentAccountInput } from './commands/create-payment-account.ts';
import { updatePaymentAccount, type PaymentAccountPatch } from './commands/update-payment-account.ts';
import { getPaymentAccount, getPaymentAccountFor } from './queries/get-payment-account.ts';
import { listPaymentAccounts } from './queries/list-payment-accounts.ts';
import { paymentAccountForChannel } from './queries/payment-account-for-channel.ts';

export type { OrderRef, PaymentAccount } from './account-view.ts';
export type { PaymentAccountInput } from './commands/create-payment-account.ts';
export type { PaymentAccountPatch } from './commands/update-payment-account.ts';

export class PaymentAccountService {
  private readonly deps: PaymentAccountDeps;

  constructor(db: Database, keyring: Keyring) {
    this.deps = { db, keyring, cache: new AccountCache<PaymentAccount>((id) => this.get(id)) };
  }

  create(who: Principal, input: PaymentAccountInput, now = Date.now()): Promise<PaymentAccount> {
    return createPaymentAccount(this.deps, who, input, now);
  }

  update(who: Principal, id: string, patch: PaymentAccountPatch, now = Date.now()): Promise<PaymentAccount> {
    return updatePaymentAccount(this.deps, who, id, patch, now);
  }

  get(id: string): Promise<PaymentAccount | null> {
    return getPaymentAccount(this.deps, id);
  }

  getFor(who: Principal, id: string): Promise<PaymentAccount> {
    return getPaymentAccountFor(this.deps, who, id);
  }

  list(who: Principal): Promise<PaymentAccount[]> {
    return listPaymentAccounts(this.deps, who);
  }

  /** For the notice path: cached for a few seconds. */
  forNotice(id: string, now = Date.now()): Promise<PaymentAccount | null> {
    return this.deps.cache.get(id, now);
  }

  forget(id: string): void {
    this.deps.cache.forget(id);
  }

  forChannelAccount(tx: Tx | Database['read'], tenantId: string, channelAccountId: string): Promise<PaymentAccount | null> {
    return paymentAccountForChannel(this.deps, tx, tenantId, channelAccountId);
  }
}
