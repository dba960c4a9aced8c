// The listing pull (商品下载) as a job: each channel account whose platform has a listing API is pulled when it is new,
// then every `intervalMs` (6 h by default), and whenever a person asks. A run reads the shop's listings page by page
// with the platform's own signing, stores each page (upserted by the platform's ids, matched by merchant code) and, when
// it read every page, marks the listings it did not see as gone.
//
// Like the order pull, a run holds a lease — `listings:<account id>`, apart from the order pull's `pull:<account id>`,
// so a long catalogue does not hold the orders up — and every page it stores is fenced on that lease; any hub process
// may run any account when it is due, one at a time. Writes go through `writes` (the writer thread on SQLite).
import { HubError } from '../../kernel/errors.ts';
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/db/database.ts';
import { LeaseKeeper, type Lease } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
import type { WriteApi } from '../../app/commands.ts';
import type { AccountService } from './accounts.ts';
import { adapterFor } from './connectors/registry.ts';
import { PlatformWriteError, PullError, type ChannelAdapter } from './connectors/types.ts';

export interface ListingPullerOptions {
  /** Between two pulls of an account; 0: only pulls asked for. */
  intervalMs: number;
  /** One platform request that takes longer is abandoned (and the run fails). */
  requestTimeoutMs: number;
  /** How often due accounts are looked for. */
  tickMs: number;
}

export const defaultListingPullerOptions: ListingPullerOptions = { intervalMs: 6 * 3_600_000, requestTimeoutMs: 30_000, tickMs: 5_000 };

/** A run's outcome, as recorded. */
export interface ListingPullResult {
  accountId: string;
  startedAt: number;
  finishedAt: number;
  pages: number;
  seen: number;
  matched: number;
  unmatched: number;
  gone: number;
  errorCode: string | null;
  error: string | null;
}

/** Far enough to mean "not on a schedule" and still an ordinary number in every column. */
const never = 8_640_000_000_000_000;

/** True when the account's platform has a listing API and the account's credentials can use it. */
export function canPullListings(platform: string, credentials: unknown): boolean {
  const adapter = adapterFor(platform) as ChannelAdapter<unknown> | undefined;
  if (!adapter?.pullListings) return false;
  return adapter.pullConfigured ? adapter.pullConfigured(credentials) : true;
}

export class ListingPuller {
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;
  private readonly running = new Map<string, Promise<ListingPullResult | null>>();
  private started = false;

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly writes: WriteApi,
    private readonly log: Logger,
    private readonly opts: ListingPullerOptions = defaultListingPullerOptions,
    private readonly fetchImpl: typeof fetch = fetch,
    leases?: LeaseKeeper,
  ) {
    this.leases =
      leases ??
      new LeaseKeeper({ acquire: (n, h, t) => writes.acquireLease(n, h, t), renew: (l, t) => writes.renewLease(l, t), release: (l) => writes.releaseLease(l) }, log);
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'listings', failureMessage: 'listing pull pass failed', everyMs: opts.tickMs, firstRunAfterMs: Math.min(opts.tickMs, 1_000), run: async () => void (await this.runDue()) });
  }

  /** Nothing when the interval is 0: scheduled listing pulls (and the first one of a new account) are off; asking still works. */
  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.started = true;
    this.runner.start();
  }

  async stop(): Promise<void> {
    if (this.started) await this.runner.stop();
    await Promise.allSettled([...this.running.values()]);
  }

  /** Pulls every account whose turn has come (a new account at once), one after another. */
  async runDue(now = Date.now()): Promise<ListingPullResult[]> {
    const rows = await this.db.read.all<{ id: string; platform: string; next_run_at: number | null }>(
      `SELECT a.id, a.platform, p.next_run_at FROM channel_accounts a LEFT JOIN listing_pulls p ON p.account_id = a.id
       WHERE a.active = 1 AND a.deleted_at IS NULL`,
    );
    const out: ListingPullResult[] = [];
    for (const r of rows) {
      if (r.next_run_at !== null && Number(r.next_run_at) > now) continue;
      if (!(adapterFor(r.platform) as ChannelAdapter<unknown> | undefined)?.pullListings) continue;
      const account = await this.accounts.forIngest(r.id, now);
      if (!account || !canPullListings(account.platform, account.credentials)) continue;
      const res = await this.runLeased(r.id, now).catch((e: unknown) => {
        this.log.error({ err: e, accountId: r.id }, 'listing pull failed');
        return null;
      });
      if (res) out.push(res);
    }
    return out;
  }

  /**
   * Starts a pull of one account now, without waiting for it (a run already under way here is joined). The answer
   * says whether this process runs it; false when another hub process holds the account's listing lease.
   */
  request(accountId: string): Promise<ListingPullResult | null> {
    const p = this.runLeased(accountId, null);
    p.catch((e: unknown) => this.log.error({ err: e, accountId }, 'listing pull failed'));
    return p;
  }

  /** Pulls one account and waits for the end; refused with CONFLICT while another process pulls it. */
  async runAccount(accountId: string): Promise<ListingPullResult> {
    const r = await this.runLeased(accountId, null);
    if (!r) throw new HubError('CONFLICT', `the listings of account ${accountId} are being pulled by another hub process right now`);
    return r;
  }

  /** True while this process pulls the account's listings. */
  isRunning(accountId: string): boolean {
    return this.running.has(accountId);
  }

  private runLeased(accountId: string, dueBy: number | null): Promise<ListingPullResult | null> {
    const running = this.running.get(accountId);
    if (running) return running;
    const p = this.leases
      .withLease(`listings:${accountId}`, async (lease, lost) => {
        if (dueBy !== null) {
          // Another process may have pulled it between the look and the lease.
          const s = await this.db.read.get<{ next_run_at: number }>('SELECT next_run_at FROM listing_pulls WHERE account_id = ?', [accountId]);
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

  private async run(accountId: string, lease: Lease, lost: AbortSignal): Promise<ListingPullResult> {
    const account = await this.accounts.get(accountId);
    if (!account) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${accountId} does not exist`);
    const adapter = adapterFor(account.platform) as ChannelAdapter<unknown> | undefined;
    if (!adapter?.pullListings) throw new HubError('PLATFORM_NOT_SUPPORTED', `${account.platform} has no listing API`);
    const owner = { tenantId: account.tenantId, accountId, channel: account.platform };
    const startedAt = Date.now();
    const previous = await this.db.read.get<{ failures: number }>('SELECT failures FROM listing_pulls WHERE account_id = ?', [accountId]);
    await this.writes.startListingPull({ ...owner, startedAt, lease });
    const timeout = this.opts.requestTimeoutMs;
    // A lost lease stops the run's requests: another process pulls this account now.
    const fetchWithTimeout: typeof fetch = (input, init) => this.fetchImpl(input, { ...init, signal: init?.signal ?? AbortSignal.any([AbortSignal.timeout(timeout), lost]) });
    let pages = 0;
    let complete = false;
    let errorCode: string | null = null;
    let error: string | null = null;
    let retryAfterMs = 0;
    let refused = false;
    try {
      for await (const page of adapter.pullListings({ credentials: account.credentials, fetch: fetchWithTimeout, now: () => Date.now(), signal: lost })) {
        pages += 1;
        if (page.length) await this.writes.recordListingPage({ ...owner, lease }, page, startedAt);
      }
      complete = true;
    } catch (e) {
      if (e instanceof PlatformWriteError) {
        errorCode = e.code;
        error = e.message;
        refused = Boolean(e.opts.refused);
        retryAfterMs = e.opts.retryAfterMs ?? 0;
      } else if (e instanceof PullError || e instanceof HubError) {
        errorCode = e.code;
        error = e.message;
      } else {
        errorCode = 'NETWORK';
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      this.log.warn({ accountId, platform: account.platform, code: errorCode, pages }, `listing pull failed: ${error}`);
    }
    const finishedAt = Date.now();
    const failures = complete ? 0 : Number(previous?.failures ?? 0) + 1;
    const interval = this.opts.intervalMs > 0 ? this.opts.intervalMs : never - finishedAt;
    // A failure that may pass (the network, a limit) is tried again sooner than the schedule: 5 min, doubling.
    const nextRunAt = complete || refused ? finishedAt + interval : finishedAt + Math.min(interval, Math.max(retryAfterMs, 5 * 60_000 * 2 ** Math.min(failures - 1, 10)));
    const counts = await this.writes.finishListingPull({ ...owner, startedAt, finishedAt, complete, errorCode, error, failures, nextRunAt, lease });
    // Recorded: a pull asked for from now on is a new run, not this one joined while its lease is being let go.
    this.running.delete(accountId);
    this.log.info({ accountId, platform: account.platform, pages, ...counts, code: errorCode }, 'listing pull done');
    return { accountId, startedAt, finishedAt, pages, ...counts, errorCode, error };
  }
}
