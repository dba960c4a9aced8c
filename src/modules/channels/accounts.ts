// Channel accounts (shops): which platform, which credentials. Credentials are write-only to the outside.
//
// A façade: each method is one use case in commands/ (writes) or queries/ (reads); the command registry
// (app/commands.ts), the hub and the push paths call these methods by name.
import type { Database, Tx } from '../../platform/db/database.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import { AccountCache } from '../../platform/account-cache.ts';
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { ChannelAccount } from './account-views.ts';
import type { AccountDeps } from './deps.ts';
import { createAccount } from './commands/create-account.ts';
import { updateAccount, type AccountPatch } from './commands/update-account.ts';
import { keepLearned } from './commands/keep-learned.ts';
import { deleteAccount } from './commands/delete-account.ts';
import { applyDeleteAccount } from './commands/apply-delete-account.ts';
import { channelAccount, channelAccountFor } from './queries/channel-account.ts';
import { listChannelAccounts } from './queries/list-channel-accounts.ts';

export type { ChannelAccount } from './account-views.ts';

export class AccountService {
  private readonly deps: AccountDeps;

  constructor(db: Database, keyring: Keyring, approvals: ApprovalService, fetchFn: typeof fetch = fetch) {
    this.deps = { db, keyring, approvals, fetch: fetchFn, cache: new AccountCache<ChannelAccount>((id) => this.get(id)) };
  }

  create(who: Principal, input: { platform: string; name: string; credentials: unknown }, now = Date.now()): Promise<ChannelAccount> {
    return createAccount(this.deps, who, input, now);
  }

  update(who: Principal, id: string, patch: AccountPatch, now = Date.now()): Promise<ChannelAccount> {
    return updateAccount(this.deps, who, id, patch, now);
  }

  /** Keeps facts a connector read from the shop (Shopify's primary location); for the workers where writes run. */
  learn(id: string, facts: Record<string, string>): Promise<void> {
    return keepLearned(this.deps, id, facts);
  }

  /** Any tenant's account, for the push path (which knows no principal); null when unknown or deleted. */
  get(id: string): Promise<ChannelAccount | null> {
    return channelAccount(this.deps, id);
  }

  /** An account the principal may see: its tenant, inside its account scope. Anything else does not exist. */
  getFor(who: Principal, id: string): Promise<ChannelAccount> {
    return channelAccountFor(this.deps, who, id);
  }

  requestDelete(who: Principal, id: string, reason: string, now = Date.now()): Promise<MaybePending<{ id: string }>> {
    return deleteAccount(this.deps, who, id, reason, now);
  }

  applyDelete(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext | null, now: number): Promise<{ id: string }> {
    return applyDeleteAccount(this.deps, tx, who, payload, ctx, now);
  }

  /** For the ingest path: cached for a few seconds, so a credential change takes effect within that time. */
  forIngest(id: string, now = Date.now()): Promise<ChannelAccount | null> {
    return this.deps.cache.get(id, now);
  }

  /** Drops a cached entry (another thread changed the account). */
  forget(id: string): void {
    this.deps.cache.forget(id);
  }

  /** The accounts a principal may see (its tenant, its account scope), deleted ones left out. */
  list(who: Principal): Promise<ChannelAccount[]> {
    return listChannelAccounts(this.deps, who);
  }
}
