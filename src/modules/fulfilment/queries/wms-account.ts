// One WMS account: any tenant's by id as stored, one the principal may see (its tenant, a warehouse in its scope), and
// one as the push path needs it (with the secrets that sign now).
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Reader, Tx } from '../../../platform/db/database.ts';
import type { WmsDeps } from '../deps.ts';
import { openSecrets, toWmsAccount, wmsInScope, type PushAccount, type WmsAccount, type WmsAccountRow } from '../wms/views.ts';

export async function wmsAccountRow(deps: WmsDeps, id: string, q: Reader | Tx = deps.db.read): Promise<WmsAccountRow | undefined> {
  return q.get<WmsAccountRow>('SELECT * FROM wms_accounts WHERE id = ? AND deleted_at IS NULL', [id]);
}

/** An account the principal may see: its tenant, a warehouse in its scope. Anything else does not exist. */
export async function wmsAccountRowFor(deps: WmsDeps, who: Principal, id: string): Promise<WmsAccountRow> {
  const r = await wmsAccountRow(deps, id);
  if (!r || r.tenant_id !== who.tenantId || !wmsInScope(who, r.warehouse)) throw new HubError('ACCOUNT_NOT_FOUND', `WMS account ${id} does not exist`);
  return r;
}

export async function wmsAccountFor(deps: WmsDeps, who: Principal, id: string): Promise<WmsAccount> {
  return toWmsAccount(await wmsAccountRowFor(deps, who, id));
}

/** The account with its secrets, for the push path's cache; null when unknown or deleted. */
export async function wmsPushAccount(deps: WmsDeps, id: string): Promise<PushAccount | null> {
  const r = await wmsAccountRow(deps, id);
  return r ? { account: toWmsAccount(r), secrets: openSecrets(deps.keyring, r) } : null;
}
