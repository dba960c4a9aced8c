// The polling safety net: every account whose platform can be pulled is pulled on a schedule, even while pushes
// work. Each run covers [watermark − overlap, now) in windows the platform allows, stores every order it finds like
// a push (a raw event, then the same ingest), and counts what pushes had missed ("recovered by polling").
//
// Jobs and leases: a pull is per account and must not run twice at once (the same windows asked twice, the watermark
// raced), so each run holds the lease `pull:<account id>` — renewed while a long run walks its windows, released at its
// end — and any hub process may run any account when it is due: one at a time, and after taking the lease a process
// checks the account is still due (another may have just pulled it). The run's record (watermark, next run) commits
// behind a fence on that lease, and the watermark only moves forward. Leases go through `writes`, so on SQLite they are
// writes of the writer thread like the rest. Announced-order fetches (Shopee, Douyin) are not leased: each answers a
// push that only the process which received it knows of.
import { HubError } from '../../kernel/errors.ts';
import { storableText, storableValue } from '../../kernel/text.ts';
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/db/database.ts';
import { adapterFor } from './connectors/registry.ts';
import { PullError, type ChannelAdapter, type PulledOrder } from './connectors/types.ts';
import type { AccountService } from './accounts.ts';
import { recoveredOutcomes, type PullRunRecord } from './pull-run.ts';
import type { WriteApi } from '../../app/commands.ts';
import type { DriftWatch } from './drift-watch.ts';
import { LeaseKeeper, type Lease } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';

export interface PollerOptions {
  /** How often each account is pulled; 0 switches scheduled pulls off (a run can still be asked for). */
  intervalMs: number;
  /** Each run reaches back this far behind the watermark: orders modified at a window's edge are not lost. */
  overlapMs: number;
  /** Where the first pull of a new account starts. */
  lookbackMs: number;
  /** Windows one run may walk through when catching up after a long pause. */
  maxWindowsPerRun: number;
  /** A pull request that takes longer is abandoned (and the run fails). */
  requestTimeoutMs: number;
  /**
   * Shorter intervals for platforms whose only feed is the pull (JD: JMQ is not HTTP; PDD: its push is a WebSocket):
   * each account is pulled at the shorter of this and `intervalMs`. One enSearch / increment call a run for a quiet shop.
   */
  intervalByPlatformMs?: Readonly<Record<string, number>>;
}

export const defaultPollerOptions: PollerOptions = {
  intervalMs: 5 * 60_000,
  overlapMs: 60 * 60_000,
  lookbackMs: 24 * 60 * 60_000,
  maxWindowsPerRun: 100,
  requestTimeoutMs: 30_000,
  // 30 s: a median status-sync delay of about 15 s plus the ingest. Two calls a minute per shop is far inside the call
  // quotas the apps get by default (neither platform publishes a per-shop minimum interval for these list calls).
  intervalByPlatformMs: { jd: 30_000, pinduoduo: 30_000 },
};

const maxBackoffMs = 60 * 60_000;
const defaultMaxWindowMs = 24 * 60 * 60_000;

export interface PullableAccount {
  id: string;
  tenantId: string;
  platform: string;
  active: boolean;
  credentials: unknown;
}

export class Poller {
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;
  private jobAdded = false;
  private readonly running = new Map<string, Promise<PullRunRecord | null>>();
  private readonly fetching = new Set<Promise<void>>();
  private readonly announced = new Map<
    string,
    { account: PullableAccount; ids: Set<string>; from: number | undefined; to: number | undefined; untimed: boolean; running: Promise<void> | null }
  >();

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly writes: WriteApi,
    private readonly drift: DriftWatch | null,
    private readonly log: Logger,
    private readonly opts: PollerOptions = defaultPollerOptions,
    private readonly fetchImpl: typeof fetch = fetch,
    leases?: LeaseKeeper,
  ) {
    this.leases =
      leases ??
      new LeaseKeeper({ acquire: (n, h, t) => writes.acquireLease(n, h, t), renew: (l, t) => writes.renewLease(l, t), release: (l) => writes.releaseLease(l) }, log);
    this.runner = new JobRunner(log);
  }

  /** Looks for due accounts every `tickMs` (by default every 5 s, or each interval when pulls are more frequent). */
  start(tickMs = Math.max(1_000, Math.min(5_000, this.opts.intervalMs))): void {
    if (this.opts.intervalMs <= 0) return;
    if (!this.jobAdded) {
      this.jobAdded = true;
      this.runner.add({ name: 'pull', failureMessage: 'poller pass failed', everyMs: tickMs, firstRunAfterMs: Math.min(tickMs, 1_000), run: async () => void (await this.runDue()) });
    }
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await Promise.allSettled([...this.running.values()]);
    await this.idle();
  }

  /** Runs every account whose turn has come (new accounts at once), two at a time. */
  async runDue(now = Date.now()): Promise<PullRunRecord[]> {
    const rows = await this.db.read.all<{ id: string; platform: string; next_run_at: number | null }>(
      `SELECT a.id, a.platform, s.next_run_at FROM channel_accounts a LEFT JOIN pull_state s ON s.account_id = a.id
       WHERE a.active = 1 AND a.deleted_at IS NULL`,
    );
    const due: typeof rows = [];
    for (const r of rows) {
      const adapter = adapterFor(r.platform) as ChannelAdapter<unknown> | undefined;
      if (!adapter?.pull || (r.next_run_at !== null && Number(r.next_run_at) > now)) continue;
      // A push-only setup (a Shopify shop without an API token) is not pulled on a schedule, nor alerted about.
      if (adapter.pullConfigured) {
        const account = await this.accounts.forIngest(r.id, now);
        if (!account || !adapter.pullConfigured(account.credentials)) continue;
      }
      due.push(r);
    }
    const out: PullRunRecord[] = [];
    for (let i = 0; i < due.length; i += 2) {
      const batch = due.slice(i, i + 2).map((r) => this.runLeased(r.id, now).catch((e: unknown) => this.log.error({ err: e, accountId: r.id }, 'pull run failed')));
      for (const r of await Promise.all(batch)) if (r) out.push(r);
    }
    return out;
  }

  /**
   * Pulls one account now (a run already under way for it here is joined, not doubled). Refused with CONFLICT while
   * another hub process is pulling it.
   */
  async runAccount(accountId: string): Promise<PullRunRecord> {
    const running = this.running.get(accountId);
    const joined = running ? await running.catch(() => null) : null;
    if (joined) return joined;
    const r = await this.runLeased(accountId, null);
    if (!r) throw new HubError('CONFLICT', `account ${accountId} is being pulled by another hub process right now; try again in a moment`);
    return r;
  }

  /**
   * One run under the account's lease. `dueBy`: a scheduled run, made only if the account is still due at that time once
   * the lease is held (null: asked for by hand). Null when another process holds the lease, or has just pulled it.
   */
  private runLeased(accountId: string, dueBy: number | null): Promise<PullRunRecord | null> {
    const running = this.running.get(accountId);
    if (running) return running;
    const p = this.leases
      .withLease(`pull:${accountId}`, async (lease, lost) => {
        if (dueBy !== null) {
          const s = await this.db.read.get<{ next_run_at: number }>('SELECT next_run_at FROM pull_state WHERE account_id = ?', [accountId]);
          if (s && Number(s.next_run_at) > dueBy) return null;
        }
        return this.run(accountId, lease, lost);
      })
      .then((r) => r?.value ?? null)
      .finally(() => {
        if (this.running.get(accountId) === p) this.running.delete(accountId);
      });
    this.running.set(accountId, p);
    return p;
  }

  /**
   * Fetches orders a push announced without carrying them (Shopee, Douyin), right after the push was answered. Per
   * account, announcements that arrive while a fetch runs are gathered into the next one (a burst of pushes is a
   * few fetches, not one each). A failure is logged and left to the scheduled pull, which finds the orders anyway.
   */
  fetchAnnounced(account: PullableAccount, ann: { ids: string[]; at?: number | undefined }): void {
    let q = this.announced.get(account.id);
    if (!q) {
      q = { account, ids: new Set(), from: undefined, to: undefined, untimed: false, running: null };
      this.announced.set(account.id, q);
    }
    for (const id of ann.ids) q.ids.add(id);
    if (ann.at !== undefined) {
      q.from = Math.min(q.from ?? ann.at, ann.at);
      q.to = Math.max(q.to ?? ann.at, ann.at);
    } else {
      q.untimed = true;
    }
    if (q.running) return;
    const queue = q;
    const drain = async () => {
      while (queue.ids.size) {
        // The window fallback covers every time the batch named (or the last ten minutes when one named none).
        const batch = { ids: [...queue.ids], from: queue.untimed ? undefined : queue.from, to: queue.untimed ? undefined : queue.to };
        queue.ids.clear();
        queue.from = undefined;
        queue.to = undefined;
        queue.untimed = false;
        await this.fetchNow(queue.account, batch).catch((e: unknown) =>
          this.log.warn({ err: e, accountId: queue.account.id, platform: queue.account.platform }, 'fetching announced orders failed; the next pull will find them'),
        );
      }
    };
    const start = () => {
      const p: Promise<void> = drain().finally(() => {
        this.fetching.delete(p);
        // Announced after the loop last looked, before this ran: drain again rather than drop them.
        if (queue.ids.size) return start();
        queue.running = null;
        this.announced.delete(account.id);
      });
      queue.running = p;
      this.fetching.add(p);
    };
    start();
  }

  /** Waits for announced-order fetches under way (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.fetching.size) await Promise.all([...this.fetching]);
  }

  private async fetchNow(account: PullableAccount, ann: { ids: string[]; from: number | undefined; to: number | undefined }): Promise<void> {
    const adapter = adapterFor(account.platform) as ChannelAdapter<unknown> | undefined;
    if (!adapter) return;
    const timeout = this.opts.requestTimeoutMs;
    const ctx = { credentials: account.credentials, fetch: ((input, init) => this.fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeout) })) as typeof fetch, now: () => Date.now() };
    const items: PulledOrder[] = [];
    if (adapter.fetchOrders) {
      for (let i = 0; i < ann.ids.length; i += 50) items.push(...(await adapter.fetchOrders(ctx, ann.ids.slice(i, i + 50))));
    } else if (adapter.pull) {
      // No fetch by id: a short window around the announced times finds them (ten minutes back when none was named).
      const now = Date.now();
      const from = ann.from === undefined ? now - 10 * 60_000 : ann.from - 60_000;
      const to = Math.min(now + 1000, (ann.to ?? now) + 60_000);
      const wanted = new Set(ann.ids);
      for await (const page of adapter.pull({ ...ctx, from, to })) {
        items.push(...page.filter((p) => wanted.has(p.order.platformOrderId)));
      }
    }
    await Promise.all(items.map((item) => this.store(account, item, 'fetch')));
  }

  /**
   * Stores one pulled order like a push: a raw event under an id that repeats for the same version, then the same
   * ingest. The same version fetched again with different bytes (a field that changes without the modified time)
   * is what is stored already: null.
   */
  private async store(account: PullableAccount, item: PulledOrder, via: 'pull' | 'fetch') {
    try {
      return await this.writes.ingest({
        tenantId: account.tenantId,
        accountId: account.id,
        channel: account.platform,
        eventId: storableText(`pull:${item.eventId}`),
        receivedAt: Date.now(),
        headers: {},
        rawBody: item.rawBody,
        // As for a push: what the platform says is made storable, the raw bytes are kept as fetched.
        orders: [storableValue(item.order)],
        via,
      });
    } catch (e) {
      if (e instanceof HubError && e.code === 'CONFLICT') return null;
      throw e;
    }
  }

  /** How often an account of this platform is pulled (a platform's own interval only brings it down). */
  intervalFor(platform: string): number {
    const own = this.opts.intervalByPlatformMs?.[platform];
    return own !== undefined && own > 0 ? Math.min(own, this.opts.intervalMs) : this.opts.intervalMs;
  }

  private async run(accountId: string, lease: Lease, lost: AbortSignal): Promise<PullRunRecord> {
    const account = (await this.accounts.get(accountId)) as PullableAccount | null;
    if (!account) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${accountId} does not exist`);
    const adapter = adapterFor(account.platform) as ChannelAdapter<unknown> | undefined;
    if (!adapter?.pull) throw new HubError('PLATFORM_NOT_SUPPORTED', `${account.platform} cannot be pulled`);
    if (!account.active) throw new HubError('ACCOUNT_INACTIVE', `account ${accountId} is switched off`);
    const startedAt = Date.now();
    const state = await this.db.read.get<{ watermark: number; failures: number }>('SELECT watermark, failures FROM pull_state WHERE account_id = ?', [accountId]);
    let watermark = state ? Number(state.watermark) : startedAt - this.opts.lookbackMs;
    const maxWindow = Math.max(60_000, adapter.maxPullWindowMs ?? defaultMaxWindowMs);
    const from = watermark - this.opts.overlapMs;
    const record: PullRunRecord = {
      tenantId: account.tenantId,
      accountId,
      platform: account.platform,
      startedAt,
      finishedAt: startedAt,
      windowFrom: from,
      windowTo: from,
      pages: 0,
      fetched: 0,
      created: 0,
      updated: 0,
      recovered: 0,
      errorCode: null,
      error: null,
      rateLimited: false,
      watermark,
      nextRunAt: startedAt + this.intervalFor(account.platform),
      failures: 0,
      lease,
    };
    const timeout = this.opts.requestTimeoutMs;
    // A lost lease stops the run's requests: another process is pulling this account now.
    const fetchWithTimeout: typeof fetch = (input, init) => this.fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.any([AbortSignal.timeout(timeout), lost]) });
    try {
      let start = from;
      for (let w = 0; w < this.opts.maxWindowsPerRun && start < startedAt; w++) {
        const end = Math.min(startedAt, start + maxWindow);
        for await (const page of adapter.pull({ credentials: account.credentials, from: start, to: end, fetch: fetchWithTimeout, now: () => Date.now() })) {
          record.pages += 1;
          record.fetched += page.length;
          const results = await Promise.all(page.map((item) => this.store(account, item, 'pull')));
          for (const r of results) {
            if (!r || r.duplicateDelivery) continue;
            // A newer version than the hub had (created, or updated even where the anchor status stays): pushes missed it.
            const outcome = r.orders[0]?.outcome;
            if (outcome === 'created') record.created += 1;
            if (outcome === 'updated' || outcome === 'unchanged') record.updated += 1;
            if (outcome && recoveredOutcomes.includes(outcome)) record.recovered += 1;
          }
          for (const item of page) this.drift?.observe(account, 'pull', item.rawBody);
        }
        record.windowTo = end;
        watermark = Math.max(watermark, end);
        start = end;
      }
      record.watermark = watermark;
      // Still behind (a long pause, a narrow platform window): the next run comes at once, not after the interval.
      if (start < startedAt) record.nextRunAt = Date.now();
    } catch (e) {
      record.watermark = watermark;
      const failures = (state?.failures ?? 0) + 1;
      if (e instanceof PullError) {
        record.errorCode = e.code;
        record.error = e.message;
        record.rateLimited = Boolean(e.opts.rateLimited);
      } else if (e instanceof HubError) {
        record.errorCode = e.code;
        record.error = e.message;
      } else {
        record.errorCode = 'NETWORK';
        record.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      if (record.rateLimited) {
        // The platform asked to slow down: wait as long as it says, without counting a failure.
        record.failures = state?.failures ?? 0;
        record.nextRunAt = Date.now() + (e instanceof PullError && e.opts.retryAfterMs ? e.opts.retryAfterMs : 60_000);
      } else {
        record.failures = failures;
        record.nextRunAt = Date.now() + Math.min(maxBackoffMs, Math.max(this.opts.intervalMs, 30_000) * 2 ** (failures - 1));
      }
      this.log.warn({ accountId, platform: account.platform, code: record.errorCode, rateLimited: record.rateLimited, failures: record.failures }, `pull failed: ${record.error ?? ''}`);
    }
    record.finishedAt = Date.now();
    await this.writes.recordPull(record);
    // Recorded: a pull asked for from now on is a new run that reads the platform again, not this one joined while its
    // lease is being let go (it would answer with what the platform said before the ask).
    this.running.delete(accountId);
    if (record.recovered > 0) this.log.info({ accountId, platform: account.platform, recovered: record.recovered }, 'pull recovered orders that pushes had missed');
    return record;
  }
}
