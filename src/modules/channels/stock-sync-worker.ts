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
  private queue: Promise<number> = Promise.resolve(0);

  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
    private readonly log: Logger,
    private readonly opts: StockSyncOptions,
    leases: Pick<LeaseKeeper, 'holder'> = { holder: newHolderId() },
  ) {
    this.holder = leases.holder;
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'stock-sync', failureMessage: 'stock sync pass failed', everyMs: opts.pollMs, run: async () => void (await this.runDue()) });
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
  }

  /** Makes every matched listing due now (the scheduled full push; also on demand). */
  async fullPush(now = Date.now()): Promise<number> {
    const n = await markAllListingsDue(this.db, now);
    if (n) this.log.info({ listings: n }, 'stock sync: full push');
    this.poke();
    return n;
  }

  /** Writes every listing due at `now`, a batch at a time, the batch's calls at once; returns how many were attempted. */
  runDue(now = Date.now()): Promise<number> {
    const run = this.queue.then(async () => {
      let total = 0;
      for (;;) {
        const claim = await claimDueListings(this.db, this.holder, now, this.opts.batch, claimMs);
        if (!claim) return total;
        const keeper = setInterval(() => void keepListingClaim(this.db, claim, claimMs).catch(() => undefined), claimMs / 3);
        try {
          await Promise.all(claim.rows.map((l) => this.write(l, claim)));
        } finally {
          clearInterval(keeper);
        }
        total += claim.rows.length;
        // A batch written: look again at once (listings marked meanwhile are due at their own time).
        now = Date.now();
      }
    });
    this.queue = run.catch(() => 0);
    return run;
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
      await adapter.setStock(
        { credentials: account.credentials, fetch: this.opts.fetch ?? fetch, now: Date.now, signal, onCall: (c) => calls.push(c) },
        { listing: { platformItemId: l.platform_item_id, platformSkuId: l.platform_sku_id, ref }, quantity, expected: l.synced_quantity === null ? null : Number(l.synced_quantity) },
      );
      this.log.debug({ platform: account.platform, accountId: account.id, listingId: Number(l.id), quantity }, 'stock written');
      return { kind: 'done', quantity };
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
