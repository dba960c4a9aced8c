// The tenant's waybill accounts (credentials shown by name only).
import type { Principal } from '../../../kernel/principal.ts';
import { toAccountView, type WaybillAccountRow, type WaybillAccountView, type WaybillDeps } from '../waybills/views.ts';

export async function listWaybillAccounts(deps: WaybillDeps, who: Principal): Promise<WaybillAccountView[]> {
  const rows = await deps.db.read.all<WaybillAccountRow>('SELECT * FROM waybill_accounts WHERE tenant_id = ? ORDER BY created_at, id', [who.tenantId]);
  return rows.map((r) => toAccountView(deps.keyring, r));
}
