// Tracking source accounts (Kuaidi100, AfterShip, 17TRACK) per tenant: credentials encrypted and write-only, an API
// base that points the hub at a local fake in tests and the demo.
//
// A façade: each method is one use case in commands/ (writes) or queries/ (reads); the command registry
// (app/commands.ts), the hub and the worker call these methods by name.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { AccountCache } from '../../platform/account-cache.ts';
import type { Database, Reader, Tx } from '../../platform/db/database.ts';
import type { TrackingAccount, TrackingAccountInput, TrackingAccountPatch } from './account-views.ts';
import type { TrackingAccountDeps } from './deps.ts';
import { createTrackingAccount } from './commands/create-tracking-account.ts';
import { updateTrackingAccount } from './commands/update-tracking-account.ts';
import { deleteTrackingAccount } from './commands/delete-tracking-account.ts';
import { trackingAccount, trackingAccountFor } from './queries/tracking-account.ts';
import { listTrackingAccounts } from './queries/list-tracking-accounts.ts';
import { tenantTrackingAccount } from './queries/tenant-tracking-account.ts';

export type { TrackingAccount, TrackingAccountInput, TrackingAccountPatch } from './account-views.ts';

export class TrackingAccountService {
  private readonly deps: TrackingAccountDeps;

  constructor(db: Database, keyring: Keyring) {
    this.deps = { db, keyring, cache: new AccountCache<TrackingAccount>((id) => this.get(id)) };
  }

  create(who: Principal, input: TrackingAccountInput, now = Date.now()): Promise<TrackingAccount> {
    return createTrackingAccount(this.deps, who, input, now);
  }

  update(who: Principal, id: string, patch: TrackingAccountPatch, now = Date.now()): Promise<TrackingAccount> {
    return updateTrackingAccount(this.deps, who, id, patch, now);
  }

  remove(who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
    return deleteTrackingAccount(this.deps, who, id, now);
  }

  /** Any tenant's account (the push path knows no principal); null when unknown or deleted. */
  get(id: string, q: Reader | Tx = this.deps.db.read): Promise<TrackingAccount | null> {
    return trackingAccount(this.deps, id, q);
  }

  getFor(who: Principal, id: string): Promise<TrackingAccount> {
    return trackingAccountFor(this.deps, who, id);
  }

  list(who: Principal): Promise<TrackingAccount[]> {
    return listTrackingAccounts(this.deps, who);
  }

  /** The tenant's tracking source for new shipments: its first active account. */
  forTenant(tenantId: string, q: Reader | Tx = this.deps.db.read): Promise<TrackingAccount | null> {
    return tenantTrackingAccount(this.deps, tenantId, q);
  }

  /** For the push path: cached for a few seconds. */
  forPush(id: string, now = Date.now()): Promise<TrackingAccount | null> {
    return this.deps.cache.get(id, now);
  }

  forget(id: string): void {
    this.deps.cache.forget(id);
  }
}
