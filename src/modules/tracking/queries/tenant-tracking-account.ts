// Which source a tenant's new shipments are tracked with.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import { toTrackingAccount, type TrackingAccount, type TrackingAccountRow } from '../account-views.ts';
import type { TrackingAccountDeps } from '../deps.ts';

/** The tenant's tracking source for new shipments: its first active account. */
export async function tenantTrackingAccount(deps: TrackingAccountDeps, tenantId: string, q: Reader | Tx = deps.db.read): Promise<TrackingAccount | null> {
  const r = await q.get<TrackingAccountRow>('SELECT * FROM tracking_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1', [tenantId]);
  return r ? toTrackingAccount(r, deps.keyring) : null;
}
