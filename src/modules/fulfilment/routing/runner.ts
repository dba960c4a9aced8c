// Routes paid orders to warehouses without anyone asking: every interval, paid and unrouted orders whose merge window
// has passed are routed in batches through the same write as POST /api/routing/run (in the writer thread with SQLite).
//
// Jobs and leases: a pass looks at every due order of every tenant, so it is one runner's job, not items to share out:
// the hub process holding the lease `routing` runs the passes (kept while it runs, taken over when it lapses), and each
// routing transaction is fenced on that lease. Routing twice could not double a parcel anyway (the write re-checks each
// order is paid and unrouted, under lock), but two processes would plan, and fail, the same orders side by side.
import { isHubError } from '../../../kernel/errors.ts';
import { systemPrincipal } from '../../../kernel/principal.ts';
import type { Logger } from '../../../platform/log.ts';
import type { DueOrders, RoutingOutcome, RoutingService } from './service.ts';
import type { WriteApi } from '../../../app/commands.ts';
import { isLeaseLost, LeaseKeeper, type Lease } from '../../../platform/jobs/leases.ts';
import { JobRunner } from '../../../platform/jobs/runner.ts';

export interface RoutingRunnerOptions {
  /** Off: start() does nothing (routing only when asked). */
  enabled: boolean;
  intervalMs: number;
  /** How long a paid order waits, so related orders of the same buyer can join its parcel. */
  mergeWindowMs: number;
  /** How long an order that could not be routed waits before it is tried again. */
  retryAfterMs: number;
  /** Orders per routing transaction. */
  batchSize: number;
  /** Batches per tenant and pass: a backlog is worked off over several passes, not in one long hold on the writer. */
  maxBatchesPerPass: number;
}

export const defaultRoutingRunnerOptions: RoutingRunnerOptions = {
  enabled: true,
  intervalMs: 60_000,
  mergeWindowMs: 5 * 60_000,
  retryAfterMs: 30 * 60_000,
  batchSize: 200,
  maxBatchesPerPass: 20,
};

/** What one pass did (counts only: the pass log carries no order or personal data). */
export interface RoutingPass {
  tenants: number;
  batches: number;
  /** Orders in committed dispatch plans, and how many plans. */
  routed: number;
  plans: number;
  /** Orders the planner could not route (their reason is on the order); tried again after the retry interval. */
  unplanned: number;
  /** Orders whose routing failed with an error, left out until the retry interval has passed. */
  failed: number;
  ms: number;
  /** True when another hub process leads routing: this one did nothing. */
  skipped?: boolean;
}

const who = (tenant: string) => systemPrincipal(tenant, 'auto-routing');

/** One hub process at a time routes on the schedule. */
const leaseName = 'routing';

const emptyPass = (): RoutingPass => ({ tenants: 0, batches: 0, routed: 0, plans: 0, unplanned: 0, failed: 0, ms: 0 });

export class RoutingRunner {
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;
  private started = false;
  /** Passes run one at a time (a pass asked for by hand waits for the scheduled one). */
  private last: Promise<unknown> = Promise.resolve();
  /** Orders whose routing threw, and until when they are left out. */
  private readonly failing = new Map<string, number>();

  constructor(
    private readonly routing: RoutingService,
    private readonly writes: WriteApi,
    private readonly log: Logger,
    private readonly opts: RoutingRunnerOptions = defaultRoutingRunnerOptions,
    leases?: LeaseKeeper,
  ) {
    this.leases =
      leases ??
      new LeaseKeeper({ acquire: (n, h, t) => writes.acquireLease(n, h, t), renew: (l, t) => writes.renewLease(l, t), release: (l) => writes.releaseLease(l) }, log);
    this.runner = new JobRunner(log);
    // The first pass runs one interval after start, not while the hub is still coming up.
    this.runner.add({ name: 'auto-routing', failureMessage: 'auto-routing pass failed; the next pass runs as scheduled', everyMs: this.opts.intervalMs, firstRunAfterMs: this.opts.intervalMs, run: async () => void (await this.runPass()) });
  }

  start(): void {
    if (!this.opts.enabled || this.started) return;
    this.started = true;
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.last;
    await this.leases.release(leaseName);
  }

  /**
   * One pass at `now` (tests pass the time to step through merge windows and retry intervals); skipped while another hub
   * process leads routing.
   */
  runPass(now = Date.now()): Promise<RoutingPass> {
    const pass = this.last.then(async () => {
      const lease = await this.leases.lead(leaseName, { force: true });
      if (!lease) return { ...emptyPass(), skipped: true };
      try {
        return await this.pass(now, lease);
      } catch (e) {
        if (isLeaseLost(e)) this.leases.lost(leaseName);
        throw e;
      }
    });
    this.last = pass.catch(() => undefined);
    return pass;
  }

  private async pass(now: number, lease: Lease): Promise<RoutingPass> {
    const started = performance.now();
    const r = emptyPass();
    for (const [id, until] of this.failing) if (until <= now) this.failing.delete(id);
    const due = (): DueOrders => ({ paidBefore: now - this.opts.mergeWindowMs, checkedBefore: now - this.opts.retryAfterMs, skip: [...this.failing.keys()] });
    const tenants = await this.routing.tenantsWithDueOrders(due());
    r.tenants = tenants.length;
    for (const tenant of tenants) {
      for (let b = 0; b < this.opts.maxBatchesPerPass; b++) {
        let outcome: RoutingOutcome;
        try {
          outcome = await this.writes.runRouting(who(tenant), { due: due(), limit: this.opts.batchSize, lease }, now);
        } catch (e) {
          if (isLeaseLost(e)) throw e;
          this.log.warn({ tenant, err: e, code: isHubError(e) ? e.code : undefined }, 'auto-routing batch failed; routing its orders one by one');
          await this.oneByOne(tenant, due(), now, r, lease);
          break;
        }
        r.batches++;
        // Every order of a batch is routed or has its routing checked: the next batch takes the next orders.
        const seen = this.count(outcome, r);
        if (seen < this.opts.batchSize) break;
      }
    }
    r.ms = Math.round(performance.now() - started);
    if (r.routed || r.unplanned || r.failed) this.log.info(r, 'auto-routing pass');
    else this.log.debug(r, 'auto-routing pass');
    return r;
  }

  /** Adds an outcome to the pass; returns how many orders it covered. */
  private count(o: RoutingOutcome, r: RoutingPass): number {
    const routed = o.plans.reduce((n, p) => n + p.orderIds.length, 0);
    // ORDER_NOT_ROUTABLE: routed or changed by someone else since it was read; nothing was recorded on it.
    const unplanned = o.unplanned.filter((u) => !u.reasons.every((x) => x.code === 'ORDER_NOT_ROUTABLE')).reduce((n, u) => n + u.orderIds.length, 0);
    r.routed += routed;
    r.plans += o.plans.length;
    r.unplanned += unplanned;
    return routed + o.unplanned.reduce((n, u) => n + u.orderIds.length, 0);
  }

  /**
   * A batch that failed as a whole is routed order by order, so one order that cannot be routed without an error does
   * not hold back the rest; that order is left out until the retry interval has passed.
   */
  private async oneByOne(tenant: string, due: DueOrders, now: number, r: RoutingPass, lease: Lease): Promise<void> {
    const ids = await this.routing.dueOrderIds(tenant, due, this.opts.batchSize);
    for (const id of ids) {
      try {
        this.count(await this.writes.runRouting(who(tenant), { orderIds: [id], lease }, now), r);
      } catch (e) {
        if (isLeaseLost(e)) throw e;
        r.failed++;
        this.failing.set(id, now + this.opts.retryAfterMs);
        this.log.warn({ tenant, orderId: id, err: e, code: isHubError(e) ? e.code : undefined }, 'order could not be routed; tried again after the retry interval');
      }
    }
  }
}
