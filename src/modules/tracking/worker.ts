// Tracking in the background: subscribes shipped numbers with the tenant's source (scheduled from the outbox's
// shipment.shipped, retried with back-off), re-checks untrusted deliveries, re-queries shipments without news, and
// raises tracking alerts. Calls to a source never run inside a transaction: ask first, then store what came back.
//
// Jobs and leases: subscriptions and re-checks are timers, rows of a table: each pass claims the due ones (claims.ts:
// FOR UPDATE SKIP LOCKED on PostgreSQL), so two hub processes never ask a source about the same timer at once, and a
// timer fires (claimTimer) only under the claim it was worked under. The periodic pass (alerts, stale re-queries) walks
// every shipment: one process at a time runs it, the holder of the lease `tracking:pass`; its effects are idempotent
// (an alert is raised once per key, a re-query's answer is recorded once per body), so no fence is needed beyond it.
import { createHash } from 'node:crypto';
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/db/database.ts';
import { raiseAlert } from '../health/alerts.ts';
import { appendEvent } from '../../platform/outbox/append.ts';
import { claimTimer, retryTimer, scheduleTimer } from '../../platform/jobs/timer-store.ts';
import { claimDue } from '../../platform/jobs/claims.ts';
import { dbNow, LeaseKeeper, sqlLeaseStore } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
import { trackingAlerts, defaultTrackingAlertPolicy, type TrackingAlertPolicy } from './domain/alerts.ts';
import { rebase, trackingAdapter, type TrackedParcel } from './sources/registry.ts';
import type { OutboundRequest, TrackingEvent, TrackingStatus, TrackingUpdate } from './sources/types.ts';
import type { TrackingAccountService } from './accounts.ts';
import type { TrackingAccount } from './account-views.ts';
import type { TrackingService } from './service.ts';
import { trackedColumns, type TrackedShipmentRow } from './store/tracked-shipments.ts';
import type { Subscriber } from '../../platform/outbox/relay.ts';

export interface TrackingWorkerOptions {
  pollMs: number;
  /** How often alerts are computed and stale shipments re-queried. */
  passMs: number;
  /** A shipped shipment without news for this long is asked about again. */
  staleAfterMs: number;
  /** Subscription retries: base delay, doubled per failure, capped; then given up with an alert. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  timeoutMs: number;
  /** Where sources push to (Kuaidi100 takes the callback URL with each subscription). */
  publicBase: string;
  /** Alert thresholds for tenants that did not set their own (PUT /api/tracking/settings). */
  alerts: TrackingAlertPolicy;
}

export const defaultTrackingWorkerOptions: TrackingWorkerOptions = {
  pollMs: 1000,
  passMs: 10 * 60_000,
  staleAfterMs: 24 * 3_600_000,
  retryBaseMs: 30_000,
  retryMaxMs: 3_600_000,
  maxAttempts: 12,
  timeoutMs: 10_000,
  publicBase: 'http://127.0.0.1:3000',
  alerts: defaultTrackingAlertPolicy,
};

/** Turns shipment.shipped into a subscription timer, in the relay's transaction (only for tenants with a source). */
export function trackingSubscriptionFeed(): Subscriber {
  return {
    name: 'tracking-subscriptions',
    types: ['shipment.shipped'],
    transactional: true,
    async handle(events, tx) {
      if (!tx) throw new Error('the tracking subscription feed needs a transaction');
      const now = Date.now();
      for (const e of events) {
        const source = await tx.get<{ id: string }>('SELECT id FROM tracking_accounts WHERE tenant_id = ? AND active = 1 AND deleted_at IS NULL LIMIT 1', [e.tenantId]);
        if (source) await scheduleTimer(tx, e.tenantId, 'tracking_subscribe', e.aggregateId, now, now);
      }
    },
  };
}

interface Answer {
  status: number;
  body: string;
}

export class TrackingWorker {
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;

  constructor(
    private readonly db: Database,
    private readonly tracking: TrackingService,
    private readonly accounts: TrackingAccountService,
    private readonly log: Logger,
    private readonly opts: TrackingWorkerOptions = defaultTrackingWorkerOptions,
    private readonly fetchFn: typeof fetch = fetch,
    leases?: LeaseKeeper,
  ) {
    this.leases = leases ?? new LeaseKeeper(sqlLeaseStore(db), log);
    this.runner = new JobRunner(log, this.leases);
    this.runner.add({ name: 'tracking-timers', failureMessage: 'tracking pass failed', everyMs: this.opts.pollMs, run: async () => void (await this.runDue()) });
    this.runner.add({
      name: 'tracking-pass',
      failureMessage: 'tracking alert pass failed',
      everyMs: this.opts.passMs,
      firstRunAfterMs: this.opts.passMs,
      leader: 'tracking:pass',
      run: async () => {
        const now = Date.now();
        await this.alertPass(now);
        await this.requeryStale(now);
      },
    });
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** Fires the tracking timers due at `now` (tests pass a later now to drive the re-check schedule). */
  async runDue(now = Date.now()): Promise<number> {
    const where = `state = 'pending' AND kind IN ('tracking_recheck', 'tracking_subscribe') AND due_at <= ?`;
    // A look on the read connection first: with nothing due, no write at all.
    const any = await this.db.read.get(`SELECT id FROM timers WHERE ${where} AND (claimed_until IS NULL OR claimed_until <= ${dbNow(this.db.dialect)}) LIMIT 1`, [now]);
    if (!any) return 0;
    const claim = await claimDue<{ id: number; kind: string; ref: string; attempts: number; due_at: number }>(this.db, this.leases.holder, {
      table: 'timers',
      where,
      params: [now],
      orderBy: 'due_at, id',
      limit: 100,
      columns: 'id, kind, ref, attempts, due_at',
    });
    const due = claim.rows.sort((a, b) => Number(a.due_at) - Number(b.due_at) || Number(a.id) - Number(b.id));
    for (const row of due) {
      const t = { id: Number(row.id), kind: row.kind, ref: row.ref, attempts: Number(row.attempts), claim: claim.token };
      await claim.keep();
      try {
        if (t.kind === 'tracking_subscribe') await this.subscribe(t, now);
        else await this.recheck(t, now);
      } catch (e) {
        this.log.error({ err: e, timer: t.id, kind: t.kind }, 'tracking timer failed; will retry');
        await this.db.transaction((tx) => retryTimer(tx, t.id, (e as Error).message, now + 30_000, now, t.claim));
      }
    }
    return due.length;
  }

  private async send(req: OutboundRequest): Promise<Answer> {
    const res = await this.fetchFn(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.method === 'POST' ? { body: req.body } : {}),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  }

  private async shipment(id: string): Promise<TrackedShipmentRow | null> {
    return (await this.db.read.get<TrackedShipmentRow>(`SELECT ${trackedColumns} FROM shipments WHERE id = ?`, [id])) ?? null;
  }

  private parcel(s: TrackedShipmentRow): TrackedParcel {
    return { trackingNo: s.tracking_no ?? '', carrier: s.carrier ?? '', ref: s.tracking_ref };
  }

  private async accountOf(s: TrackedShipmentRow): Promise<TrackingAccount | null> {
    const a = s.tracking_account_id ? await this.accounts.get(s.tracking_account_id) : null;
    return a?.active ? a : this.accounts.forTenant(s.tenant_id);
  }

  /** Registers a shipped number with the tenant's source; a refusal or an outage is tried again later. */
  private async subscribe(t: { id: number; ref: string; attempts: number; claim: string }, now: number): Promise<void> {
    const s = await this.shipment(t.ref);
    const account = s?.tracking_no ? await this.accounts.forTenant(s.tenant_id) : null;
    if (!s || !account) {
      await this.db.transaction((tx) => claimTimer(tx, t.id, now, { claim: t.claim }));
      return;
    }
    const adapter = trackingAdapter(account.source);
    const callback = `${this.opts.publicBase.replace(/\/$/, '')}/hooks/tracking/${account.source}/${account.id}`;
    let result: { ok: boolean; ref: string | null; message: string };
    try {
      const a = await this.send(rebase(account.source, adapter.subscribeRequest(account.credentials, this.parcel(s), callback), account.apiBase));
      result = adapter.subscribeResult(a.status, a.body);
      if (!result.ok && a.status >= 400) result.message = `HTTP ${a.status} ${result.message}`;
    } catch (e) {
      result = { ok: false, ref: null, message: (e as Error).message };
    }
    await this.db.transaction(async (tx) => {
      if (result.ok) {
        if (!(await claimTimer(tx, t.id, now, { claim: t.claim }))) return;
        await tx.run('UPDATE shipments SET tracking_account_id = ?, tracking_ref = COALESCE(?, tracking_ref), subscribed_at = ?, updated_at = ? WHERE id = ?', [account.id, result.ref, now, now, s.id]);
        await appendEvent(tx, { tenantId: s.tenant_id, type: 'shipment.tracking_subscribed', aggregateType: 'shipment', aggregateId: s.id, at: now, payload: { shipmentId: s.id, source: account.source, trackingAccountId: account.id } });
        return;
      }
      const attempts = Number(t.attempts) + 1;
      const release = 'claimed_by = NULL, claimed_until = NULL';
      if (attempts >= this.opts.maxAttempts) {
        const n = await tx.run(`UPDATE timers SET state = 'failed', attempts = ?, last_error = ?, updated_at = ?, ${release} WHERE id = ? AND state = 'pending' AND claimed_by = ?`, [
          attempts,
          result.message.slice(0, 500),
          now,
          t.id,
          t.claim,
        ]);
        if (n !== 1) return; // taken over after this claim lapsed: the other pass decides
        await raiseAlert(tx, { tenantId: s.tenant_id, accountId: account.id, platform: account.source, kind: 'TRACKING_SUBSCRIBE_FAILED', key: s.id, message: `shipment ${s.id}: ${account.source} refused the subscription ${attempts} times (${result.message})`, at: now });
        return;
      }
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempts - 1));
      await tx.run(`UPDATE timers SET attempts = ?, last_error = ?, due_at = ?, updated_at = ?, ${release} WHERE id = ? AND state = 'pending' AND claimed_by = ?`, [
        attempts,
        result.message.slice(0, 500),
        now + delay,
        now,
        t.id,
        t.claim,
      ]);
    });
    if (!result.ok) this.log.warn({ shipmentId: s.id, source: account.source, attempt: Number(t.attempts) + 1 }, `tracking subscription refused: ${result.message}`);
  }

  /** Asks the source about one shipment; its answer (if any) applied, with `after` in the same transaction. */
  private async query(s: TrackedShipmentRow, now: number, after?: { timerId: number; claim: string }): Promise<void> {
    const account = await this.accountOf(s);
    let answer: Answer | null = null;
    let problem: string | null = null;
    const adapter = account ? trackingAdapter(account.source) : null;
    const req = account && adapter ? adapter.queryRequest(account.credentials, this.parcel(s)) : null;
    if (account && req) {
      try {
        answer = await this.send(rebase(account.source, req, account.apiBase));
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    let update: TrackingUpdate | null = null;
    try {
      update = answer && adapter ? adapter.queryUpdate(answer.status, answer.body) : null;
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem) this.log.warn({ shipmentId: s.id, source: account?.source }, `tracking query failed: ${problem}`);
    await this.db.transaction(async (tx) => {
      // The shipment (and its orders, which a re-check may deliver) before its timer: the one lock order.
      if (after) await this.tracking.lockTracked(tx, 'id = ?', [s.id], true);
      if (after && !(await claimTimer(tx, after.timerId, now, { claim: after.claim, timed: { kind: 'tracking_recheck', ref: s.id } }))) return;
      if (update && account && answer) {
        const { content: _content, ...facts } = update;
        await this.tracking.recordIn(
          tx,
          {
            tenantId: s.tenant_id,
            trackingAccountId: account.id,
            source: account.source,
            via: 'query',
            receivedAt: now,
            headers: {},
            body: Buffer.from(answer.body, 'utf8'),
            bodySha256: createHash('sha256').update(answer.body, 'utf8').digest('hex'),
            update: facts,
            shipmentId: s.id,
          },
          now,
        );
      } else {
        await tx.run('UPDATE shipments SET tracking_checked_at = ? WHERE id = ?', [now, s.id]);
      }
      if (after) await this.tracking.afterRecheckIn(tx, s.id, now);
    });
  }

  private async recheck(t: { id: number; ref: string; claim: string }, now: number): Promise<void> {
    const s = await this.shipment(t.ref);
    if (!s || s.recheck_state !== 'pending') {
      await this.db.transaction((tx) => claimTimer(tx, t.id, now, { claim: t.claim }));
      return;
    }
    await this.query(s, now, { timerId: t.id, claim: t.claim });
  }

  /** Shipped shipments without news for staleAfterMs are asked about again (a few per pass). */
  async requeryStale(now = Date.now(), limit = 40): Promise<number> {
    const rows = await this.db.read.all<TrackedShipmentRow>(
      `SELECT ${trackedColumns} FROM shipments WHERE state = 'shipped' AND tracking_no IS NOT NULL
         AND COALESCE(tracking_checked_at, shipped_at) < ? AND (recheck_state IS NULL OR recheck_state <> 'pending')
       ORDER BY COALESCE(tracking_checked_at, shipped_at) LIMIT ?`,
      [now - this.opts.staleAfterMs, limit],
    );
    for (const s of rows) {
      try {
        await this.query(s, now);
      } catch (e) {
        this.log.warn({ err: e, shipmentId: s.id }, 'stale re-query failed');
      }
    }
    return rows.length;
  }

  /** Tracking alerts (no pickup scan, first event far from ship, stuck, returned) for shipments still on the way. */
  async alertPass(now = Date.now()): Promise<number> {
    let raised = 0;
    let after = '';
    for (;;) {
      const rows = await this.db.read.all<{ id: string; tenant_id: string; shipped_at: number; tracking_account_id: string | null }>(
        `SELECT id, tenant_id, shipped_at, tracking_account_id FROM shipments WHERE state = 'shipped' AND shipped_at IS NOT NULL AND id > ? ORDER BY id LIMIT 500`,
        [after],
      );
      if (rows.length === 0) return raised;
      after = rows[rows.length - 1]?.id ?? after;
      const ids = rows.map((r) => r.id);
      const events = await this.db.read.all<{ shipment_id: string; at: number; status: string }>(
        `SELECT shipment_id, at, status FROM tracking_events WHERE shipment_id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      const byShipment = new Map<string, TrackingEvent[]>();
      for (const e of events) {
        const list = byShipment.get(e.shipment_id) ?? [];
        list.push({ at: Number(e.at), status: e.status as TrackingStatus, location: null, description: '', rawStatus: null, evidence: [] });
        byShipment.set(e.shipment_id, list);
      }
      // Each tenant's own thresholds where it set them; the worker's default otherwise.
      const policies = await this.tracking.alertPoliciesIn(this.db.read, rows.map((r) => r.tenant_id));
      const found = rows.flatMap((r) =>
        trackingAlerts({ shippedAt: Number(r.shipped_at), events: byShipment.get(r.id) ?? [] }, now, policies.get(r.tenant_id) ?? this.opts.alerts).map((a) => ({ r, a })),
      );
      if (found.length) {
        await this.db.transaction(async (tx) => {
          for (const { r, a } of found) {
            await raiseAlert(tx, {
              tenantId: r.tenant_id,
              // Alerts hang off an account; a shipment not yet tied to a tracking account uses the tenant's tracking row.
              accountId: r.tracking_account_id ?? `tracking:${r.tenant_id}`,
              platform: 'tracking',
              kind: a.kind,
              key: r.id,
              message: `shipment ${r.id}: ${a.message}`,
              detail: { shipmentId: r.id, since: a.since },
              at: now,
            });
          }
        });
        raised += found.length;
      }
      if (rows.length < 500) return raised;
    }
  }
}
