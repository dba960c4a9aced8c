// Leases: which hub process runs a job, or one unit of work, right now; taken over when its holder stops renewing it.
//
// A lease is a row of job_leases (name, holder, token, expires_at). Acquire, renew and release are one statement each,
// the same on SQLite and PostgreSQL, judged by the database's clock. `token` grows whenever the lease changes hands or
// lapses, and `fence(tx, lease)` inside the transaction that commits a unit of work's effect checks that this very lease
// (holder and token) is still held and unexpired, and locks its row until that transaction ends: a process that was
// paused past its lease, and whose work another process has taken over, cannot commit the effect a second time.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { HubError } from '../../kernel/errors.ts';
import type { Database, Dialect, Tx } from '../db/database.ts';
import type { Logger } from '../log.ts';

/** A lease as its holder knows it; plain data, so it crosses to the writer thread and back unchanged. */
export interface Lease {
  name: string;
  holder: string;
  token: number;
  /** Epoch ms on the database's clock. */
  expiresAt: number;
}

/** The three statements; run on the database here, or in the SQLite writer thread through `writes`. */
export interface LeaseStore {
  /** Takes the lease when it is free, lapsed or already ours; null when another holder has it. */
  acquire(name: string, holder: string, ttlMs: number): Promise<Lease | null>;
  /** Extends a lease still held under the same token; null when it was lost (lapsed or taken over). */
  renew(lease: Lease, ttlMs: number): Promise<Lease | null>;
  /** Gives it up at once (a clean stop), so another process need not wait for it to lapse. */
  release(lease: Lease): Promise<void>;
}

/** Epoch milliseconds by the database's clock, as SQL. */
export function dbNow(dialect: Dialect): string {
  return dialect === 'postgres'
    ? 'CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)'
    : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}

/** Who holds leases for this hub: host, process id and a random part (a restarted process is somebody new). */
export function newHolderId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

interface LeaseRow {
  name: string;
  holder: string;
  token: number;
  expires_at: number;
}

const toLease = (r: LeaseRow | undefined): Lease | null =>
  r ? { name: r.name, holder: r.holder, token: Number(r.token), expiresAt: Number(r.expires_at) } : null;

/** The statements themselves, inside a transaction the caller opened. */
export const leaseStatements = {
  async acquire(tx: Tx, name: string, holder: string, ttlMs: number): Promise<Lease | null> {
    const now = dbNow(tx.dialect);
    // excluded.acquired_at is this statement's "now": the token grows unless the same holder still had it unexpired.
    const same = 'job_leases.holder = excluded.holder AND job_leases.expires_at > excluded.acquired_at';
    const row = await tx.get<LeaseRow>(
      `INSERT INTO job_leases (name, holder, token, expires_at, acquired_at, renewed_at) VALUES (?, ?, 1, ${now} + CAST(? AS BIGINT), ${now}, ${now})
       ON CONFLICT (name) DO UPDATE SET
         token = CASE WHEN ${same} THEN job_leases.token ELSE job_leases.token + 1 END,
         acquired_at = CASE WHEN ${same} THEN job_leases.acquired_at ELSE excluded.acquired_at END,
         holder = excluded.holder, expires_at = excluded.expires_at, renewed_at = excluded.renewed_at
       WHERE job_leases.expires_at <= excluded.acquired_at OR job_leases.holder = excluded.holder
       RETURNING name, holder, token, expires_at`,
      [name, holder, ttlMs],
    );
    return toLease(row);
  },

  async renew(tx: Tx, lease: Lease, ttlMs: number): Promise<Lease | null> {
    const now = dbNow(tx.dialect);
    const row = await tx.get<LeaseRow>(
      `UPDATE job_leases SET expires_at = ${now} + CAST(? AS BIGINT), renewed_at = ${now}
       WHERE name = ? AND holder = ? AND token = ? AND expires_at > ${now} RETURNING name, holder, token, expires_at`,
      [ttlMs, lease.name, lease.holder, lease.token],
    );
    return toLease(row);
  },

  async release(tx: Tx, lease: Lease): Promise<void> {
    // The row stays (expired), so the token keeps growing for whoever takes the lease next.
    await tx.run('UPDATE job_leases SET expires_at = 0 WHERE name = ? AND holder = ? AND token = ?', [lease.name, lease.holder, lease.token]);
  },
};

/** Leases kept in this database, each statement its own transaction. */
export function sqlLeaseStore(db: Database): LeaseStore {
  return {
    acquire: (name, holder, ttlMs) => db.transaction((tx) => leaseStatements.acquire(tx, name, holder, ttlMs)),
    renew: (lease, ttlMs) => db.transaction((tx) => leaseStatements.renew(tx, lease, ttlMs)),
    release: (lease) => db.transaction((tx) => leaseStatements.release(tx, lease)),
  };
}

/**
 * Inside the transaction that commits a unit of work's effect: refuses (LEASE_LOST) unless the lease is still held by
 * the same holder under the same token and has not expired. On PostgreSQL it also locks the lease row until this
 * transaction ends, so a takeover waits for the commit and then sees its effect. Called first in the transaction: the
 * lease row comes before any row the effect touches (one lock order).
 */
export async function fence(tx: Tx, lease: Lease): Promise<void> {
  // The first lock of the transaction it fences (unit-of-work.ts): whatever the work locks next comes after it.
  tx.locks.take('lease', [lease.name]);
  const n = await tx.run(`UPDATE job_leases SET renewed_at = renewed_at WHERE name = ? AND holder = ? AND token = ? AND expires_at > ${dbNow(tx.dialect)}`, [
    lease.name,
    lease.holder,
    lease.token,
  ]);
  if (n !== 1) throw new HubError('LEASE_LOST', `the lease ${lease.name} is no longer held by ${lease.holder}; another hub process has taken the work over`);
}

export function isLeaseLost(e: unknown): boolean {
  return e instanceof HubError && e.code === 'LEASE_LOST';
}

interface Held {
  lease: Lease;
  /** Local time after which this process no longer counts on the lease, renewed or not (its clock, conservatively). */
  validUntil: number;
  lost: AbortController;
  /** Held for a unit of work (released when it ends), or as the leader of a job (kept while the process runs). */
  users: number;
}

/**
 * The leases one hub (one process, or one thread of it) holds: takes them, renews them in the background every third of
 * their time to live while they are held — also while a long unit of work runs — and notices when one is lost.
 */
export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private readonly lastTry = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;

  constructor(
    private readonly store: LeaseStore,
    private readonly log: Logger,
    readonly ttlMs = 30_000,
    readonly holder = newHolderId(),
  ) {}

  /**
   * The lease of a job one process runs at a time (leader): the one held, or an attempt to take it — at most every third
   * of the lease's time to live, unless `force` — when it is free. Null while another process holds it.
   */
  async lead(name: string, opts: { force?: boolean } = {}): Promise<Lease | null> {
    const h = this.held.get(name);
    if (h && !h.lost.signal.aborted && Date.now() < h.validUntil) return h.lease;
    if (h) this.drop(name, 'lapsed before it was renewed');
    const last = this.lastTry.get(name) ?? 0;
    if (!opts.force && Date.now() - last < this.ttlMs / 3) return null;
    this.lastTry.set(name, Date.now());
    const got = await this.take(name);
    if (got) got.users = Number.POSITIVE_INFINITY;
    return got?.lease ?? null;
  }

  /**
   * Runs `fn` holding the lease `name` (renewed meanwhile; its signal aborts if the lease is lost), then releases it.
   * Does not run it, and answers null, when another process holds the lease. A lease this keeper already holds (a leader
   * lease, or a unit of work under way here) is shared rather than taken twice.
   */
  async withLease<T>(name: string, fn: (lease: Lease, signal: AbortSignal) => Promise<T>): Promise<{ value: T } | null> {
    let h = this.held.get(name);
    if (h && (h.lost.signal.aborted || Date.now() >= h.validUntil)) {
      this.drop(name, 'lapsed before it was renewed');
      h = undefined;
    }
    if (h) h.users++;
    else h = (await this.take(name)) ?? undefined;
    if (!h) return null;
    try {
      return { value: await fn(h.lease, h.lost.signal) };
    } finally {
      h.users--;
      if (h.users <= 0) await this.release(name);
    }
  }

  /** The lease as held now (renewals change nothing a fence checks: holder and token stay), or null. */
  current(name: string): Lease | null {
    const h = this.held.get(name);
    return h && !h.lost.signal.aborted ? h.lease : null;
  }

  /** A fence refused the lease: it is gone, whatever the renewals said. */
  lost(name: string): void {
    this.drop(name, 'a fenced transaction found it gone');
  }

  /** Gives the lease up now (a clean stop): another process takes it over at once instead of after it lapses. */
  async release(name: string): Promise<void> {
    const h = this.held.get(name);
    if (!h) return;
    this.held.delete(name);
    h.lost.abort();
    this.stopRenewingIfIdle();
    try {
      await this.store.release(h.lease);
    } catch (e) {
      this.log.warn({ err: e, lease: name }, 'releasing a lease failed; it lapses by itself');
    }
  }

  /** Releases every lease whose name starts with `prefix` (a worker's own, at its stop). */
  async releaseAll(prefix = ''): Promise<void> {
    await Promise.all([...this.held.keys()].filter((n) => n.startsWith(prefix)).map((n) => this.release(n)));
  }

  private async take(name: string): Promise<Held | null> {
    const asked = Date.now();
    let lease: Lease | null;
    try {
      lease = await this.store.acquire(name, this.holder, this.ttlMs);
    } catch (e) {
      this.log.warn({ err: e, lease: name }, 'acquiring a lease failed');
      return null;
    }
    if (!lease) return null;
    const h: Held = { lease, validUntil: asked + this.ttlMs, lost: new AbortController(), users: 1 };
    this.held.set(name, h);
    this.log.debug({ lease: name, token: lease.token }, 'lease acquired');
    this.startRenewing();
    return h;
  }

  private drop(name: string, why: string): void {
    const h = this.held.get(name);
    if (!h) return;
    this.held.delete(name);
    h.lost.abort();
    this.log.warn({ lease: name, token: h.lease.token }, `lease lost: ${why}`);
    this.stopRenewingIfIdle();
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      // Checked on every tick, also while a renewal hangs (the database slow or away): a lease not renewed in time is
      // not counted on any longer, and the work under it is told.
      for (const [name, h] of [...this.held]) if (Date.now() >= h.validUntil) this.drop(name, 'it could not be renewed in time');
      if (this.renewing || this.held.size === 0) return;
      this.renewing = this.renewHeld().finally(() => (this.renewing = null));
    }, Math.max(50, Math.floor(this.ttlMs / 3)));
    this.renewTimer.unref();
  }

  private stopRenewingIfIdle(): void {
    if (this.held.size === 0 && this.renewTimer) {
      clearInterval(this.renewTimer);
      this.renewTimer = null;
    }
  }

  private async renewHeld(): Promise<void> {
    for (const [name, h] of [...this.held]) {
      const asked = Date.now();
      try {
        const lease = await this.store.renew(h.lease, this.ttlMs);
        if (this.held.get(name) !== h) continue; // released meanwhile
        if (!lease) {
          this.drop(name, 'it lapsed or another process took it');
          continue;
        }
        h.lease = lease;
        h.validUntil = asked + this.ttlMs;
      } catch (e) {
        // The database did not answer: the lease runs out on its own time; until then the work goes on (fenced).
        this.log.warn({ err: e, lease: name }, 'renewing a lease failed; will retry');
        if (Date.now() >= h.validUntil) this.drop(name, 'it could not be renewed in time');
      }
    }
  }
}
