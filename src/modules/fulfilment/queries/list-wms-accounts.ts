// The WMS accounts the principal's scope sees: its tenant's, operating a warehouse in its scope.
import type { Principal } from '../../../kernel/principal.ts';
import type { WmsDeps } from '../deps.ts';
import { toWmsAccount, wmsInScope, type WmsAccount, type WmsAccountRow } from '../wms/views.ts';

export async function listWmsAccounts(deps: WmsDeps, who: Principal): Promise<WmsAccount[]> {
  const rows = await deps.db.read.all<WmsAccountRow>('SELECT * FROM wms_accounts WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY created_at, id', [who.tenantId]);
  return rows.filter((r) => wmsInScope(who, r.warehouse)).map((r) => toWmsAccount(r));
}
