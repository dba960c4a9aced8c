// The one worker loop every background job runs on: named jobs at intervals, woken early when poked, backing off after
// failures, optionally run only by the process that leads them (a lease), stopped cleanly. A failing run is logged and
// retried; it never stops the loop.
import type { Logger } from '../log.ts';
import type { Lease, LeaseKeeper } from './leases.ts';

export interface JobContext {
  /** The job's leader lease when it has one (for fencing its effects), else null. */
  lease: Lease | null;
}

export interface Job {
  /** For logs, and for poke(). */
  name: string;
  /** Pause between runs. */
  everyMs: number;
  /** The first run comes after this long (default: at once). */
  firstRunAfterMs?: number;
  /** Runs are at least this far apart, however often the job is poked (each run may cost a write transaction). */
  minGapMs?: number;
  /** Only the hub process holding this lease runs the job; the others stand by and take it over when it lapses. */
  leader?: string;
  /** What the log says when a run fails (default: which job failed). */
  failureMessage?: string;
  /** One run. `true`: there is more to do now, run again at once. */
  run(ctx: JobContext): Promise<boolean | void>;
}

interface State {
  job: Job;
  timer: NodeJS.Timeout | null;
  /** When the scheduled run fires. */
  dueAt: number;
  running: Promise<void> | null;
  /** Poked while running: run again right after. */
  again: boolean;
  failures: number;
  lastStartAt: number;
}

export class JobRunner {
  private readonly jobs = new Map<string, State>();
  private stopped = true;

  constructor(
    private readonly log: Logger,
    private readonly leases: LeaseKeeper | null = null,
    /** Failures in a row back a job off: its interval doubled per failure, up to this. */
    private readonly maxBackoffMs = 60_000,
  ) {}

  add(job: Job): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} is already registered`);
    if (job.leader && !this.leases) throw new Error(`job ${job.name} has a leader lease but the runner has no lease keeper`);
    this.jobs.set(job.name, { job, timer: null, dueAt: 0, running: null, again: false, failures: 0, lastStartAt: 0 });
  }

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const s of this.jobs.values()) this.schedule(s, s.job.firstRunAfterMs ?? 0);
  }

  /** Asks for a run of `name` soon (after a commit, a new request): at once, or after its minimum gap. */
  poke(name: string): void {
    const s = this.jobs.get(name);
    if (!s || this.stopped) return;
    if (s.running) {
      s.again = true;
      return;
    }
    this.schedule(s, this.gapLeft(s));
  }

  /** Stops every job, waits for runs under way, and releases the leader leases so another process takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.jobs.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    }
    await this.idle();
    if (this.leases) for (const s of this.jobs.values()) if (s.job.leader) await this.leases.release(s.job.leader);
  }

  /** Resolves when no run is under way. */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.jobs.values()].map((s) => s.running).filter((p): p is Promise<void> => p !== null);
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  private gapLeft(s: State): number {
    return Math.max(0, s.lastStartAt + (s.job.minGapMs ?? 0) - Date.now());
  }

  private schedule(s: State, delayMs: number): void {
    if (this.stopped) return;
    if (s.timer) {
      // Already due sooner than asked: keep that.
      if (s.dueAt <= Date.now() + delayMs) return;
      clearTimeout(s.timer);
    }
    s.dueAt = Date.now() + delayMs;
    s.timer = setTimeout(() => {
      s.timer = null;
      this.runNow(s);
    }, delayMs);
    s.timer.unref();
  }

  private runNow(s: State): void {
    if (this.stopped) return;
    if (s.running) {
      s.again = true;
      return;
    }
    s.lastStartAt = Date.now();
    s.again = false;
    let next = s.job.everyMs;
    s.running = (async () => {
      try {
        const lease = s.job.leader ? await (this.leases as LeaseKeeper).lead(s.job.leader) : null;
        if (s.job.leader && !lease) return; // another process leads this job; ask again next time
        const more = await s.job.run({ lease });
        s.failures = 0;
        if (more === true) next = 0;
      } catch (e) {
        s.failures++;
        next = Math.min(this.maxBackoffMs, Math.max(s.job.everyMs, 100) * 2 ** Math.min(s.failures - 1, 16));
        this.log.error({ err: e, job: s.job.name, failures: s.failures, retryInMs: next }, s.job.failureMessage ?? `background job ${s.job.name} failed; will retry`);
      }
    })().finally(() => {
      s.running = null;
      if (this.stopped) return;
      if (s.again) {
        s.again = false;
        next = Math.min(next, this.gapLeft(s));
      }
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
      this.schedule(s, next);
    });
  }
}
