// What the tracking use cases are given: built once by TrackingService (and TrackingAccountService) and passed to each.
import { defaultTrustPolicy, type TrustPolicy } from './domain/delivery-trust.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { GroupCommitter } from '../../platform/db/group-commit.ts';
import type { Logger } from '../../platform/log.ts';
import type { AccountCache } from '../../platform/account-cache.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';
import type { TrackingDelivery, TrackingOutcome } from './commands/record-tracking.ts';
import type { TrackingAccount } from './account-views.ts';

export interface TrackingSettings {
  trust: TrustPolicy;
}

export const defaultTrackingSettings: TrackingSettings = { trust: defaultTrustPolicy };

export interface TrackingDeps {
  db: Database;
  keyring: Keyring;
  lifecycle: LifecycleSettings;
  /** The hub's defaults, for tenants that never saved settings of their own. */
  settings: TrackingSettings;
  /** Where a failed group commit is logged (its callers get the error too, and log it where they are). */
  log: Logger;
  /** SQLite's pushes, several to a transaction (created on the first push). */
  pushes: GroupCommitter<{ d: TrackingDelivery; now: number }, TrackingOutcome> | null;
}

export interface TrackingAccountDeps {
  db: Database;
  keyring: Keyring;
  /** The push path looks its account up on every push: kept a few seconds, dropped when the account changes. */
  cache: AccountCache<TrackingAccount>;
}
