// External WMS (issue 7): a warehouse run by its own system reports picked, packed and shipped by signed push instead
// of the console. Each account operates one warehouse and carries its status dictionary as data (its code → our step);
// a push is verified over the raw bytes, mapped, and applied through the warehouse-flow steps the console uses, in one
// transaction with its own record, so a retried event id changes nothing.
//
// A façade: each method is one use case in the fulfilment module's commands/ (writes) or queries/ (reads); the command
// registry (app/commands.ts), the hub and the routes call these methods by name.
import type { Principal } from '../../../kernel/principal.ts';
import type { Database } from '../../../platform/db/database.ts';
import { AccountCache } from '../../../platform/account-cache.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import type { WmsDeps } from '../deps.ts';
import type { WarehouseFlowService } from '../warehouse-flow.ts';
import type { PushAccount, WmsAccount, WmsAccountInput, WmsAccountPatch, WmsOutcome, WmsPush } from './views.ts';
import { wmsAccountFor, wmsPushAccount } from '../queries/wms-account.ts';
import { listWmsAccounts } from '../queries/list-wms-accounts.ts';
import { verifyWmsPush } from '../queries/verify-wms-push.ts';
import { createWmsAccount } from '../commands/create-wms-account.ts';
import { updateWmsAccount } from '../commands/update-wms-account.ts';
import { rotateWmsSecret } from '../commands/rotate-wms-secret.ts';
import { deleteWmsAccount } from '../commands/delete-wms-account.ts';
import { recordWmsPush } from '../commands/record-wms-push.ts';

// Where these lived before the split; importers keep naming this file.
export { dictionaryProblems, previousSecretValidMs, wmsSteps } from './views.ts';
export type { WmsAccount, WmsAccountInput, WmsAccountPatch, WmsOutcome, WmsPush, WmsStep } from './views.ts';

export class WmsService {
  private readonly deps: WmsDeps;

  constructor(db: Database, keyring: Keyring, flow: WarehouseFlowService) {
    // Both push steps (verify here, apply in the writer) look the account up on every push: a short-lived cache, dropped
    // on every change made through this service (and by the hub's serving thread when the writer thread changed it).
    this.deps = { db, keyring, flow, cache: new AccountCache<PushAccount>((id) => wmsPushAccount(this.deps, id)) };
  }

  /** Drops a cached account (another thread changed it). */
  forget(id: string): void {
    this.deps.cache.forget(id);
  }

  create(who: Principal, input: WmsAccountInput, now = Date.now()): Promise<WmsAccount> {
    return createWmsAccount(this.deps, who, input, now);
  }

  /**
   * Name, dictionary (replaced whole, checked as on create), on/off, and the secret field by field. A replaced secret
   * keeps signing for `previousSecretValidMs`, so pushes the WMS sends before it switches are not refused.
   */
  update(who: Principal, id: string, patch: WmsAccountPatch, now = Date.now()): Promise<WmsAccount> {
    return updateWmsAccount(this.deps, who, id, patch, now);
  }

  /** A new secret made here, answered once; the old one keeps signing for `previousSecretValidMs`. */
  rotateSecret(who: Principal, id: string, now = Date.now()): Promise<{ account: WmsAccount; secret: string }> {
    return rotateWmsSecret(this.deps, who, id, now);
  }

  /**
   * Deletes an account that never reported anything. One whose pushes are on record is refused (switch it off
   * instead): its name is in the shipments' and orders' history, and its dictionary is what tells what each recorded
   * code meant, so it must stay readable.
   */
  remove(who: Principal, id: string, now = Date.now()): Promise<{ id: string; deleted: true }> {
    return deleteWmsAccount(this.deps, who, id, now);
  }

  getFor(who: Principal, id: string): Promise<WmsAccount> {
    return wmsAccountFor(this.deps, who, id);
  }

  list(who: Principal): Promise<WmsAccount[]> {
    return listWmsAccounts(this.deps, who);
  }

  /**
   * The push's signature, as the own-shop push: X-Orderhub-Signature v1=<hex HMAC-SHA256(secret, timestamp + "." +
   * raw body)>, the timestamp within the tolerance. Returns the account; throws before anything is stored.
   */
  verify(id: string, h: { signature?: string | undefined; timestamp?: string | undefined; eventId?: string | undefined }, raw: Buffer, now: number, toleranceSeconds: number): Promise<WmsAccount> {
    return verifyWmsPush(this.deps, id, h, raw, now, toleranceSeconds);
  }

  /**
   * Maps and applies one verified push, with its record, in one transaction. A known event id changes nothing (checked
   * before the dictionary, which may have changed since); the same id for a different report is refused.
   */
  apply(p: WmsPush): Promise<WmsOutcome> {
    return recordWmsPush(this.deps, p);
  }
}
