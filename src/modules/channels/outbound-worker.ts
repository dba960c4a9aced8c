// Sends the platform writes the hub owes (ship-back, seller remarks): claims due rows of outbound_calls, calls the
// platform's client for the row's kind outside any transaction, and records each attempt. Runs where writes run (the
// writer thread on SQLite). Each pass also raises the alert for ship-backs no pull or push confirmed in time.
//
// A paused account's writes wait for it (not claimed while it is paused) instead of being refused.
//
// A row exists only once the change that caused it committed (it is written in that transaction), so the platform
// never hears of a shipment that rolled back.
//
// Each account's writes go one after another in a lane of their own, paced to the platform's rate (write-pacing.ts);
// lanes of different accounts run side by side, so a shop held to 2 requests a second does not hold up the others. Retried on the network, 5xx and 429 with jittered back-off; a refusal
// (a 4xx with the platform's reason, an unknown carrier) is kept as `refused` and not retried: sending the same again
// cannot help. A resend after a lost answer is harmless: each client checks the platform first or uses its key.
import type { Logger } from '../../platform/log.ts';
import { newHolderId, type LeaseKeeper } from '../../platform/jobs/leases.ts';
import { JobRunner } from '../../platform/jobs/runner.ts';
import type { AccountService } from './accounts.ts';
import { adapterFor } from './connectors/registry.ts';
import { PlatformWriteError, type CallContext, type ChannelAdapter, type PlatformCallTrace, type RemarkWrite, type ShipBackParcel, type WriteResult } from './connectors/types.ts';
import type { IntegrationService, OutboundOutcome } from './integration.ts';
import type { OutboundRow } from './store/outbound.ts';
import type { Claim } from '../../platform/jobs/claims.ts';
import type { WritePacer } from './write-pacing.ts';

/** Rows claimed at a time. */
const claimLimit = 20;

export interface OutboundWorkerOptions {
  pollMs: number;
  /** The first retry's delay; each next one doubles, up to an hour, with ±25 % jitter. */
  retryBaseMs: number;
  /** After this many attempts a retryable failure is given up as `failed` (visible in the log). */
  maxAttempts: number;
  /** How long one platform call may take before it counts as a network failure. */
  callTimeoutMs: number;
  /** How long a ship-back the platform took may stay unconfirmed by a pull or push before it raises an alert. */
  unconfirmedAfterMs: number;
  /** How long the platform call log keeps a request (pruned hourly by this worker). */
  callLogKeepMs: number;
  fetch?: typeof fetch;
  /** Paces each account's requests to its platform's rate (shared with the stock sync worker); absent: not paced. */
  pacer?: WritePacer;
}

export const defaultOutboundOptions: OutboundWorkerOptions = { pollMs: 2000, retryBaseMs: 10_000, maxAttempts: 12, callTimeoutMs: 30_000, unconfirmedAfterMs: 30 * 60_000, callLogKeepMs: 14 * 86_400_000 };

/** The client call for each kind of write: a row of another kind has no client and is refused as such. */
function callFor(adapter: ChannelAdapter<unknown> | undefined, r: OutboundRow): ((ctx: CallContext<unknown>) => Promise<WriteResult>) | null {
  if (r.kind === 'ship_back' && adapter?.shipBack) {
    const shipBack = adapter.shipBack.bind(adapter);
    return (ctx) => shipBack(ctx, JSON.parse(r.request) as ShipBackParcel);
  }
  if (r.kind === 'remark' && adapter?.setRemark) {
    const setRemark = adapter.setRemark.bind(adapter);
    return (ctx) => setRemark(ctx, JSON.parse(r.request) as RemarkWrite);
  }
  return null;
}

/** Jitter keeps a platform that came back from an outage from getting every queued write in the same second. */
export function outboundBackoff(attempts: number, baseMs: number, random = Math.random): number {
  const plain = Math.min(3_600_000, baseMs * 2 ** Math.min(attempts, 16));
  return Math.round(plain * (0.75 + random() * 0.5));
}

export class OutboundWorker {
  private readonly runner: JobRunner;
  private readonly holder: string;
  private queue: Promise<unknown> = Promise.resolve();
  /** The account lanes under way in this process: account id → the lane's end. */
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(
    private readonly integration: IntegrationService,
    private readonly accounts: AccountService,
    private readonly log: Logger,
    private readonly opts: OutboundWorkerOptions,
    leases: Pick<LeaseKeeper, 'holder'> = { holder: newHolderId() },
  ) {
    this.holder = leases.holder;
    this.runner = new JobRunner(log);
    this.runner.add({ name: 'outbound', failureMessage: 'outbound pass failed', everyMs: opts.pollMs, run: async () => void (await this.startDue(Date.now())) });
    this.runner.add({ name: 'call-log-prune', failureMessage: 'call log prune failed', everyMs: 3_600_000, firstRunAfterMs: 60_000, run: async () => void (await this.pruneCallLog()) });
  }

  /** Deletes call log entries older than the keeping time; returns how many. */
  async pruneCallLog(now = Date.now()): Promise<number> {
    const n = await this.integration.pruneCallLog(now - this.opts.callLogKeepMs);
    if (n) this.log.info({ deleted: n }, 'platform call log pruned');
    return n;
  }

  start(): void {
    this.runner.start();
  }

  poke(): void {
    this.runner.poke('outbound');
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

  /**
   * Works every write due at `now` and waits for it; returns how many were attempted. Lanes already under way finish
   * first, so their accounts' due writes are in this pass too.
   */
  async runDue(now = Date.now()): Promise<number> {
    await this.idle();
    const { claimed, done } = await this.startDue(now);
    await done;
    return claimed;
  }

  /**
   * One pass: raises the unconfirmed alerts, then claims due writes of the accounts with no lane under way here and
   * starts a lane for each account (not waited for: a lane ending asks for the next pass). Passes run one at a time.
   */
  private startDue(now: number): Promise<{ claimed: number; done: Promise<void> }> {
    const run = this.queue.then(async () => {
      await this.integration.raiseUnconfirmedShipBacks(now, this.opts.unconfirmedAfterMs);
      let claimed = 0;
      const started: Promise<void>[] = [];
      for (;;) {
        const claim = await this.integration.claimDueOutbound(now, this.holder, claimLimit, [...this.lanes.keys()]);
        if (!claim) break;
        claimed += claim.rows.length;
        const byAccount = new Map<string, OutboundRow[]>();
        for (const r of claim.rows) byAccount.set(r.account_id, [...(byAccount.get(r.account_id) ?? []), r]);
        for (const [accountId, rows] of byAccount) started.push(this.startLane(accountId, rows, claim, now));
        if (claim.rows.length < claimLimit) break;
      }
      return { claimed, done: Promise.all(started).then(() => undefined) };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private startLane(accountId: string, rows: OutboundRow[], claim: Claim<OutboundRow>, now: number): Promise<void> {
    const lane = (async () => {
      for (const r of rows) {
        await claim.keep();
        const outcome = await this.attempt(r, now);
        await this.integration.afterOutboundAttempt(Number(r.id), claim.token, outcome, Date.now());
      }
    })()
      .catch((e: unknown) => this.log.error({ err: e, accountId }, 'outbound lane failed'))
      .finally(() => {
        this.lanes.delete(accountId);
        // The account's next writes (and any left behind while this lane ran) are claimed at once.
        this.runner.poke('outbound');
      });
    this.lanes.set(accountId, lane);
    return lane;
  }

  private async attempt(r: OutboundRow, now: number): Promise<OutboundOutcome> {
    const started = performance.now();
    const latency = () => performance.now() - started;
    const account = await this.accounts.get(r.account_id);
    if (!account) return { kind: 'refused', status: null, code: 'ACCOUNT_GONE', error: 'the channel account is gone', latencyMs: 0 };
    // Paused after the claim: back to waiting, not counted as an attempt.
    if (!account.active) return { kind: 'wait' };
    const call = callFor(adapterFor(account.platform) as ChannelAdapter<unknown> | undefined, r);
    if (!call) return { kind: 'refused', status: null, code: 'NO_CLIENT', error: `${account.platform} has no ${r.kind} client`, latencyMs: 0 };
    const signal = AbortSignal.timeout(this.opts.callTimeoutMs);
    const attempts = Number(r.attempts) + 1;
    // Every request the client makes, for the call log (recorded with the attempt).
    const calls: PlatformCallTrace[] = [];
    try {
      const pacer = this.opts.pacer;
      const pace = pacer ? () => pacer.pace(account.id, account.platform, signal) : undefined;
      const res = await call({ credentials: account.credentials, fetch: this.opts.fetch ?? fetch, now: Date.now, signal, onCall: (c) => calls.push(c), pace });
      // Ids only: the parcel's lines, the remark and the buyer stay out of the log.
      this.log.info({ platform: account.platform, accountId: account.id, outboundId: Number(r.id), kind: r.kind, attempts, already: res.already, status: res.status }, 'platform write done');
      return { kind: 'done', status: res.status, latencyMs: latency(), platformRef: res.platformRef, already: res.already, calls };
    } catch (e) {
      const err = e instanceof PlatformWriteError ? e : new PlatformWriteError('NETWORK', e instanceof Error ? e.message : String(e));
      const base = { status: err.opts.status ?? null, code: err.code, error: err.message, latencyMs: latency(), calls };
      this.log.warn({ platform: account.platform, accountId: account.id, outboundId: Number(r.id), kind: r.kind, attempts, code: err.code, status: err.opts.status, refused: Boolean(err.opts.refused) }, 'platform write failed');
      if (err.opts.refused) return { kind: 'refused', ...base };
      if (attempts >= this.opts.maxAttempts) return { kind: 'failed', ...base };
      const wait = Math.max(outboundBackoff(attempts - 1, this.opts.retryBaseMs), err.opts.retryAfterMs ?? 0);
      return { kind: 'retry', ...base, nextAt: now + wait };
    }
  }
}
