// Stock sync (库存同步): tells each platform what a listing may sell. Runs where writes run (the writer thread on
// SQLite), on the job loop, beside the outbound worker.
//
// How a change reaches the platform: every stock change appends `stock.changed` in its own transaction (inventory's
// store); the relay hands it to the stock sync feed below, a leased transactional subscriber that marks the SKU's
// matched listings due (store/listing-sync.ts) with its cursor. The worker claims due listings — the ones going to 0
// first — and for each computes the quantity again from the stock as it is at that moment (never more than is sellable
// then), calls the platform's setStock, and records what it said. Limits, 5xx and the network are retried with
// jittered back-off (Retry-After when the platform names one); a refusal is kept on the listing. A full push on a
// schedule makes every listing due, writing over what was changed on the platform behind the hub's back.
//
// Each account's claimed listings are written in a lane of their own, paced to the platform's rate (write-pacing.ts,
// shared with the outbound worker); lanes of different accounts run side by side, so one shop held to its platform's
// rate does not hold up the writes of the others.
import type { Database } from '../../platform/db/database.ts';
import type { Logger } from '../../platform/log.ts';
import { newHolderId, type LeaseKeeper } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
import type { OutboxEvent, Subscriber } from '../../platform/outbox/relay.ts';
import type { EventType, HubEvent } from '../../kernel/events.ts';
import type { AccountService } from './accounts.ts';
import { adapterFor } from './connectors/registry.ts';
import { PlatformWriteError, type ChannelAdapter, type PlatformCallTrace } from './connectors/types.ts';
import type { CallAbout } from './store/call-log.ts';
import {
  claimDueListings,
  keepListingClaim,
  markAllListingsDue,
  markListingsOfSkus,
  recordStockWrite,
  sellableNow,
  skusOfAccountListings,
  type ListingClaim,
  type ListingRow,
  type StockWriteOutcome,
} from './store/listing-sync.ts';
import type { WritePacer } from './write-pacing.ts';

/** One stock write as it happened (for the benchmark and tests: what was computed when, and what the platform got). */
export interface StockWriteRecord {
  listingId: number;
  accountId: string;
  sku: string;
  quantity: number;
  /** Just before the stock was read for this write (epoch ms). */
  computedAt: number;
  doneAt: number;
  outcome: StockWriteOutcome['kind'];
}

export interface StockSyncOptions {
  /** How often the worker looks for due listings. */
  pollMs: number;
  /** Changes within this time make one write (a listing going to 0 is not held back). */
  gatherMs: number;
  /** The full push: every listing written again this often (repairs drift made on the platform). */
  fullPushEveryMs: number;
  /** The first retry's delay; doubling up to ten minutes, ±25 % jitter. */
  retryBaseMs: number;
  callTimeoutMs: number;
  /** Listings claimed (and written at once) per pass. */
  batch: number;
  fetch?: typeof fetch;
  /** Paces each account's requests to its platform's rate (shared with the outbound worker); absent: not paced. */
  pacer?: WritePacer;
  /** Called after each write (in-process only: benchmarks and tests). */
  onWrite?: (r: StockWriteRecord) => void;
}

export const defaultStockSyncOptions: StockSyncOptions = { pollMs: 250, gatherMs: 1000, fullPushEveryMs: 30 * 60_000, retryBaseMs: 5000, callTimeoutMs: 30_000, batch: 20 };

const claimMs = 60_000;

export function stockSyncBackoff(attempts: number, baseMs: number, random = Math.random): number {
  const plain = Math.min(600_000, baseMs * 2 ** Math.min(attempts, 16));
  return Math.round(plain * (0.75 + random() * 0.5));
}

/** The SKUs an event says moved, for the stock sync feed. */
function skusOf(e: OutboxEvent): string[] {
  const p = e.payload;
  switch (e.type as EventType) {
    case 'stock.changed':
      return (p as HubEvent<'stock.changed'>['payload']).skus;
    case 'stock.set':
      return [(p as HubEvent<'stock.set'>['payload']).sku];
    case 'stock.adjusted':
      return (p as HubEvent<'stock.adjusted'>['payload']).changes.map((c) => c.sku);
    case 'stock.allocation_changed': {
      const sku = (p as HubEvent<'stock.allocation_changed'>['payload']).sku;
      return sku === null ? [] : [sku];
    }
    default:
      return [];
  }
}

/**
 * The outbox subscriber that turns stock changes into due listings. Transactional: the marks commit with its cursor,
 * under its lease, so a change is marked once even when two hub processes run.
 */
export function stockSyncFeed(opts: Pick<StockSyncOptions, 'gatherMs'>, afterMark: () => void = () => undefined): Subscriber {
  return {
    name: 'stock-sync',
    types: ['stock.changed', 'stock.set', 'stock.adjusted', 'stock.allocation_changed'],
    transactional: true,
    async handle(events, tx) {
      if (!tx) throw new Error('the stock sync feed needs a transaction');
      const now = Date.now();
      const byTenant = new Map<string, Set<string>>();
      const add = (tenant: string, skus: readonly string[]) => {
        const set = byTenant.get(tenant) ?? new Set<string>();
        for (const s of skus) set.add(s);
        byTenant.set(tenant, set);
      };
      for (const e of events) {
        add(e.tenantId, skusOf(e));
        if (e.type === 'stock.allocation_changed') {
          const accountId = (e.payload as HubEvent<'stock.allocation_changed'>['payload']).accountId;
          if (accountId !== null) add(e.tenantId, await skusOfAccountListings(tx, e.tenantId, accountId));
        }
      }
      let marked = 0;
      for (const [tenant, skus] of byTenant) marked += await markListingsOfSkus(tx, tenant, [...skus], now, opts);
      if (marked) afterMark();
    },
  };
}

export class StockSyncWorker {
  private readonly runner: JobRunner;
  private readonly holder: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** The account lanes under way in this process: account id → the lane's end. */
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly log: Logger,
    private readonly opts: StockSyncOptions,
    leases: Pick<LeaseKeeper, 'holder'> = { holder: newHolderId() },
  ) {
    this.holder = leases.holder;
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'stock-sync', failureMessage: 'stock sync pass failed', everyMs: opts.pollMs, run: async () => void (await this.startDue(Date.now())) });
    this.runner.add({
      name: 'stock-sync-full',
      failureMessage: 'stock sync full push failed',
      everyMs: opts.fullPushEveryMs,
      firstRunAfterMs: opts.fullPushEveryMs,
      run: async () => void (await this.fullPush()),
    });
  }

  start(): void {
    this.runner.start();
  }

  poke(): void {
    this.runner.poke('stock-sync');
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.queue;
    await this.idle();
  }

  /** Resolves when no account lane of this process is under way. */
  async idle(): Promise<void> {
    while (this.lanes.size) await Promise.allSettled([...this.lanes.values()]);
  }

  /** Makes every matched listing due now (the scheduled full push; also on demand). */
  async fullPush(now = Date.now()): Promise<number> {
    const n = await markAllListingsDue(this.db, now);
    if (n) this.log.info({ listings: n }, 'stock sync: full push');
    this.poke();
    return n;
  }

  /**
   * Writes every listing due at `now` and waits for the writes; returns how many were attempted. Lanes already under
   * way finish first, so their accounts' due listings are in this pass too.
   */
  async runDue(now = Date.now()): Promise<number> {
    await this.idle();
    const { claimed, done } = await this.startDue(now);
    await done;
    return claimed;
  }

  /**
   * One pass: claims due listings of the accounts with no lane under way here, a batch at a time, and starts a lane per
   * account (its writes at once, each waiting its turn under the platform's rate); not waited for — a lane ending asks
   * for the next pass. Passes run one at a time.
   */
  private startDue(now: number): Promise<{ claimed: number; done: Promise<void> }> {
    const run = this.queue.then(async () => {
      let claimed = 0;
      const started: Promise<void>[] = [];
      for (;;) {
        const claim = await claimDueListings(this.db, this.holder, now, this.opts.batch, claimMs, [...this.lanes.keys()]);
        if (!claim) break;
        claimed += claim.rows.length;
        const byAccount = new Map<string, ListingRow[]>();
        for (const l of claim.rows) byAccount.set(l.account_id, [...(byAccount.get(l.account_id) ?? []), l]);
        const lanes = [...byAccount].map(([accountId, rows]) => this.startLane(accountId, rows, claim));
        const keeper = setInterval(() => void keepListingClaim(this.db, claim, claimMs).catch(() => undefined), claimMs / 3);
        keeper.unref();
        const all = Promise.all(lanes).finally(() => clearInterval(keeper));
        started.push(all.then(() => undefined));
        // Listings marked meanwhile are due at their own time.
        now = Date.now();
      }
      return { claimed, done: Promise.all(started).then(() => undefined) };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private startLane(accountId: string, rows: ListingRow[], claim: ListingClaim): Promise<void> {
    const lane = Promise.all(rows.map((l) => this.write(l, claim)))
      .then(() => undefined)
      .catch((e: unknown) => this.log.error({ err: e, accountId }, 'stock sync lane failed'))
      .finally(() => {
        this.lanes.delete(accountId);
        // The account's listings marked while this lane ran are claimed at once (when due).
        this.runner.poke('stock-sync');
      });
    this.lanes.set(accountId, lane);
    return lane;
  }

  private async write(l: ListingRow, claim: ListingClaim): Promise<void> {
    const computedAt = Date.now();
    const calls: PlatformCallTrace[] = [];
    const { outcome, platform } = await this.attempt(l, calls);
    const doneAt = Date.now();
    const about: CallAbout = {
      tenantId: l.tenant_id,
      accountId: l.account_id,
      platform,
      kind: 'stock',
      subject: l.platform_sku_id ? `${l.platform_item_id}:${l.platform_sku_id}` : l.platform_item_id,
      listingId: Number(l.id),
      attempt: Number(l.sync_attempts) + 1,
    };
    await recordStockWrite(this.db, Number(l.id), claim, outcome, doneAt, this.opts.gatherMs, { about, calls });
    if (this.opts.onWrite && outcome.kind !== 'skipped')
      this.opts.onWrite({ listingId: Number(l.id), accountId: l.account_id, sku: l.sku ?? '', quantity: outcome.kind === 'done' ? outcome.quantity : -1, computedAt, doneAt, outcome: outcome.kind });
  }

  private async attempt(l: ListingRow, calls: PlatformCallTrace[]): Promise<{ outcome: StockWriteOutcome; platform: string }> {
    const account = await this.accounts.get(l.account_id);
    const platform = account?.platform ?? '';
    return { outcome: await this.attemptWith(l, account, calls), platform };
  }

  private async attemptWith(l: ListingRow, account: Awaited<ReturnType<AccountService['get']>>, calls: PlatformCallTrace[]): Promise<StockWriteOutcome> {
    const adapter = account ? (adapterFor(account.platform) as ChannelAdapter<unknown> | undefined) : undefined;
    if (!account || !account.active || !adapter?.setStock) {
      return { kind: 'skipped', code: 'NO_CLIENT', error: account ? `${account.platform} has no stock write (or the account is paused)` : 'the channel account is gone' };
    }
    // Computed now, from the stock as it is: a reservation committed since the mark is counted.
    const quantity = await sellableNow(this.db.read, l);
    if (quantity === null) return { kind: 'skipped', code: 'SYNC_OFF', error: null };
    const signal = AbortSignal.timeout(this.opts.callTimeoutMs);
    let ref: Record<string, string> = {};
    try {
      ref = JSON.parse(l.ref) as Record<string, string>;
    } catch {
      ref = {};
    }
    try {
      const res = await adapter.setStock(
        {
          credentials: account.credentials,
          fetch: this.opts.fetch ?? fetch,
          now: Date.now,
          signal,
          settings: account.settings,
          learned: account.learned,
          learn: (facts) => this.accounts.learn(account.id, facts),
          onCall: (c) => calls.push(c),
          pace: this.opts.pacer ? () => (this.opts.pacer as WritePacer).pace(account.id, account.platform, signal) : undefined,
        },
        {
          listing: { platformItemId: l.platform_item_id, platformSkuId: l.platform_sku_id, ref },
          quantity,
          // What the hub wrote last, and where: a compare-and-set platform (Shopify) notices a change made since.
          expected: l.synced_quantity === null ? null : Number(l.synced_quantity),
          expectedTarget: l.synced_target,
          listingId: Number(l.id),
        },
      );
      if (res.drift) {
        // Not a failure: the hub's number is written over it. Kept on the listing (drift_*) for the seller to see.
        this.log.info(
          { platform: account.platform, accountId: account.id, listingId: Number(l.id), lastWritten: res.drift.expected, found: res.drift.found, written: quantity },
          'stock sync: the platform showed another quantity than the hub last wrote; written over',
        );
      }
      this.log.debug({ platform: account.platform, accountId: account.id, listingId: Number(l.id), quantity }, 'stock written');
      return { kind: 'done', quantity, target: res.target ?? null, drift: res.drift ?? null };
    } catch (e) {
      const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
      const attempts = Number(l.sync_attempts) + 1;
      this.log.warn({ platform: account.platform, accountId: account.id, listingId: Number(l.id), attempts, code: err.code, status: err.opts.status, refused: Boolean(err.opts.refused) }, 'stock write failed');
      if (err.opts.refused) return { kind: 'refused', code: err.code, error: err.message };
      const wait = Math.max(stockSyncBackoff(attempts - 1, this.opts.retryBaseMs), err.opts.retryAfterMs ?? 0);
      return { kind: 'retry', code: err.code, error: err.message, nextAt: Date.now() + wait };
    }
  }
}
