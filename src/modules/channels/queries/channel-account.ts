// One channel account: any tenant's by id (the push path knows no principal), or one a principal may see.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { accountInScope, toAccount, type ChannelAccount, type ChannelAccountRow } from '../account-views.ts';
import type { AccountDeps } from '../deps.ts';

/** Any tenant's account, for the push path (which knows no principal); null when unknown or deleted. */
export async function channelAccount(deps: AccountDeps, id: string): Promise<ChannelAccount | null> {
  const r = await deps.db.read.get<ChannelAccountRow>('SELECT * FROM channel_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
  return r ? toAccount(r, deps.keyring) : null;
}

/** An account the principal may see: its tenant, inside its account scope. Anything else does not exist. */
export async function channelAccountFor(deps: AccountDeps, who: Principal, id: string): Promise<ChannelAccount> {
  const a = await channelAccount(deps, id);
  if (!a || a.tenantId !== who.tenantId || !accountInScope(who, id)) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${id} does not exist`);
  return a;
}
