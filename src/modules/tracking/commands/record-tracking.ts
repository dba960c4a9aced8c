// Recording tracking: a verified push (or a re-query's answer) is stored raw, deduplicated, mapped to its shipment by
// tracking number (and carrier), and applied in one transaction — events, status without ever moving backwards, the
// delivered event graded, the order delivered once every shipment is trusted-delivered.
import { createHash } from 'node:crypto';
import { deliveredEvidence, gradeDelivery, isTrusted, recheckTimes, strongerGrade } from '../domain/delivery-trust.ts';
import { splitRawStatus } from '../sources/registry.ts';
import type { TrackingSource, TrackingStatus, TrackingUpdate } from '../sources/types.ts';
import type { SqlValue, Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { GroupCommitter } from '../../../platform/db/group-commit.ts';
import { cancelTimer, scheduleTimer } from '../../../platform/jobs/timer-store.ts';
import { shipmentMachine } from '../../fulfilment/domain/shipment-machine.ts';
import type { TrackingDeps } from '../deps.ts';
import { confirmDelivered, shipmentHistory } from '../effects.ts';
import { trustPolicyIn } from '../queries/policies.ts';
import { isGrade, lockTracked, nullableNumber, type TrackedShipmentRow } from '../store/tracked-shipments.ts';

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
  /** The bytes as received, kept byte for byte, and their SHA-256. */
  body: Uint8Array;
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

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Carrier codes differ per source (sf, shunfeng, sf-express): a shipment's own carrier is matched loosely. */
function sameCarrier(ours: string | null, theirs: string | null): boolean {
  if (!ours || !theirs) return false;
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  return squash(ours) === squash(theirs);
}

/**
 * Stores, maps and applies one verified push (or query answer), answered only once it is committed and durable.
 * On SQLite, pushes that arrive together share one transaction (group commit: one writer, so each COMMIT and its
 * page writes are the cost); a push that fails is rolled back alone. On PostgreSQL each has its own transaction on
 * the pool, which commits them side by side.
 */
export async function recordTracking(deps: TrackingDeps, d: TrackingDelivery, now = Date.now()): Promise<TrackingOutcome> {
  if (deps.db.dialect !== 'sqlite') return deps.db.transaction((tx) => recordTrackingIn(deps, tx, d, now));
  deps.pushes ??= new GroupCommitter(deps.db, (tx, p) => recordTrackingIn(deps, tx, p.d, p.now), { maxBatch: 64, lanes: 1, maxQueue: 20_000 }, deps.log);
  return deps.pushes.submit({ d, now });
}

/** The same in the caller's transaction: a re-query's answer commits with the re-check that asked for it. */
export async function recordTrackingIn(deps: TrackingDeps, tx: Tx, d: TrackingDelivery, now: number): Promise<TrackingOutcome> {
  const u = d.update;
  const dedupe = d.via === 'push' && u.eventId ? `event:${u.eventId}` : `${d.via}:${d.bodySha256}`;
  const inserted = await tx.get<{ id: number }>(
    `INSERT INTO tracking_pushes (tenant_id, tracking_account_id, source, dedupe_key, via, tracking_no, received_at, deliveries, last_delivery_at, headers, body, body_sha256, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, 'received') ON CONFLICT (tracking_account_id, dedupe_key) DO NOTHING RETURNING id`,
    [d.tenantId, d.trackingAccountId, d.source, dedupe, d.via, u.trackingNumber, d.receivedAt, d.receivedAt, JSON.stringify(d.headers), deps.keyring.encryptBytes(d.body), d.bodySha256],
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
  const s = await findShipment(tx, d);
  if (!s) {
    await tx.run(`UPDATE tracking_pushes SET outcome = 'unmatched' WHERE id = ?`, [pushId]);
    return { duplicate: false, outcome: 'unmatched', shipmentId: null, pushId };
  }
  const outcome = await applyUpdate(deps, tx, s, d, pushId, now);
  await tx.run('UPDATE tracking_pushes SET outcome = ?, shipment_id = ? WHERE id = ?', [outcome, s.id, pushId]);
  return { duplicate: false, outcome, shipmentId: s.id, pushId };
}

async function findShipment(tx: Tx, d: TrackingDelivery): Promise<TrackedShipmentRow | null> {
  // A delivery may move the shipment's orders: they are locked first (the one lock order: orders, then shipments).
  const withOrders = d.update.status === 'delivered';
  const found = d.shipmentId
    ? await lockTracked(tx, 'id = ? AND tenant_id = ?', [d.shipmentId, d.tenantId], withOrders)
    : await lockTracked(tx, 'tenant_id = ? AND tracking_no = ?', [d.tenantId, d.update.trackingNumber], withOrders);
  if (found.length <= 1) return found[0] ?? null;
  // The same number with two carriers: the source's carrier code decides, or nothing is applied.
  const matching = found.filter((s) => sameCarrier(s.carrier, d.update.carrierCode));
  return matching.length === 1 ? (matching[0] as TrackedShipmentRow) : null;
}

async function applyUpdate(deps: TrackingDeps, tx: Tx, s: TrackedShipmentRow, d: TrackingDelivery, pushId: number, now: number): Promise<TrackingOutcomeKind> {
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
  const prev = nullableNumber(s.last_event_at);
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
    if (changed) await shipmentHistory(tx, s, now, `${d.source} tracking: ${known}`, { shipmentId: s.id, tracking: known, rawStatus: u.rawStatus });
  } else {
    await tx.run('UPDATE shipments SET tracking_checked_at = ? WHERE id = ?', [now, s.id]);
  }
  if (delivery) changed = (await applyDelivered(deps, tx, s, d, latest ?? prev, now)) || changed;
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
async function applyDelivered(deps: TrackingDeps, tx: Tx, s: TrackedShipmentRow, d: TrackingDelivery, latest: number | null, now: number): Promise<boolean> {
  const ev = deliveredEvidence(d.update);
  if (!ev) return false;
  let grade = gradeDelivery(ev);
  if (isGrade(s.trust_grade)) grade = strongerGrade(grade, s.trust_grade);
  const policy = await trustPolicyIn(deps, tx, s.tenant_id);
  const at = ev.at ?? latest ?? now;
  const outlet = [...d.update.events].reverse().find((e) => e.status === 'delivered')?.location ?? s.delivery_outlet;
  // The newest event time seen, never an older one (a re-check may re-state an old delivery).
  const prev = nullableNumber(s.last_event_at);
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
    await confirmDelivered(deps, tx, s, { grade, at, wasShipped, source: d.source, via: d.via, cause: `${d.source} tracking: delivered (${grade})` }, now);
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
  await shipmentHistory(tx, s, now, `${d.source} tracking: delivered, not confirmed (${grade})`, { shipmentId: s.id, tracking: 'delivered_unconfirmed', trustGrade: grade, recheckAt: times }, at);
  return true;
}
