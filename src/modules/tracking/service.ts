// Tracking and delivery trust: a verified push (or a re-query's answer) is stored raw, deduplicated, mapped to its
// shipment by tracking number (and carrier), and applied in one transaction — events, status without ever moving
// backwards, the delivered event graded, the order delivered once every shipment is trusted-delivered. Also the
// "not received" complaint, the trust board and the cases it opens.
//
// A façade: each method is one use case in commands/ (writes) or queries/ (reads); the command registry
// (app/commands.ts), the hub and the worker call these methods by name.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { TrustPolicy } from './domain/delivery-trust.ts';
import type { TrackingAlertPolicy } from './domain/alerts.ts';
import type { TrackingSettingsPatch } from './settings.ts';
import type { Database, Reader, SqlValue, Tx } from '../../platform/db/database.ts';
import type { GroupCommitStats } from '../../platform/db/group-commit.ts';
import { createLogger, type Logger } from '../../platform/log.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';
import { defaultTrackingSettings, type TrackingDeps, type TrackingSettings } from './deps.ts';
import { recordTracking, recordTrackingIn, type TrackingDelivery, type TrackingOutcome } from './commands/record-tracking.ts';
import { afterRecheckIn } from './commands/after-recheck.ts';
import { reportNotReceived } from './commands/report-not-received.ts';
import { saveTrackingSettings } from './commands/save-tracking-settings.ts';
import { cases, type CaseView } from './queries/cases.ts';
import { shipmentTracking, type TrackingView } from './queries/shipment-tracking.ts';
import { trustBoard, type TrustRow } from './queries/trust-board.ts';
import { alertPoliciesIn, trustPolicyIn } from './queries/policies.ts';
import { settingsView, type TrackingSettingsView } from './queries/settings-view.ts';
import { lockTracked, type TrackedShipmentRow } from './store/tracked-shipments.ts';

export { defaultTrackingSettings, type TrackingSettings } from './deps.ts';
export type { TrackingDelivery, TrackingFacts, TrackingOutcome, TrackingOutcomeKind } from './commands/record-tracking.ts';
export type { CaseView } from './queries/cases.ts';
export type { TrackingView } from './queries/shipment-tracking.ts';
export type { TrustRow } from './queries/trust-board.ts';
export type { TrackingSettingsView } from './queries/settings-view.ts';
export { trackedColumns, type TrackedShipmentRow } from './store/tracked-shipments.ts';

export class TrackingService {
  private readonly deps: TrackingDeps;

  constructor(
    db: Database,
    keyring: Keyring,
    lifecycle: LifecycleSettings,
    readonly settings: TrackingSettings = defaultTrackingSettings,
    /** Where a failed group commit is logged (its callers get the error too, and log it where they are). */
    log: Logger = createLogger('silent'),
  ) {
    this.deps = { db, keyring, lifecycle, settings, log, pushes: null };
  }

  // ---------- Pushes and query answers ----------

  record(d: TrackingDelivery, now = Date.now()): Promise<TrackingOutcome> {
    return recordTracking(this.deps, d, now);
  }

  /** Resolves once no push is queued or in flight. */
  async idle(): Promise<void> {
    await this.deps.pushes?.idle();
  }

  /** How pushes were grouped (SQLite; null before the first push and on PostgreSQL). */
  get pushBatches(): Readonly<GroupCommitStats> | null {
    return this.deps.pushes?.stats ?? null;
  }

  recordIn(tx: Tx, d: TrackingDelivery, now: number): Promise<TrackingOutcome> {
    return recordTrackingIn(this.deps, tx, d, now);
  }

  lockTracked(tx: Tx, where: string, params: SqlValue[], withOrders: boolean): Promise<TrackedShipmentRow[]> {
    return lockTracked(tx, where, params, withOrders);
  }

  afterRecheckIn(tx: Tx, shipmentId: string, now: number): Promise<void> {
    return afterRecheckIn(this.deps, tx, shipmentId, now);
  }

  // ---------- "Not received" ----------

  reportNotReceived(who: Principal, shipmentId: string, input: { note?: string | undefined }, now = Date.now()): Promise<{ items: CaseView[] }> {
    return reportNotReceived(this.deps, who, shipmentId, input, now);
  }

  cases(who: Principal, f: { state?: string | undefined }): Promise<{ items: CaseView[] }> {
    return cases(this.deps, who, f);
  }

  // ---------- Reads ----------

  tracking(who: Principal, shipmentId: string): Promise<TrackingView> {
    return shipmentTracking(this.deps, who, shipmentId);
  }

  trustBoard(who: Principal, days: number, now = Date.now()): Promise<{ carriers: (TrustRow & { carrier: string })[]; outlets: (TrustRow & { outlet: string; carrier: string })[] }> {
    return trustBoard(this.deps, who, days, now);
  }

  // ---------- Settings ----------

  trustPolicyIn(q: Reader | Tx, tenantId: string): Promise<TrustPolicy> {
    return trustPolicyIn(this.deps, q, tenantId);
  }

  alertPoliciesIn(q: Reader | Tx, tenantIds: readonly string[]): Promise<Map<string, TrackingAlertPolicy>> {
    return alertPoliciesIn(q, tenantIds);
  }

  settingsView(who: Principal): Promise<TrackingSettingsView> {
    return settingsView(this.deps, who);
  }

  saveSettings(who: Principal, patch: TrackingSettingsPatch, now = Date.now()): Promise<TrackingSettingsView> {
    return saveTrackingSettings(this.deps, who, patch, now);
  }
}
