// What the payments module's use cases are given, built once by their services (notices.ts, refunds.ts, accounts.ts).
import type { AccountCache } from '../../platform/account-cache.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/log.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';
import type { PaymentAccount } from './account-view.ts';
import type { PaymentAccountService } from './accounts.ts';
import type { RefundService } from './refunds.ts';

export interface PaymentSettings extends LifecycleSettings {
  /** Query attempts before an unpaid order is closed without the provider's answer. */
  queryAttempts: number;
}

export interface RefundSettings {
  /** A refund not confirmed this long after it was requested is an exception (REFUND_STUCK). */
  refundStuckMs: number;
  /** The base of the hub's public URL, for refund notify URLs (null: the provider's configured URL is used). */
  publicUrl: string | null;
}

/** The notices' use cases: they reach accounts and refunds through the services they were given. */
export interface PaymentDeps {
  db: Database;
  keyring: Keyring;
  accounts: PaymentAccountService;
  refunds: RefundService;
  settings: PaymentSettings;
  log: Logger;
  fetchFn: typeof fetch;
}

export interface RefundDeps {
  db: Database;
  keyring: Keyring;
  settings: RefundSettings;
  /** Called after a refund request commits: the hub wakes the refund worker (RefundService.onRefundRequested). */
  refundRequested: () => void;
}

export interface PaymentAccountDeps {
  db: Database;
  keyring: Keyring;
  /** The accounts the notice path keeps for a few seconds: a write drops the one it changed. */
  cache: AccountCache<PaymentAccount>;
}
