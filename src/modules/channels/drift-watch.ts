// Watches what each account's platform sends, in the thread that serves HTTP: the fields of every payload kind
// (learnt, then compared), body sizes, refusals by reason and the time taken to answer. What it learns is kept in
// contract_shapes; what is new becomes a channel alert. It never delays a push's answer: all of it runs after.
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/db/database.ts';
import { defaultDriftOptions, fieldPaths, observeShape, type DriftOptions, type ShapeStats } from './domain/drift.ts';
import type { WriteApi } from '../../app/commands.ts';

export interface WatchedAccount {
  id: string;
  tenantId: string;
  platform: string;
}

interface Refusals {
  total: number;
  byCode: Record<string, number>;
  recent: { at: string; code: string; message: string }[];
  /** Refusal times per code in the last window, for the burst alert. */
  window: Map<string, number[]>;
}

interface Answers {
  count: number;
  overDeadline: number;
  max: number;
  samples: number[];
  next: number;
}

/** Refusals of one kind within this time… */
const burstWindowMs = 10 * 60_000;
/** …this many times: the platform may have changed how it signs (the seeds' 142 orders). */
const burstCount = 3;
/** Platforms give up on an answer after 5 s (Shopify, WeChat): slower than this is a miss. */
const answerDeadlineMs = 5_000;

export class DriftWatch {
  private readonly shapes = new Map<string, Promise<ShapeStats | undefined>>();
  private readonly refusals = new Map<string, Refusals>();
  private readonly answers = new Map<string, Answers>();
  private readonly opts: DriftOptions;
  private pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly writes: () => WriteApi,
    private readonly log: Logger,
    bodyLimitBytes: number,
  ) {
    this.opts = { ...defaultDriftOptions, bodyLimitBytes };
  }

  /** Learns from one stored delivery and raises what is new about it; returns at once, works after the answer. */
  observe(account: WatchedAccount, shape: string, body: Buffer, now = Date.now()): void {
    this.track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.fold(account, shape, body, now)));
  }

  private fold(account: WatchedAccount, shape: string, body: Buffer, now: number): Promise<unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return Promise.resolve(); // not JSON (a form-encoded ping): nothing to learn
    }
    const key = `${account.id}|${shape}`;
    const paths = fieldPaths(parsed);
    // One chain per account and shape, so deliveries are folded in one at a time.
    const prev = this.shapes.get(key) ?? this.load(account.id, shape);
    const next = prev.then(async (stats) => {
      const r = observeShape(stats, paths, body.length, this.opts);
      const persist = r.newFields || r.findings.length > 0 || r.next.deliveries % 200 === 0 || r.next.deliveries === this.opts.learning;
      if (persist) {
        await this.writes().recordDrift({
          tenantId: account.tenantId,
          accountId: account.id,
          platform: account.platform,
          shape,
          at: now,
          stats: r.next,
          findings: r.findings,
        });
      }
      return r.next;
    });
    const settled = next.catch((e: unknown) => {
      this.log.warn({ err: e, accountId: account.id, shape }, 'contract drift: could not record');
      return undefined;
    });
    this.shapes.set(key, settled);
    return settled;
  }

  /** A push that was refused: counted by reason, and alerted when one reason repeats (or a body was too large). */
  refused(account: WatchedAccount | null, accountId: string, code: string, message: string, now = Date.now()): void {
    let r = this.refusals.get(accountId);
    if (!r) {
      if (this.refusals.size > 10_000) this.refusals.clear();
      r = { total: 0, byCode: {}, recent: [], window: new Map() };
      this.refusals.set(accountId, r);
    }
    r.total += 1;
    r.byCode[code] = (r.byCode[code] ?? 0) + 1;
    r.recent.unshift({ at: new Date(now).toISOString(), code, message: message.slice(0, 300) });
    if (r.recent.length > 20) r.recent.length = 20;
    const times = (r.window.get(code) ?? []).filter((t) => t > now - burstWindowMs);
    times.push(now);
    r.window.set(code, times);
    if (!account) return;
    const tooLarge = code === 'BODY_TOO_LARGE';
    if (!tooLarge && times.length < burstCount) return;
    const finding = tooLarge
      ? { kind: 'body_too_large', key: 'limit', message: `a push was refused as too large (413): ${message}. Raise bodyLimitBytes or the platform will give up on it` }
      : { kind: 'refusals', key: code, message: `${times.length} pushes refused with ${code} in 10 minutes (${message}): did the platform change how it signs or what it sends?` };
    this.track(
      this.writes()
        .recordDrift({ tenantId: account.tenantId, accountId: account.id, platform: account.platform, shape: 'push', at: now, stats: null, findings: [finding] })
        .catch((e: unknown) => this.log.warn({ err: e, accountId }, 'contract drift: could not record a refusal alert')),
    );
    if (!tooLarge) r.window.set(code, []);
  }

  /** How long a push took to answer. */
  answered(accountId: string, ms: number): void {
    let a = this.answers.get(accountId);
    if (!a) {
      if (this.answers.size > 10_000) this.answers.clear();
      a = { count: 0, overDeadline: 0, max: 0, samples: [], next: 0 };
      this.answers.set(accountId, a);
    }
    a.count += 1;
    if (ms > answerDeadlineMs) a.overDeadline += 1;
    a.max = Math.max(a.max, ms);
    // The latest 1,000 answers, for the percentiles.
    if (a.samples.length < 1000) a.samples.push(ms);
    else a.samples[a.next] = ms;
    a.next = (a.next + 1) % 1000;
  }

  /** What this process has seen of an account since it started. */
  snapshot(accountId: string) {
    const r = this.refusals.get(accountId);
    const a = this.answers.get(accountId);
    const sorted = a ? [...a.samples].sort((x, y) => x - y) : [];
    const pct = (p: number) => (sorted.length ? Math.round((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) * 10) / 10 : null);
    return {
      refused: { total: r?.total ?? 0, byCode: { ...(r?.byCode ?? {}) }, recent: [...(r?.recent ?? [])] },
      answers: { count: a?.count ?? 0, p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: a ? Math.round(a.max * 10) / 10 : null, overDeadline: a?.overDeadline ?? 0, deadlineMs: answerDeadlineMs },
    };
  }

  /** Waits for the alerts and stats still being written (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async load(accountId: string, shape: string): Promise<ShapeStats | undefined> {
    const row = await this.db.read.get<{ deliveries: number; mean_bytes: number; max_bytes: number; fields: string }>(
      'SELECT deliveries, mean_bytes, max_bytes, fields FROM contract_shapes WHERE account_id = ? AND shape = ?',
      [accountId, shape],
    );
    if (!row) return undefined;
    return { deliveries: Number(row.deliveries), meanBytes: Number(row.mean_bytes), maxBytes: Number(row.max_bytes), fields: JSON.parse(row.fields) as Record<string, number> };
  }
}
