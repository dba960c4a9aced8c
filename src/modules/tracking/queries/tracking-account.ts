// One tracking source account: any tenant's by id (the push path knows no principal), or one a principal may see.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Reader, Tx } from '../../../platform/db/database.ts';
import { toTrackingAccount, type TrackingAccount, type TrackingAccountRow } from '../account-views.ts';
import type { TrackingAccountDeps } from '../deps.ts';

/** Any tenant's account (the push path knows no principal); null when unknown or deleted. */
export async function trackingAccount(deps: TrackingAccountDeps, id: string, q: Reader | Tx = deps.db.read): Promise<TrackingAccount | null> {
  const r = await q.get<TrackingAccountRow>('SELECT * FROM tracking_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
  return r ? toTrackingAccount(r, deps.keyring) : null;
}

export async function trackingAccountFor(deps: TrackingAccountDeps, who: Principal, id: string): Promise<TrackingAccount> {
  const a = await trackingAccount(deps, id);
  if (!a || a.tenantId !== who.tenantId) throw new HubError('ACCOUNT_NOT_FOUND', `tracking account ${id} does not exist`);
  return a;
}
