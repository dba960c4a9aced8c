// The tenant's tracking source accounts, oldest first, deleted ones left out.
import type { Principal } from '../../../kernel/principal.ts';
import { toTrackingAccount, type TrackingAccount, type TrackingAccountRow } from '../account-views.ts';
import type { TrackingAccountDeps } from '../deps.ts';

export async function listTrackingAccounts(deps: TrackingAccountDeps, who: Principal): Promise<TrackingAccount[]> {
  const rows = await deps.db.read.all<TrackingAccountRow>('SELECT * FROM tracking_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id', [who.tenantId]);
  return rows.map((r) => toTrackingAccount(r, deps.keyring));
}
