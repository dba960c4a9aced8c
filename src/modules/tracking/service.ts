// Tracking and delivery trust: a verified push (or a re-query's answer) is stored raw, deduplicated, mapped to its
// shipment by tracking number (and carrier), and applied in one transaction — events, status without ever moving
// backwards, the delivered event graded, the order delivered once every shipment is trusted-delivered. Also the
// "not received" complaint, the trust board and the cases it opens.
import { createHash } from 'node:crypto';
import {
  afterRecheck,
  decideNotReceived,
  defaultTrustPolicy,
  deliveredEvidence,
  deliveryTrustGrades,
  gradeDelivery,
  isTrusted,
  recheckTimes,
  strongerGrade,
  type DeliveryTrustGrade,
  type TrustPolicy,
} from './domain/delivery-trust.ts';
import { HubError } from '../../kernel/errors.ts';
import type { Principal } from '../../kernel/principal.ts';
import { caseScopeSql, shipmentScopeSql } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import { splitRawStatus } from './sources/registry.ts';
import type { TrackingAlertPolicy } from './domain/alerts.ts';
import {
  alertPolicyOf,
  applySettingsPatch,
  defaultTenantTrackingSettings,
  readStoredSettings,
  trustPolicyOf,
  type TenantTrackingSettings,
  type TrackingSettingsPatch,
} from './settings.ts';
import type { EvidenceHint, TrackingSource, TrackingStatus, TrackingUpdate } from './sources/types.ts';
import { appendAudit } from '../access/audit.ts';
import type { Database, Reader, SqlValue, Tx } from '../../platform/db/database.ts';
import { appendEvent, appendHistory } from '../../platform/outbox/append.ts';
import { newId } from '../../kernel/ids.ts';
import { GroupCommitter, type GroupCommitStats } from '../../platform/db/group-commit.ts';
import { createLogger, type Logger } from '../../platform/log.ts';
import { cancelTimer, scheduleTimer } from '../../platform/jobs/timer-store.ts';
import { moveOrder, type LifecycleSettings } from '../orders/lifecycle.ts';
import { lockOrders } from '../orders/store/orders.ts';
import { shipmentMachine } from '../fulfilment/domain/shipment-machine.ts';
import { caseMachine } from './domain/case-machine.ts';

/** A tracking update as it crosses to the writer: plain data, without the decoded payload (the raw body is kept). */
export type TrackingFacts = Omit<TrackingUpdate, 'content'>;

export interface TrackingDelivery {
  tenantId: string;
  trackingAccountId: string;
  source: TrackingSource;
  /** push: the source called us; query: our re-query's answer. */
  via: 'push' | 'query';
  receivedAt: number;
  headers: Record<string, string>;
  body: string;
  bodySha256: string;
  update: TrackingFacts;
  /** A query knows its shipment; a push is mapped by tracking number. */
  shipmentId?: string | null | undefined;
}

export type TrackingOutcomeKind = 'applied' | 'no_change' | 'stale' | 'unmatched' | 'duplicate';

export interface TrackingOutcome {
  duplicate: boolean;
  outcome: TrackingOutcomeKind;
  shipmentId: string | null;
  pushId: number | null;
}

export interface TrackingSettings {
  trust: TrustPolicy;
}

export const defaultTrackingSettings: TrackingSettings = { trust: defaultTrustPolicy };

/** A tenant's tracking settings as the API shows them: the values in force, and whether the seller set them. */
export interface TrackingSettingsView extends TenantTrackingSettings {
  /** False while the tenant has never saved settings: the defaults apply. */
  custom: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

/** The shipment columns tracking reads. */
export interface TrackedShipmentRow {
  id: string;
  tenant_id: string;
  warehouse: string;
  order_ids: string;
  state: string;
  carrier: string | null;
  tracking_no: string | null;
  shipped_at: number | null;
  delivered_at: number | null;
  tracking_status: string | null;
  last_event_at: number | null;
  carrier_delivered_at: number | null;
  delivery_seen_at: number | null;
  delivery_outlet: string | null;
  trust_grade: string | null;
  recheck_count: number;
  recheck_state: string | null;
  tracking_account_id: string | null;
  tracking_ref: string | null;
}

export const trackedColumns =
  'id, tenant_id, warehouse, order_ids, state, carrier, tracking_no, shipped_at, delivered_at, tracking_status, last_event_at, carrier_delivered_at, ' +
  'delivery_seen_at, delivery_outlet, trust_grade, recheck_count, recheck_state, tracking_account_id, tracking_ref';

export interface CaseView {
  id: string;
  orderId: string;
  shipmentId: string | null;
  kind: string;
  priority: 'urgent' | 'normal';
  state: string;
  reason: string;
  openedBy: string;
  openedAt: string | null;
}

export interface TrackingView {
  shipment: { id: string; carrier: string | null; trackingNo: string | null; trackingStatus: string | null; trustGrade: string | null; deliveredAt: string | null };
  events: { at: string | null; status: string; rawStatus: string | null; location: string | null; description: string; evidence: string[] }[];
}

export interface TrustRow {
  delivered: number;
  trusted: number;
  trustRate: number;
  byGrade: Record<DeliveryTrustGrade, number>;
}

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const isGrade = (g: string | null): g is DeliveryTrustGrade => g !== null && (deliveryTrustGrades as readonly string[]).includes(g);
const num = (v: number | null): number | null => (v === null ? null : Number(v));

/** Carrier codes differ per source (sf, shunfeng, sf-express): a shipment's own carrier is matched loosely. */
function sameCarrier(ours: string | null, theirs: string | null): boolean {
  if (!ours || !theirs) return false;
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return squash(ours) === squash(theirs);
}

export class TrackingService {
  /** SQLite's pushes, several to a transaction (created on the first push). */
  private pushes: GroupCommitter<{ d: TrackingDelivery; now: number }, TrackingOutcome> | null = null;

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly lifecycle: LifecycleSettings,
    readonly settings: TrackingSettings = defaultTrackingSettings,
    /** Where a failed group commit is logged (its callers get the error too, and log it where they are). */
    private readonly log: Logger = createLogger('silent'),
  ) {}

  // ---------- Pushes and query answers ----------

  /**
   * Stores, maps and applies one verified push (or query answer), answered only once it is committed and durable.
   * On SQLite, pushes that arrive together share one transaction (group commit: one writer, so each COMMIT and its
   * page writes are the cost); a push that fails is rolled back alone. On PostgreSQL each has its own transaction on
   * the pool, which commits them side by side.
   */
  async record(d: TrackingDelivery, now = Date.now()): Promise<TrackingOutcome> {
    if (this.db.dialect !== 'sqlite') return this.db.transaction((tx) => this.recordIn(tx, d, now));
    this.pushes ??= new GroupCommitter(this.db, (tx, p) => this.recordIn(tx, p.d, p.now), { maxBatch: 64, lanes: 1, maxQueue: 20_000 }, this.log);
    return this.pushes.submit({ d, now });
  }

  /** Resolves once no push is queued or in flight. */
  async idle(): Promise<void> {
    await this.pushes?.idle();
  }

  /** How pushes were grouped (SQLite; null before the first push and on PostgreSQL). */
  get pushBatches(): Readonly<GroupCommitStats> | null {
    return this.pushes?.stats ?? null;
  }

  async recordIn(tx: Tx, d: TrackingDelivery, now: number): Promise<TrackingOutcome> {
    const u = d.update;
    const dedupe = d.via === 'push' && u.eventId ? `event:${u.eventId}` : `${d.via}:${d.bodySha256}`;
    const inserted = await tx.get<{ id: number }>(
      `INSERT INTO tracking_pushes (tenant_id, tracking_account_id, source, dedupe_key, via, tracking_no, received_at, deliveries, last_delivery_at, headers, body, body_sha256, outcome)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, 'received') ON CONFLICT (tracking_account_id, dedupe_key) DO NOTHING RETURNING id`,
      [d.tenantId, d.trackingAccountId, d.source, dedupe, d.via, u.trackingNumber, d.receivedAt, d.receivedAt, JSON.stringify(d.headers), this.keyring.encrypt(d.body), d.bodySha256],
    );
    if (!inserted) {
      await tx.run('UPDATE tracking_pushes SET deliveries = deliveries + 1, last_delivery_at = ? WHERE tracking_account_id = ? AND dedupe_key = ?', [d.receivedAt, d.trackingAccountId, dedupe]);
      // A re-query that hears the same answer again has still checked the shipment: without this, a parcel the source
      // has nothing new about stays the stalest one and is asked about on every pass, ahead of all the others.
      if (d.shipmentId) await tx.run('UPDATE shipments SET tracking_checked_at = ? WHERE id = ? AND tenant_id = ?', [now, d.shipmentId, d.tenantId]);
      const prior = await tx.get<{ id: number; shipment_id: string | null }>('SELECT id, shipment_id FROM tracking_pushes WHERE tracking_account_id = ? AND dedupe_key = ?', [d.trackingAccountId, dedupe]);
      return { duplicate: true, outcome: 'duplicate', shipmentId: prior?.shipment_id ?? null, pushId: prior ? Number(prior.id) : null };
    }
    const pushId = Number(inserted.id);
    const s = await this.findShipment(tx, d);
    if (!s) {
      await tx.run(`UPDATE tracking_pushes SET outcome = 'unmatched' WHERE id = ?`, [pushId]);
      return { duplicate: false, outcome: 'unmatched', shipmentId: null, pushId };
    }
    const outcome = await this.apply(tx, s, d, pushId, now);
    await tx.run('UPDATE tracking_pushes SET outcome = ?, shipment_id = ? WHERE id = ?', [outcome, s.id, pushId]);
    return { duplicate: false, outcome, shipmentId: s.id, pushId };
  }

  private async findShipment(tx: Tx, d: TrackingDelivery): Promise<TrackedShipmentRow | null> {
    // A delivery may move the shipment's orders: they are locked first (the one lock order: orders, then shipments).
    const withOrders = d.update.status === 'delivered';
    const found = d.shipmentId
      ? await this.lockTracked(tx, 'id = ? AND tenant_id = ?', [d.shipmentId, d.tenantId], withOrders)
      : await this.lockTracked(tx, 'tenant_id = ? AND tracking_no = ?', [d.tenantId, d.update.trackingNumber], withOrders);
    if (found.length <= 1) return found[0] ?? null;
    // The same number with two carriers: the source's carrier code decides, or nothing is applied.
    const matching = found.filter((s) => sameCarrier(s.carrier, d.update.carrierCode));
    return matching.length === 1 ? (matching[0] as TrackedShipmentRow) : null;
  }

  /**
   * Shipments locked for a tracking change, in id order — and their orders before them when the change may move the
   * orders (a delivery). SQLite's one writer reads them current and only records the locks.
   */
  async lockTracked(tx: Tx, where: string, params: SqlValue[], withOrders: boolean): Promise<TrackedShipmentRow[]> {
    if (tx.dialect === 'sqlite') {
      const rows = await tx.all<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE ${where} ORDER BY id`, params);
      if (withOrders) tx.locks.take('order', rows.flatMap((r) => JSON.parse(r.order_ids) as string[]));
      tx.locks.take('shipment', rows.map((r) => r.id));
      return rows;
    }
    const seen = await tx.all<{ id: string; order_ids: string }>(`SELECT id, order_ids FROM shipments WHERE ${where}`, params);
    if (seen.length === 0) return [];
    if (withOrders) await lockOrders(tx, seen.flatMap((r) => JSON.parse(r.order_ids) as string[]));
    tx.locks.take('shipment', seen.map((r) => r.id));
    const all = seen.map((r) => r.id).sort();
    return tx.all<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE id IN (${all.map(() => '?').join(', ')}) ORDER BY id FOR UPDATE`, all);
  }

  private async apply(tx: Tx, s: TrackedShipmentRow, d: TrackingDelivery, pushId: number, now: number): Promise<TrackingOutcomeKind> {
    const u = d.update;
    let added = 0;
    for (const e of u.events) {
      const key = sha([e.at, e.status, e.rawStatus ?? '', e.location ?? '', e.description, [...e.evidence].sort().join(',')].join('\u0000')).slice(0, 40);
      const raw = splitRawStatus(d.source, e.rawStatus);
      added += await tx.run(
        `INSERT INTO tracking_events (tenant_id, shipment_id, source, event_key, status, raw_status, raw_sub_status, at, location, description, evidence, push_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shipment_id, event_key) DO NOTHING`,
        [s.tenant_id, s.id, d.source, key, e.status, raw.main, raw.sub, e.at, e.location, e.description.slice(0, 2000), JSON.stringify(e.evidence), pushId, now],
      );
    }
    const latest = u.events.reduce<number | null>((m, e) => (m === null || e.at > m ? e.at : m), null);
    const prev = num(s.last_event_at);
    const known: TrackingStatus | null = u.status === 'unknown' ? null : u.status;
    // Only news moves a shipment: an update whose newest event is older than what we have is history, not state.
    const forward = known !== null && (latest !== null ? prev === null || latest > prev : s.tracking_status === null);
    const stale = latest !== null && prev !== null && latest < prev;
    const current = s.tracking_status === 'delivered_unconfirmed' ? 'delivered' : s.tracking_status;
    const delivery = u.status === 'delivered' && (forward || current === 'delivered');
    let changed = false;
    if (forward && !delivery) {
      await tx.run('UPDATE shipments SET tracking_status = ?, tracking_raw_status = ?, last_event_at = ?, tracking_checked_at = ?, updated_at = ? WHERE id = ?', [
        known,
        u.rawStatus,
        latest ?? prev,
        now,
        now,
        s.id,
      ]);
      changed = s.tracking_status !== known;
      if (changed) await this.history(tx, s, now, `${d.source} tracking: ${known}`, { shipmentId: s.id, tracking: known, rawStatus: u.rawStatus });
    } else {
      await tx.run('UPDATE shipments SET tracking_checked_at = ? WHERE id = ?', [now, s.id]);
    }
    if (delivery) changed = (await this.delivered(tx, s, d, latest ?? prev, now)) || changed;
    if (changed || added > 0) {
      await appendEvent(tx, {
        tenantId: s.tenant_id,
        type: 'shipment.tracking_updated',
        aggregateType: 'shipment',
        aggregateId: s.id,
        at: now,
        payload: { shipmentId: s.id, source: d.source, via: d.via, status: forward ? known : s.tracking_status, lastEventAt: latest ?? prev, newEvents: added },
      });
    }
    if (forward || changed) return 'applied';
    return stale ? 'stale' : 'no_change';
  }

  /** A delivered update: graded (best grade seen wins); trusted → delivered, untrusted → unconfirmed and re-checked. */
  private async delivered(tx: Tx, s: TrackedShipmentRow, d: TrackingDelivery, latest: number | null, now: number): Promise<boolean> {
    const ev = deliveredEvidence(d.update);
    if (!ev) return false;
    let grade = gradeDelivery(ev);
    if (isGrade(s.trust_grade)) grade = strongerGrade(grade, s.trust_grade);
    const policy = await this.trustPolicyIn(tx, s.tenant_id);
    const at = ev.at ?? latest ?? now;
    const outlet = [...d.update.events].reverse().find((e) => e.status === 'delivered')?.location ?? s.delivery_outlet;
    // The newest event time seen, never an older one (a re-check may re-state an old delivery).
    const prev = num(s.last_event_at);
    const newest = latest === null ? prev : Math.max(latest, prev ?? latest);
    const common = [d.update.rawStatus, newest, grade, at, now, outlet, now, now, s.id] as SqlValue[];
    const setCommon =
      'tracking_raw_status = ?, last_event_at = COALESCE(?, last_event_at), trust_grade = ?, carrier_delivered_at = COALESCE(carrier_delivered_at, ?), ' +
      'delivery_seen_at = COALESCE(delivery_seen_at, ?), delivery_outlet = ?, tracking_checked_at = ?, updated_at = ?';
    if (isTrusted(grade, policy)) {
      const wasShipped = s.state === 'shipped';
      // Only a shipped parcel moves; one already delivered (or stopped before it left) keeps its state, its tracking is news all the same.
      if (wasShipped) shipmentMachine.check(s.state, 'delivered', { trustedDelivery: true });
      await tx.run(
        `UPDATE shipments SET ${setCommon.replace('trust_grade = ?', "tracking_status = 'delivered', trust_grade = ?")},
           state = CASE WHEN state = 'shipped' THEN 'delivered' ELSE state END, delivered_at = COALESCE(delivered_at, ?),
           recheck_state = CASE WHEN recheck_state = 'pending' THEN 'confirmed' ELSE recheck_state END, recheck_due_at = NULL
         WHERE id = ?`,
        [...common.slice(0, -1), at, s.id],
      );
      await cancelTimer(tx, 'tracking_recheck', s.id, now);
      if (!wasShipped && s.trust_grade === grade && s.tracking_status === 'delivered') return false;
      await this.confirmDelivered(tx, s, { grade, at, wasShipped, source: d.source, via: d.via, cause: `${d.source} tracking: delivered (${grade})` }, now);
      return true;
    }
    if (s.tracking_status === 'delivered_unconfirmed' || s.state !== 'shipped') {
      // Still untrusted: only the grade may rise. The newest event time is kept all the same, or an older update
      // arriving next would look like news and move the shipment back from its delivery.
      await tx.run('UPDATE shipments SET trust_grade = ?, last_event_at = ?, tracking_checked_at = ?, updated_at = ? WHERE id = ?', [grade, newest, now, now, s.id]);
      return s.trust_grade !== grade;
    }
    // First word of an untrusted delivery: the customer is not told; it is asked about again on a schedule that
    // starts when the hub learned of it (an old event arriving late still gets its full set of re-checks).
    const times = recheckTimes(now, grade, policy);
    const first = times[0] ?? null;
    await tx.run(
      `UPDATE shipments SET ${setCommon.replace('trust_grade = ?', "tracking_status = 'delivered_unconfirmed', trust_grade = ?")},
         recheck_count = 0, recheck_state = ?, recheck_due_at = ? WHERE id = ?`,
      [...common.slice(0, -1), first === null ? 'exhausted' : 'pending', first, s.id],
    );
    if (first !== null) await scheduleTimer(tx, s.tenant_id, 'tracking_recheck', s.id, first, now);
    await appendEvent(tx, {
      tenantId: s.tenant_id,
      type: 'shipment.delivery_unconfirmed',
      aggregateType: 'shipment',
      aggregateId: s.id,
      at: now,
      payload: { shipmentId: s.id, orderIds: JSON.parse(s.order_ids) as string[], trustGrade: grade, deliveredAt: at, recheckAt: times },
    });
    await this.history(tx, s, now, `${d.source} tracking: delivered, not confirmed (${grade})`, { shipmentId: s.id, tracking: 'delivered_unconfirmed', trustGrade: grade, recheckAt: times }, at);
    return true;
  }

  /** Each order whose shipments are now all delivered moves to delivered on the anchor. */
  private async deliverOrders(tx: Tx, s: TrackedShipmentRow, grade: DeliveryTrustGrade, at: number, now: number): Promise<void> {
    // Locked before the shipment by whoever locked it (lockTracked with its orders).
    const orders = await lockOrders(tx, JSON.parse(s.order_ids) as string[]);
    for (const o of orders.values()) {
      const orderId = o.id;
      if (o.status !== 'shipped') continue;
      const open = await tx.get<{ c: number }>(
        `SELECT COUNT(*) AS c FROM shipments WHERE id IN (SELECT shipment_id FROM shipment_lines WHERE order_id = ?) AND state <> 'delivered'`,
        [orderId],
      );
      if (Number(open?.c ?? 0) > 0) continue;
      await moveOrder(tx, o, 'delivered', { source: 'system', cause: `shipment ${s.id} delivered (${grade})`, at: now, sourceTime: at }, this.lifecycle);
    }
  }

  /** A trusted delivery, its shipment row already updated: the event, the orders' history, and the orders delivered. */
  private async confirmDelivered(
    tx: Tx,
    s: TrackedShipmentRow,
    d: { grade: DeliveryTrustGrade; at: number; wasShipped: boolean; source: string; via: string; cause: string },
    now: number,
  ): Promise<void> {
    await appendEvent(tx, {
      tenantId: s.tenant_id,
      type: 'shipment.delivered',
      aggregateType: 'shipment',
      aggregateId: s.id,
      at: now,
      payload: { shipmentId: s.id, orderIds: JSON.parse(s.order_ids) as string[], trustGrade: d.grade, deliveredAt: d.at, source: d.source, via: d.via },
    });
    await this.history(tx, s, now, d.cause, { shipmentId: s.id, tracking: 'delivered', trustGrade: d.grade, trusted: true }, d.at);
    if (d.wasShipped) await this.deliverOrders(tx, s, d.grade, d.at, now);
  }

  private async history(tx: Tx, s: TrackedShipmentRow, now: number, cause: string, detail: Record<string, unknown>, sourceTime?: number): Promise<void> {
    for (const orderId of JSON.parse(s.order_ids) as string[]) {
      await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause, sourceTime: sourceTime ?? null, detail });
    }
  }

  /**
   * One re-check done (its answer, if any, already applied in this transaction): still untrusted → the next one is
   * scheduled, or none is left and the delivery stays unconfirmed.
   */
  async afterRecheckIn(tx: Tx, shipmentId: string, now: number): Promise<void> {
    // A re-check may confirm the delivery (the tenant's settings changed): its orders are locked before it.
    const [s] = await this.lockTracked(tx, 'id = ?', [shipmentId], true);
    if (!s || s.recheck_state !== 'pending' || !isGrade(s.trust_grade)) return;
    const checksDone = Number(s.recheck_count) + 1;
    const decision = afterRecheck({ deliveredAt: Number(s.delivery_seen_at ?? now), checksDone, bestGrade: s.trust_grade }, await this.trustPolicyIn(tx, s.tenant_id));
    if (decision.kind === 'recheck_at') {
      await tx.run('UPDATE shipments SET recheck_count = ?, recheck_due_at = ?, updated_at = ? WHERE id = ?', [checksDone, decision.at, now, s.id]);
      await scheduleTimer(tx, s.tenant_id, 'tracking_recheck', s.id, decision.at, now);
      return;
    }
    if (decision.kind === 'trusted') {
      // The proof did not change but the tenant's settings did: this grade is trusted now, so it is delivered.
      const at = Number(s.carrier_delivered_at ?? s.delivery_seen_at ?? now);
      const wasShipped = s.state === 'shipped';
      if (wasShipped) shipmentMachine.check(s.state, 'delivered', { trustedDelivery: true });
      await tx.run(
        `UPDATE shipments SET recheck_count = ?, recheck_due_at = NULL, recheck_state = 'confirmed', tracking_status = 'delivered',
           state = CASE WHEN state = 'shipped' THEN 'delivered' ELSE state END, delivered_at = COALESCE(delivered_at, ?), updated_at = ? WHERE id = ?`,
        [checksDone, at, now, s.id],
      );
      const cause = `delivered (${decision.grade}): the tenant's trust settings now accept this proof`;
      await this.confirmDelivered(tx, s, { grade: decision.grade, at, wasShipped, source: 'trust_settings', via: 'recheck', cause }, now);
      return;
    }
    await tx.run(`UPDATE shipments SET recheck_count = ?, recheck_due_at = NULL, recheck_state = 'exhausted', updated_at = ? WHERE id = ?`, [checksDone, now, s.id]);
    await appendEvent(tx, { tenantId: s.tenant_id, type: 'shipment.delivery_unconfirmed_final', aggregateType: 'shipment', aggregateId: s.id, at: now, payload: { shipmentId: s.id, trustGrade: s.trust_grade, reason: decision.reason } });
    await this.history(tx, s, now, `delivery not confirmed: ${decision.reason}`, { shipmentId: s.id, checks: checksDone });
  }

  // ---------- "Not received" ----------

  async reportNotReceived(who: Principal, shipmentId: string, input: { note?: string | undefined }, now = Date.now()): Promise<{ items: CaseView[] }> {
    const ids = await this.db.transaction(async (tx) => {
      const f = shipmentScopeSql(who.scope, 'shipments');
      const [s] = await this.lockTracked(tx, `id = ? AND tenant_id = ? AND ${f.text}`, [shipmentId, who.tenantId, ...f.params], false);
      if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${shipmentId} does not exist`);
      const delivery = s.carrier_delivered_at !== null && isGrade(s.trust_grade) ? { at: Number(s.carrier_delivered_at), grade: s.trust_grade } : null;
      const decision = decideNotReceived({ complaintAt: now, delivery }, await this.trustPolicyIn(tx, s.tenant_id));
      if (decision.action === 'no_delivery_recorded') throw new HubError('SHIPMENT_STATE', `shipment ${s.id}: ${decision.reason}; nothing to dispute yet`, { trackingStatus: s.tracking_status });
      const reason = input.note ? `${decision.reason} — ${input.note.slice(0, 500)}` : decision.reason;
      const out: string[] = [];
      for (const orderId of JSON.parse(s.order_ids) as string[]) {
        const open = await tx.get<{ id: string; priority: string }>(`SELECT id, priority FROM aftersale_cases WHERE shipment_id = ? AND order_id = ? AND kind = 'not_received' AND state = 'open'`, [s.id, orderId]);
        if (open) {
          // A second complaint never lowers a case; it raises a normal one that has become urgent.
          if (open.priority === 'normal' && decision.priority === 'urgent') await tx.run(`UPDATE aftersale_cases SET priority = 'urgent', reason = ?, updated_at = ? WHERE id = ?`, [reason, now, open.id]);
          out.push(open.id);
          continue;
        }
        const id = `AS-${newId(now)}`;
        caseMachine.start('open');
        await tx.run(
          `INSERT INTO aftersale_cases (id, tenant_id, order_id, shipment_id, kind, priority, state, reason, opened_by, opened_at, updated_at) VALUES (?, ?, ?, ?, 'not_received', ?, 'open', ?, ?, ?, ?)`,
          [id, s.tenant_id, orderId, s.id, decision.priority, reason, who.name, now, now],
        );
        await appendEvent(tx, { tenantId: s.tenant_id, type: 'aftersale_case.opened', aggregateType: 'aftersale_case', aggregateId: id, at: now, payload: { caseId: id, orderId, shipmentId: s.id, kind: 'not_received', priority: decision.priority } });
        await appendHistory(tx, { tenantId: s.tenant_id, orderId, at: now, kind: 'fulfilment', cause: `${who.name}: not received`, detail: { shipmentId: s.id, caseId: id, priority: decision.priority, reason: decision.reason } });
        await appendAudit(tx, this.keyring, who, { action: 'aftersale_case.open', targetType: 'aftersale_case', targetId: id, after: { orderId, shipmentId: s.id, kind: 'not_received', priority: decision.priority } }, now);
        out.push(id);
      }
      return out;
    });
    return { items: await this.caseRows(who, `id IN (${ids.map(() => '?').join(', ')})`, ids) };
  }

  private async caseRows(who: Principal, where: string, params: SqlValue[]): Promise<CaseView[]> {
    if (where.includes('IN ()')) return [];
    const f = caseScopeSql(who.scope, 'aftersale_cases');
    const rows = await this.db.read.all<{ id: string; order_id: string; shipment_id: string | null; kind: string; priority: string; state: string; reason: string; opened_by: string; opened_at: number }>(
      `SELECT id, order_id, shipment_id, kind, priority, state, reason, opened_by, opened_at FROM aftersale_cases WHERE tenant_id = ? AND ${where} AND ${f.text}
       ORDER BY CASE priority WHEN 'urgent' THEN 0 ELSE 1 END, opened_at, id LIMIT 500`,
      [who.tenantId, ...params, ...f.params],
    );
    return rows.map((r) => ({
      id: r.id,
      orderId: r.order_id,
      shipmentId: r.shipment_id,
      kind: r.kind,
      priority: r.priority === 'urgent' ? 'urgent' : 'normal',
      state: r.state,
      reason: r.reason,
      openedBy: r.opened_by,
      openedAt: toIso(Number(r.opened_at)),
    }));
  }

  async cases(who: Principal, f: { state?: string | undefined }): Promise<{ items: CaseView[] }> {
    return { items: await this.caseRows(who, f.state ? 'state = ?' : '1 = 1', f.state ? [f.state] : []) };
  }

  // ---------- Reads ----------

  async tracking(who: Principal, shipmentId: string): Promise<TrackingView> {
    const f = shipmentScopeSql(who.scope, 'shipments');
    const s = await this.db.read.get<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE id = ? AND tenant_id = ? AND ${f.text}`, [shipmentId, who.tenantId, ...f.params]);
    if (!s) throw new HubError('SHIPMENT_NOT_FOUND', `shipment ${shipmentId} does not exist`);
    const events = await this.db.read.all<{ at: number; status: string; raw_status: string | null; raw_sub_status: string | null; location: string | null; description: string; evidence: string }>(
      'SELECT at, status, raw_status, raw_sub_status, location, description, evidence FROM tracking_events WHERE shipment_id = ? ORDER BY at, id',
      [s.id],
    );
    return {
      shipment: {
        id: s.id,
        carrier: s.carrier,
        trackingNo: s.tracking_no,
        trackingStatus: s.tracking_status,
        trustGrade: s.trust_grade,
        deliveredAt: toIso(num(s.carrier_delivered_at)),
      },
      events: events.map((e) => ({
        at: toIso(Number(e.at)),
        status: e.status,
        rawStatus: e.raw_sub_status ?? e.raw_status,
        location: e.location,
        description: e.description,
        evidence: JSON.parse(e.evidence) as EvidenceHint[],
      })),
    };
  }

  /** Trust rate per carrier and per delivering outlet over the last `days` days of deliveries. */
  async trustBoard(who: Principal, days: number, now = Date.now()): Promise<{ carriers: (TrustRow & { carrier: string })[]; outlets: (TrustRow & { outlet: string; carrier: string })[] }> {
    const policy = await this.trustPolicyIn(this.db.read, who.tenantId);
    // Counted over the shipments the principal's scope sees.
    const f = shipmentScopeSql(who.scope, 'shipments');
    const rows = await this.db.read.all<{ carrier: string | null; outlet: string | null; grade: string; c: number }>(
      `SELECT carrier, delivery_outlet AS outlet, trust_grade AS grade, COUNT(*) AS c FROM shipments
       WHERE tenant_id = ? AND trust_grade IS NOT NULL AND carrier_delivered_at >= ? AND ${f.text} GROUP BY carrier, delivery_outlet, trust_grade`,
      [who.tenantId, now - days * 86_400_000, ...f.params],
    );
    const tally = (key: (r: (typeof rows)[number]) => string) => {
      const m = new Map<string, TrustRow>();
      for (const r of rows) {
        if (!isGrade(r.grade)) continue;
        const k = key(r);
        const t = m.get(k) ?? { delivered: 0, trusted: 0, trustRate: 0, byGrade: { signature_or_otp: 0, photo: 0, locker_or_station: 0, scan_only: 0 } };
        const c = Number(r.c);
        t.delivered += c;
        if (isTrusted(r.grade, policy)) t.trusted += c;
        t.byGrade[r.grade] += c;
        t.trustRate = t.delivered ? t.trusted / t.delivered : 0;
        m.set(k, t);
      }
      return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    };
    return {
      carriers: tally((r) => r.carrier ?? 'unknown').map(([carrier, t]) => ({ carrier, ...t })),
      // An outlet is a place of one carrier: two carriers' stations of the same name are two rows.
      outlets: tally((r) => JSON.stringify([r.outlet ?? 'unknown', r.carrier ?? 'unknown'])).map(([key, t]) => {
        const [outlet, carrier] = JSON.parse(key) as [string, string];
        return { outlet, carrier, ...t };
      }),
    };
  }

  // ---------- Settings ----------

  private async storedSettings(q: Reader | Tx, tenantId: string): Promise<{ settings: string; updated_at: number; updated_by: string } | null> {
    return (await q.get<{ settings: string; updated_at: number; updated_by: string }>('SELECT settings, updated_at, updated_by FROM tracking_settings WHERE tenant_id = ?', [tenantId])) ?? null;
  }

  /** The trust policy in force for a tenant: its own settings, or the hub's default. */
  async trustPolicyIn(q: Reader | Tx, tenantId: string): Promise<TrustPolicy> {
    const row = await this.storedSettings(q, tenantId);
    return row ? trustPolicyOf(readStoredSettings(row.settings)) : this.settings.trust;
  }

  /** The alert policies of the tenants among these that saved settings (the others use the worker's default). */
  async alertPoliciesIn(q: Reader | Tx, tenantIds: readonly string[]): Promise<Map<string, TrackingAlertPolicy>> {
    const ids = [...new Set(tenantIds)];
    if (ids.length === 0) return new Map();
    const rows = await q.all<{ tenant_id: string; settings: string }>(`SELECT tenant_id, settings FROM tracking_settings WHERE tenant_id IN (${ids.map(() => '?').join(', ')})`, ids);
    return new Map(rows.map((r) => [r.tenant_id, alertPolicyOf(readStoredSettings(r.settings))]));
  }

  async settingsView(who: Principal): Promise<TrackingSettingsView> {
    const row = await this.storedSettings(this.db.read, who.tenantId);
    if (!row) return { ...structuredClone(defaultTenantTrackingSettings), custom: false, updatedAt: null, updatedBy: null };
    return { ...readStoredSettings(row.settings), custom: true, updatedAt: toIso(Number(row.updated_at)), updatedBy: row.updated_by };
  }

  /**
   * Changes the fields given (the others keep their value, or the default); every problem of the patch is refused
   * with VALIDATION_FAILED before anything is written. Audited, with an event, in one transaction.
   */
  async saveSettings(who: Principal, patch: TrackingSettingsPatch, now = Date.now()): Promise<TrackingSettingsView> {
    if (Object.values(patch).every((v) => v === undefined)) throw new HubError('VALIDATION_FAILED', 'no setting given: name at least one field to change');
    applySettingsPatch(defaultTenantTrackingSettings, patch);
    const saved = await this.db.transaction(async (tx) => {
      // A row first (so concurrent saves queue on its lock instead of both starting from the defaults).
      const created = await tx.get<{ tenant_id: string }>(
        'INSERT INTO tracking_settings (tenant_id, settings, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id) DO NOTHING RETURNING tenant_id',
        [who.tenantId, JSON.stringify(defaultTenantTrackingSettings), now, who.name],
      );
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
      const row = await tx.get<{ settings: string }>(`SELECT settings FROM tracking_settings WHERE tenant_id = ?${lock}`, [who.tenantId]);
      const before = readStoredSettings(row?.settings);
      const after = applySettingsPatch(before, patch);
      await tx.run('UPDATE tracking_settings SET settings = ?, updated_at = ?, updated_by = ? WHERE tenant_id = ?', [JSON.stringify(after), now, who.name, who.tenantId]);
      const changed = (Object.keys(after) as (keyof TenantTrackingSettings)[]).filter((k) => JSON.stringify(after[k]) !== JSON.stringify(before[k]));
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'tracking_settings.update', targetType: 'tracking_settings', targetId: who.tenantId, before: created ? null : before, after, detail: { changed, wereDefaults: Boolean(created) } },
        now,
      );
      await appendEvent(tx, { tenantId: who.tenantId, type: 'tracking_settings.updated', aggregateType: 'tracking_settings', aggregateId: who.tenantId, at: now, payload: { changed } });
      return after;
    });
    return { ...saved, custom: true, updatedAt: toIso(now), updatedBy: who.name };
  }
}
