// E-waybills (电子面单) and labels: waybill accounts per carrier network, a number per parcel (one, or a wave's), its
// cancel, and the labels to print. A façade: each method is one use case in the fulfilment module's commands/ (writes)
// or queries/ (reads); the command registry (app/commands.ts), the hub and the routes call these methods by name.
import type { Principal } from '../../../kernel/principal.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { Logger } from '../../../platform/log.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import { cancelDueWaybills, cancelWaybill } from '../commands/cancel-waybill.ts';
import { createWaybillAccount } from '../commands/create-waybill-account.ts';
import { fillDueWaybills, getWaveWaybills, getWaybill, type WaveWaybills } from '../commands/get-waybill.ts';
import { listWaybillAccounts } from '../queries/waybill-accounts.ts';
import { shipmentLabel, waveLabels } from '../queries/waybill-labels.ts';
import { waybillOf } from '../queries/waybill-of.ts';
import type { LabelSize } from './label.ts';
import type { WaybillAccountInput, WaybillAccountView, WaybillDeps, WaybillView } from './views.ts';

export type { WaveWaybills } from '../commands/get-waybill.ts';

export interface WaybillOptions {
  callTimeoutMs: number;
  retryBaseMs: number;
  documentPolls: number;
  documentPollMs: number;
}

export const defaultWaybillOptions: WaybillOptions = { callTimeoutMs: 15_000, retryBaseMs: 10_000, documentPolls: 4, documentPollMs: 500 };

export class WaybillService {
  private readonly deps: WaybillDeps;

  constructor(db: Database, keyring: Keyring, log: Logger, fetchFn: typeof fetch = fetch, opts: Partial<WaybillOptions> = {}) {
    this.deps = { db, keyring, log, fetch: fetchFn, ...defaultWaybillOptions, ...opts };
  }

  createAccount(who: Principal, input: WaybillAccountInput, now = Date.now()): Promise<WaybillAccountView> {
    return createWaybillAccount(this.deps, who, input, now);
  }

  listAccounts(who: Principal): Promise<WaybillAccountView[]> {
    return listWaybillAccounts(this.deps, who);
  }

  /** The parcel's waybill number (取号): the one it has, or a new one from its orders' network. */
  issue(who: Principal, shipmentId: string, now = Date.now()): Promise<WaybillView> {
    return getWaybill(this.deps, who, shipmentId, now);
  }

  /** A number for every parcel of a wave still to leave; each parcel's failure is reported beside the others. */
  issueWave(who: Principal, waveId: string, now = Date.now()): Promise<WaveWaybills> {
    return getWaveWaybills(this.deps, who, waveId, now);
  }

  /** Gives the parcel's number back (re-routed, a damaged label); retried by the worker when the network is down. */
  cancel(who: Principal, shipmentId: string, now = Date.now()): Promise<WaybillView> {
    return cancelWaybill(this.deps, who, shipmentId, now);
  }

  /** The owed cancels due now (background: the waybill worker). */
  cancelDue(now = Date.now()): Promise<number> {
    return cancelDueWaybills(this.deps, now);
  }

  /** The numbers a network said to come back for, due now (background: the waybill worker). */
  fillDue(now = Date.now()): Promise<number> {
    return fillDueWaybills(this.deps, now);
  }

  get(who: Principal, shipmentId: string): Promise<WaybillView> {
    return waybillOf(this.deps, who, shipmentId);
  }

  label(who: Principal, shipmentId: string, size: LabelSize): Promise<Buffer> {
    return shipmentLabel(this.deps, who, shipmentId, size);
  }

  waveLabels(who: Principal, waveId: string, size: LabelSize): Promise<Buffer> {
    return waveLabels(this.deps, who, waveId, size);
  }
}
