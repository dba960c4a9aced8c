// How each channel account is doing: deliveries received and refused, what polling recovered, drift alerts, the pull
// log and its watermark; and the writes behind them (a pull run, a drift finding, an acknowledged alert, a replay).
import { HubError } from '../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../kernel/principal.ts';
import { rawEventScopeSql, toKysely } from '../../kernel/scope.ts';
import { toIso } from '../../kernel/time.ts';
import { storableValue } from '../../kernel/text.ts';
import type { ShapeStats } from './domain/drift.ts';
import { adapterFor } from './connectors/registry.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import { fence, type Lease } from '../../platform/jobs/leases.ts';
import { raiseAlert } from '../health/alerts.ts';
import { appendAudit } from '../access/audit.ts';
import type { IngestService, OrderResult } from '../orders/ingest/ingest.ts';
import type { AccountService } from './accounts.ts';
import { acknowledge, alertFor, listAlerts, openAlertCount } from '../health/alerts.ts';

/** One pull run as the poller saw it, with the pull state it leaves behind. */
export interface PullRunRecord {
  tenantId: string;
  accountId: string;
  platform: string;
  startedAt: number;
  finishedAt: number;
  windowFrom: number;
  windowTo: number;
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  recovered: number;
  errorCode: string | null;
  error: string | null;
  rateLimited: boolean;
  /** The state after the run: orders modified before `watermark` have been pulled. */
  watermark: number;
  nextRunAt: number;
  failures: number;
  /** The lease the run held (`pull:<account id>`): its record commits only while that lease is still held. */
  lease?: Lease | undefined;
}

export interface DriftRecord {
  tenantId: string;
  accountId: string;
  platform: string;
  shape: string;
  at: number;
  /** The learnt stats to keep (null: nothing new to keep). */
  stats: ShapeStats | null;
  findings: { kind: string; key: string; message: string }[];
}

const day = 24 * 3_600_000;
/** A pulled version the hub did not have yet (newer than what pushes brought): "recovered by polling". */
export const recoveredOutcomes: readonly string[] = ['created', 'updated', 'unchanged'];

export class IntegrationService {
  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly accounts: AccountService,
    /** Present where writes run (replay needs it). */
    private readonly ingest: IngestService | null = null,
  ) {}

  // ---- writes -------------------------------------------------------------------------------------------------

  async recordPull(r: PullRunRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (r.lease) await fence(tx, r.lease);
      await tx.run(
        `INSERT INTO pull_log (tenant_id, account_id, started_at, finished_at, window_from, window_to, pages, fetched, created, updated, recovered,
           error_code, error, rate_limited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.tenantId,
          r.accountId,
          r.startedAt,
          r.finishedAt,
          r.windowFrom,
          r.windowTo,
          r.pages,
          r.fetched,
          r.created,
          r.updated,
          r.recovered,
          r.errorCode,
          r.error?.slice(0, 1000) ?? null,
          r.rateLimited ? 1 : 0,
        ],
      );
      await tx.run(
        `INSERT INTO pull_state (account_id, tenant_id, watermark, next_run_at, failures, last_error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET
           watermark = CASE WHEN pull_state.watermark > excluded.watermark THEN pull_state.watermark ELSE excluded.watermark END,
           next_run_at = excluded.next_run_at, failures = excluded.failures,
           last_error = excluded.last_error, updated_at = excluded.updated_at`,
        [r.accountId, r.tenantId, r.watermark, r.nextRunAt, r.failures, r.errorCode ? `${r.errorCode}: ${r.error ?? ''}`.slice(0, 1000) : null, r.finishedAt],
      );
      if (r.errorCode && !r.rateLimited) {
        await raiseAlert(tx, {
          tenantId: r.tenantId,
          accountId: r.accountId,
          platform: r.platform,
          kind: 'pull_error',
          key: r.errorCode,
          message: `pull failed with ${r.errorCode}: ${r.error ?? ''}`,
          at: r.finishedAt,
        });
      }
      if (r.failures >= 3) {
        await raiseAlert(tx, {
          tenantId: r.tenantId,
          accountId: r.accountId,
          platform: r.platform,
          kind: 'pull_failing',
          key: 'pull',
          message: `${r.failures} pulls in a row failed: orders that pushes miss are not being recovered (last: ${r.errorCode ?? ''})`,
          at: r.finishedAt,
        });
      }
    });
  }

  async recordDrift(r: DriftRecord): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (r.stats) {
        await tx.run(
          `INSERT INTO contract_shapes (account_id, shape, deliveries, mean_bytes, max_bytes, fields, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (account_id, shape) DO UPDATE SET deliveries = excluded.deliveries, mean_bytes = excluded.mean_bytes,
             max_bytes = excluded.max_bytes, fields = excluded.fields, updated_at = excluded.updated_at`,
          [r.accountId, r.shape, r.stats.deliveries, Math.round(r.stats.meanBytes), r.stats.maxBytes, JSON.stringify(r.stats.fields), r.at],
        );
      }
      for (const f of r.findings) {
        await raiseAlert(tx, {
          tenantId: r.tenantId,
          accountId: r.accountId,
          platform: r.platform,
          kind: f.kind,
          key: `${r.shape}:${f.key}`,
          message: f.message,
          detail: { shape: r.shape },
          at: r.at,
        });
      }
    });
  }

  async acknowledgeAlert(who: Principal, id: number, now = Date.now()): Promise<{ id: number; acknowledgedAt: string | null }> {
    requirePermission(who, 'accounts.manage');
    return this.db.transaction(async (tx) => {
      const a = await alertFor(tx, who, id);
      if (!a) throw new HubError('ALERT_NOT_FOUND', `alert ${id} does not exist`);
      if (a.acknowledged_at === null) {
        await acknowledge(tx, id, who.name, now);
        await appendAudit(tx, this.keyring, who, { action: 'channel_alert.acknowledge', targetType: 'channel_account', targetId: a.account_id, detail: { alert: id, kind: a.kind, key: a.alert_key } }, now);
      }
      return { id, acknowledgedAt: toIso(a.acknowledged_at ?? now) };
    });
  }

  /**
   * Runs a stored raw event through its adapter again (after a dictionary or mapping fix) and applies what it says
   * now. An order that has moved on since is not moved back (the stale guard); the same source time is re-applied.
   */
  async replay(who: Principal, rawEventId: number, now = Date.now()): Promise<{ rawEventId: number; orders: OrderResult[] }> {
    requirePermission(who, 'accounts.manage');
    if (!this.ingest) throw new Error('replay runs where writes run');
    const ingest = this.ingest;
    const f = rawEventScopeSql(who.scope, 'raw_events');
    const r = await this.db.read.get<{ tenant_id: string; account_id: string; channel: string; event_id: string; headers: string; body: string; via: string }>(
      `SELECT tenant_id, account_id, channel, event_id, headers, body, via FROM raw_events WHERE id = ? AND tenant_id = ? AND ${f.text}`,
      [rawEventId, who.tenantId, ...f.params],
    );
    if (!r) throw new HubError('RAW_EVENT_NOT_FOUND', `raw event ${rawEventId} does not exist`);
    const adapter = adapterFor(r.channel);
    const body = Buffer.from(this.keyring.decrypt(r.body), 'utf8');
    const headers = JSON.parse(r.headers) as Record<string, string>;
    let orders;
    if (r.via === 'pull') {
      if (!adapter?.parsePulled) throw new HubError('PLATFORM_NOT_SUPPORTED', `${r.channel} cannot read a pulled order again`);
      orders = adapter.parsePulled(body);
    } else {
      if (!adapter?.parsePush) throw new HubError('PLATFORM_NOT_SUPPORTED', `${r.channel} has no push adapter`);
      // Made storable as when it first came (NUL removed, lone surrogates replaced).
      orders = storableValue(adapter.parsePush(body, { eventId: r.event_id, keptHeaders: headers }));
    }
    return this.db.transaction(async (tx) => {
      const results = await ingest.replay(tx, {
        tenantId: r.tenant_id,
        accountId: r.account_id,
        channel: r.channel,
        rawEventId,
        at: now,
        by: who.name,
        orders,
      });
      await appendAudit(
        tx,
        this.keyring,
        who,
        { action: 'raw_event.replay', targetType: 'raw_event', targetId: String(rawEventId), after: results.map((x) => ({ order: x.orderNo, outcome: x.outcome, status: x.status, hold: x.hold })) },
        now,
      );
      return { rawEventId, orders: results };
    });
  }

  // ---- reads --------------------------------------------------------------------------------------------------

  /** The integration page of one account: the last 24 hours, the pull state, open alerts. */
  async overview(who: Principal, accountId: string, now = Date.now()) {
    const a = await this.accounts.getFor(who, accountId);
    const since = now - day;
    // What was received counts the raw events the principal's scope sees (a province scope: its province's orders).
    const f = rawEventScopeSql(who.scope, 'raw_events');
    const counts = await this.db.read.all<{ via: string; outcome: string; events: number; deliveries: number }>(
      `SELECT via, outcome, count(*) AS events, sum(deliveries) AS deliveries FROM raw_events
       WHERE account_id = ? AND received_at >= ? AND ${f.text} GROUP BY via, outcome`,
      [accountId, since, ...f.params],
    );
    const byOutcome: Record<string, number> = {};
    let pushed = 0;
    let pushDeliveries = 0;
    let pulled = 0;
    let fetched = 0;
    let recovered = 0;
    for (const c of counts) {
      const n = Number(c.events);
      if (c.via === 'fetch') {
        fetched += n;
      } else if (c.via === 'pull') {
        pulled += n;
        if (recoveredOutcomes.includes(c.outcome)) recovered += n;
      } else {
        pushed += n;
        pushDeliveries += Number(c.deliveries);
        byOutcome[c.outcome] = (byOutcome[c.outcome] ?? 0) + n;
      }
    }
    const recoveredAllTime = await this.db.read.get<{ n: number }>(
      `SELECT count(*) AS n FROM raw_events WHERE account_id = ? AND via = 'pull' AND outcome IN (${recoveredOutcomes.map(() => '?').join(', ')}) AND ${f.text}`,
      [accountId, ...recoveredOutcomes, ...f.params],
    );
    const state = await this.db.read.get<{ watermark: number; next_run_at: number; failures: number; last_error: string | null }>(
      'SELECT watermark, next_run_at, failures, last_error FROM pull_state WHERE account_id = ?',
      [accountId],
    );
    const lastPull = (await this.pullLog(who, accountId, 1))[0] ?? null;
    const openAlerts = await openAlertCount(this.db.read, accountId);
    const adapter = adapterFor(a.platform);
    return {
      account: { id: a.id, platform: a.platform, name: a.name, active: a.active },
      push: { supported: Boolean(adapter?.verifyPush) },
      pull: { supported: Boolean(adapter?.pull), configured: Boolean(adapter?.pull && (adapter.pullConfigured?.(a.credentials as never) ?? true)) },
      /** pushed: raw events from pushes; fetched: orders a push named and the hub fetched; pulled: the scheduled pulls. */
      last24h: { pushed, pushDeliveries, fetched, pulled, recovered, byOutcome },
      recoveredAllTime: Number(recoveredAllTime?.n ?? 0),
      pullState: state
        ? { watermark: toIso(state.watermark), nextRunAt: toIso(state.next_run_at), failures: state.failures, lastError: state.last_error }
        : null,
      lastPull,
      openAlerts,
    };
  }

  async pullLog(who: Principal, accountId: string, limit = 50) {
    await this.accounts.getFor(who, accountId);
    const rows = await this.db.read.all<{
      id: number;
      started_at: number;
      finished_at: number;
      window_from: number;
      window_to: number;
      pages: number;
      fetched: number;
      created: number;
      updated: number;
      recovered: number;
      error_code: string | null;
      error: string | null;
      rate_limited: number;
    }>('SELECT * FROM pull_log WHERE account_id = ? ORDER BY id DESC LIMIT ?', [accountId, limit]);
    return rows.map((r) => ({
      id: Number(r.id),
      startedAt: toIso(r.started_at),
      durationMs: Number(r.finished_at) - Number(r.started_at),
      windowFrom: toIso(r.window_from),
      windowTo: toIso(r.window_to),
      pages: r.pages,
      fetched: r.fetched,
      created: r.created,
      updated: r.updated,
      recovered: r.recovered,
      errorCode: r.error_code,
      error: r.error,
      rateLimited: Boolean(r.rate_limited),
    }));
  }

  async alerts(who: Principal, f: { accountId?: string | undefined; open?: boolean | undefined; limit?: number | undefined }) {
    if (f.accountId) await this.accounts.getFor(who, f.accountId);
    return listAlerts(this.db, who, f);
  }

  /** The account's latest raw events (newest first), for the replay list: no bodies. */
  async rawEvents(who: Principal, accountId: string, f: { outcome?: string | undefined; limit: number }) {
    await this.accounts.getFor(who, accountId);
    let q = this.db.kysely
      .selectFrom('raw_events')
      .select(['id', 'event_id', 'received_at', 'deliveries', 'outcome', 'order_id', 'via', 'detail'])
      .where('account_id', '=', accountId)
      .where('tenant_id', '=', who.tenantId)
      .where(toKysely(rawEventScopeSql(who.scope, 'raw_events')));
    if (f.outcome) q = q.where('outcome', '=', f.outcome);
    const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      eventId: r.event_id,
      receivedAt: toIso(r.received_at),
      deliveries: r.deliveries,
      outcome: r.outcome,
      orderId: r.order_id,
      via: r.via,
      detail: r.detail,
    }));
  }
}
