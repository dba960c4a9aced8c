// The warehouse's side of a dispatch plan: waves, pick lists, pack by scanning, ship with carrier and tracking number.
// Each step is a conditional update of the shipment's state plus its event and history, in one transaction; shipping
// the last shipment of an order moves the order to `shipped` on the anchor.
//
// A façade: each method is one use case in the fulfilment module's commands/ (writes) or queries/ (reads); the command
// registry (app/commands.ts), the hub, the routes and the WMS push call these methods by name.
import type { Principal } from '../../kernel/principal.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';
import type { WarehouseFlowDeps } from './deps.ts';
import type { PickList, ShipmentView, WaveView } from './views.ts';
import { listShipments } from './queries/list-shipments.ts';
import { shipment } from './queries/shipment.ts';
import { wave } from './queries/wave.ts';
import { listWaves } from './queries/list-waves.ts';
import { pickList } from './queries/pick-list.ts';
import { packingState } from './queries/packing-state.ts';
import { createWave } from './commands/create-wave.ts';
import { confirmPicked } from './commands/confirm-picked.ts';
import { pickShipmentIn } from './commands/pick-shipment.ts';
import { scanUnits, scanUnitsIn } from './commands/scan-units.ts';
import { lockOrdersOfShipment, shipShipment, shipShipmentIn } from './commands/ship-shipment.ts';
import { correctTracking, type TrackingCorrected, type TrackingCorrectionInput } from './commands/correct-tracking.ts';
import { pickListHtml } from './pick-list-page.ts';

// Where these lived before the split; importers keep naming this file.
export { shipmentStates } from './domain/shipment-machine.ts';
export { shipmentsOfOrder } from './queries/shipments-of-order.ts';
export { parcelsOfLines, type LineParcel } from './queries/parcels-of-lines.ts';
export type { PickList, ShipmentView, WaveView } from './views.ts';
export type { TrackingCorrected, TrackingCorrectionInput } from './commands/correct-tracking.ts';

export class WarehouseFlowService {
  private readonly deps: WarehouseFlowDeps;

  constructor(db: Database, keyring: Keyring, lifecycle: LifecycleSettings) {
    this.deps = { db, keyring, lifecycle };
  }

  list(
    who: Principal,
    f: { warehouse?: string | undefined; state?: string | undefined; waveId?: string | undefined; limit: number; offset: number },
  ): Promise<{ items: ShipmentView[]; total: number }> {
    return listShipments(this.deps, who, f);
  }

  get(who: Principal, id: string): Promise<ShipmentView> {
    return shipment(this.deps, who, id);
  }

  // ---------- Waves and pick lists ----------

  /** A wave (波次) of planned shipments of one warehouse: the ones named, or the most urgent (ship-by first). */
  createWave(who: Principal, input: { warehouse: string; shipmentIds?: string[] | undefined; limit?: number | undefined }, now = Date.now()): Promise<WaveView> {
    return createWave(this.deps, who, input, now);
  }

  getWave(who: Principal, id: string): Promise<WaveView> {
    return wave(this.deps, who, id);
  }

  listWaves(who: Principal, f: { warehouse?: string | undefined; limit: number }): Promise<Omit<WaveView, 'shipments'>[]> {
    return listWaves(this.deps, who, f);
  }

  /** What to take from the shelves for a wave, summed per SKU (拣货单). */
  pickList(who: Principal, waveId: string): Promise<PickList> {
    return pickList(this.deps, who, waveId);
  }

  /** The pick list as a page to print (no script, no external resources). */
  static pickListHtml(p: PickList): string {
    return pickListHtml(p);
  }

  /** The wave's shelves are emptied into its parcels: its waved shipments are picked. */
  confirmPicked(who: Principal, waveId: string, now = Date.now()): Promise<WaveView> {
    return confirmPicked(this.deps, who, waveId, now);
  }

  /**
   * One shipment picked, wave or not (a WMS reports its own picking): planned or waved → picked, with the same event
   * and history as a wave's confirmation. False when it was no longer planned or waved.
   */
  pickIn(tx: Tx, who: Principal, shipmentId: string, now: number): Promise<boolean> {
    return pickShipmentIn(tx, who, shipmentId, now);
  }

  /** A shipment's state and the units still to be packed into it, inside the caller's transaction (locked unless `lock` is false). */
  packingState(tx: Tx, who: Principal, shipmentId: string, lock = true): Promise<{ state: string; remaining: string[] }> {
    return packingState(tx, who, shipmentId, lock);
  }

  // ---------- Pack by scanning ----------

  /**
   * Scanned SKU codes, one per unit, into a shipment's parcel: all or none. A code the shipment does not carry, or one
   * unit more than it still needs, refuses the whole scan (PACK_SCAN_MISMATCH) and changes nothing. The scan that
   * completes every line packs the shipment.
   */
  scan(who: Principal, shipmentId: string, codes: readonly string[], now = Date.now()): Promise<ShipmentView & { remaining: { sku: string; quantity: number }[] }> {
    return scanUnits(this.deps, who, shipmentId, codes, now);
  }

  /** `scan` inside the caller's transaction (the WMS push applies it there, beside its own record). */
  scanIn(tx: Tx, who: Principal, shipmentId: string, codes: readonly string[], now: number): Promise<void> {
    return scanUnitsIn(this.deps, tx, who, shipmentId, codes, now);
  }

  // ---------- Ship ----------

  /**
   * Hands a packed shipment to the carrier with its tracking number (发货). Its units leave the warehouse: on-hand and
   * reserved both drop by what shipped (routing reserved them here), and the order's reservations say `shipped`; when
   * every shipment of an order has shipped, the order moves to `shipped` on the anchor.
   */
  async ship(who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo?: string | undefined }, now = Date.now()): Promise<ShipmentView> {
    const view = await shipShipment(this.deps, who, shipmentId, input, now);
    this.onShipped?.();
    return view;
  }

  /**
   * Corrects a shipped parcel's carrier or tracking number (更正运单号, a typo found after it left): the shipment takes
   * the new number, tracking follows it, and each platform told the old one gets a correction write.
   */
  async correctTracking(who: Principal, shipmentId: string, input: TrackingCorrectionInput, now = Date.now()): Promise<TrackingCorrected> {
    const done = await correctTracking(this.deps, who, shipmentId, input, now);
    if (done.platformWrites.some((w) => w.kind === 'queued')) this.onShipped?.();
    return done;
  }

  /** Called after a ship (or a correction) committed (the hub wakes the outbound worker: the write is due now). */
  onShipped: (() => void) | null = null;

  /** Locks the orders of a shipment (before the shipment itself, as shipping will need them). */
  lockOrdersOf(tx: Tx, who: Principal, shipmentId: string): Promise<void> {
    return lockOrdersOfShipment(tx, who, shipmentId);
  }

  /** `ship` inside the caller's transaction (the WMS push applies it there, beside its own record). */
  shipIn(tx: Tx, who: Principal, shipmentId: string, input: { carrier?: string | undefined; trackingNo?: string | undefined }, now: number): Promise<void> {
    return shipShipmentIn(this.deps, tx, who, shipmentId, input, now);
  }
}
