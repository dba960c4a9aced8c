// The channel accounts (shops) a principal may see, oldest first.
import type { Principal } from '../../../kernel/principal.ts';
import { accountInScope, toAccount, type ChannelAccount, type ChannelAccountRow } from '../account-views.ts';
import type { AccountDeps } from '../deps.ts';

/** The accounts a principal may see (its tenant, its account scope), deleted ones left out. */
export async function listChannelAccounts(deps: AccountDeps, who: Principal): Promise<ChannelAccount[]> {
  const rows = await deps.db.read.all<ChannelAccountRow>('SELECT * FROM channel_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at', [who.tenantId]);
  return rows.filter((r) => accountInScope(who, r.id)).map((r) => toAccount(r, deps.keyring));
}
