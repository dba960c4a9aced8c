// A new signing secret for a WMS account, made here and answered once; the old one keeps signing a while.
import { randomBytes } from 'node:crypto';
import type { Principal } from '../../../kernel/principal.ts';
import type { WmsDeps } from '../deps.ts';
import type { WmsAccount } from '../wms/views.ts';
import { updateWmsAccount } from './update-wms-account.ts';

/** A new secret made here, answered once; the old one keeps signing for `previousSecretValidMs`. */
export async function rotateWmsSecret(deps: WmsDeps, who: Principal, id: string, now = Date.now()): Promise<{ account: WmsAccount; secret: string }> {
  const secret = `wmssec_${randomBytes(24).toString('base64url')}`;
  const account = await updateWmsAccount(deps, who, id, { credentials: { secret } }, now);
  return { account, secret };
}
