// The one unit of work: the order in which every write path takes its locks, a ledger on each transaction that
// enforces it, and the one retry policy for deadlocks and serialisation failures.
//
// Why: two writers that lock the same rows in different orders deadlock on PostgreSQL, and a writer that decides on a
// row it did not lock loses the other's update (measured on acad4d1: an operator's cancel and a platform's "paid" on the
// same order both "won" in 4 of 6 runs, and operators got deadlock 500s). Saleor locks the order before it decides
// (`select_for_update`) and stock rows in primary-key order; here the same discipline is written down once:
//
//   1. lease       the job lease a background unit of work is fenced by (platform/jobs/leases.ts), first of all
//   2. approval    a second-approval request being decided (claimed before the operation it approves runs)
//   3. account     a channel / WMS / payment account row a push holds while it lands
//   4. order       order rows, by id ascending — locked before anything is decided about them
//   5. shipment    shipment rows, by id ascending
//   6. refund      refund and payment-exception rows, by id ascending
//   7. stock       stock rows, by SKU ascending (within a SKU, by warehouse)
//   8. timer       timer rows (payment timeouts, tracking re-checks)
//   9. audit       the tenant's audit-chain head, last of all
//
// Every function that takes a lock of these kinds tells the transaction's ledger first (`tx.locks.take`). Taking a
// lock of an earlier kind after a later one, or a smaller key after a larger one of the same kind, throws
// LockOrderViolation — on SQLite too, where one writer cannot deadlock, so the fast suite catches a path that would
// deadlock on PostgreSQL. Rows a transaction created itself are nobody else's: `created` records them without a check.
import { HubError } from '../../kernel/errors.ts';

export const lockOrder = ['lease', 'approval', 'account', 'order', 'shipment', 'refund', 'stock', 'timer', 'audit'] as const;
export type LockKind = (typeof lockOrder)[number];

const rankOf = new Map<LockKind, number>(lockOrder.map((k, i) => [k, i]));

/**
 * Kinds whose rows writers lock several at a time (a batch's orders, a merged parcel's orders, an order's SKUs): within
 * them keys go in ascending order too. Timers, accounts, approvals and audit heads are locked one per owner and
 * transaction, or inserted fresh (a relay scheduling many new timers): their rank is enough.
 */
const keyOrdered = new Set<LockKind>(['order', 'shipment', 'refund', 'stock']);

/** A write path took a lock out of the documented order: a deadlock waiting to happen on PostgreSQL (a bug, not input). */
export class LockOrderViolation extends Error {
  constructor(message: string) {
    super(`lock order violated: ${message} (see src/platform/db/unit-of-work.ts)`);
    this.name = 'LockOrderViolation';
  }
}

/**
 * A lock this transaction can no longer take in order (a row that appeared after a batch locked its rows up front).
 * Retryable: the work runs again in a transaction that takes it in order.
 */
export class LockOrderRetry extends Error {
  readonly code = 'LOCK_ORDER_RETRY';
  constructor(message: string) {
    super(message);
    this.name = 'LockOrderRetry';
  }
}

/** The locks one transaction holds, in the order it took them. */
export class LockLedger {
  /** The highest kind (by rank) taken so far, -1 before any. */
  private rank = -1;
  private readonly held = new Map<LockKind, Set<string>>();
  /** Per kind, the largest key taken by locking (not by creating): a new key must come after it. */
  private readonly top = new Map<LockKind, string>();

  /**
   * Registers locks about to be taken and returns the keys not yet held, sorted: lock them in that order. Throws
   * LockOrderViolation when a key not yet held would be taken after a lock of a later kind, or after a larger key
   * of its own kind. Keys already held are free to name again (a helper locking "its" order re-locks nothing).
   */
  take(kind: LockKind, keys: readonly string[]): string[] {
    const held = this.held.get(kind);
    const fresh = [...new Set(keys)].filter((k) => !held?.has(k)).sort(compareKeys);
    if (fresh.length === 0) return fresh;
    const rank = rankOf.get(kind) as number;
    if (rank < this.rank) {
      throw new LockOrderViolation(`${kind} ${fresh.join(', ')} after ${lockOrder[this.rank]} locks`);
    }
    const top = this.top.get(kind);
    if (keyOrdered.has(kind) && top !== undefined && compareKeys(fresh[0] as string, top) < 0) {
      throw new LockOrderViolation(`${kind} ${fresh[0]} after ${kind} ${top}: same kind in descending order`);
    }
    this.rank = rank;
    this.top.set(kind, fresh[fresh.length - 1] as string);
    const set = held ?? new Set<string>();
    for (const k of fresh) set.add(k);
    this.held.set(kind, set);
    return fresh;
  }

  /**
   * A row that belongs to another row (an order's payment timer, a shipment's tracking timer): every path that touches
   * it holds its owner first, so while the owner is held this lock can wait on no one who waits on us, and it orders
   * nothing. Without the owner held it is an ordinary lock of its kind.
   */
  takeOwned(kind: LockKind, key: string, owner: { kind: LockKind; key: string }): void {
    if (!this.holds(owner.kind, owner.key)) {
      this.take(kind, [key]);
      return;
    }
    this.created(kind, key);
  }

  /** A row this transaction inserted: invisible to everyone else until commit, so holding it orders nothing. */
  created(kind: LockKind, key: string): void {
    const set = this.held.get(kind) ?? new Set<string>();
    set.add(key);
    this.held.set(kind, set);
  }

  /** Whether `key` could be taken now without breaking the order (held already, or next in order). */
  mayTake(kind: LockKind, key: string): boolean {
    if (this.holds(kind, key)) return true;
    const rank = rankOf.get(kind) as number;
    if (rank < this.rank) return false;
    const top = this.top.get(kind);
    return !keyOrdered.has(kind) || top === undefined || compareKeys(key, top) >= 0;
  }

  holds(kind: LockKind, key: string): boolean {
    return this.held.get(kind)?.has(key) ?? false;
  }

  /**
   * Between two independent items of one SQLite batch (group commit): the one writer means the items cannot deadlock
   * with anyone, so each starts a fresh order. A PostgreSQL batch keeps its locks to commit and locks them all up
   * front (see the ingest's beforeBatch), so it never calls this.
   */
  reset(): void {
    this.rank = -1;
    this.held.clear();
    this.top.clear();
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How a write transaction is tried again when PostgreSQL says it may succeed the second time. */
export interface RetryPolicy {
  attempts: number;
  /** Milliseconds to wait before attempt n (n ≥ 2): grows and is jittered so two losers do not collide again. */
  backoffMs(attempt: number): number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 6,
  backoffMs: (attempt) => Math.round((2 ** Math.min(attempt, 6) + Math.random() * 10) * 2),
};

/** What the database made writers do again, by cause (PostgreSQL; always 0 on SQLite's one writer). */
export interface Contention {
  deadlocks: number;
  serializationFailures: number;
  /** A unique key another writer took first (two deliveries creating the same order at once). */
  uniqueRaces: number;
  /** Work sent round again because a row appeared too late to lock in order (LockOrderRetry). */
  lockOrderRetries: number;
}

export function newContention(): Contention {
  return { deadlocks: 0, serializationFailures: 0, uniqueRaces: 0, lockOrderRetries: 0 };
}

/** Counts one retryable failure by its cause. */
export function countContention(c: Contention, e: unknown): void {
  const code = (e as { code?: string } | null)?.code;
  if (code === '40P01') c.deadlocks++;
  else if (code === '40001') c.serializationFailures++;
  else if (code === '23505') c.uniqueRaces++;
  else if (code === 'LOCK_ORDER_RETRY') c.lockOrderRetries++;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the policy gives up. What is still a deadlock or serialisation
 * failure after every attempt is answered as BUSY (503 with Retry-After), never as an internal error.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  isRetryable: (e: unknown) => boolean,
  policy: RetryPolicy = defaultRetryPolicy,
  contention?: Contention,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isRetryable(e)) throw e;
      if (contention) countContention(contention, e);
      if (n >= policy.attempts) {
        throw new HubError('BUSY', 'the database was busy with conflicting changes to the same records; nothing was changed, try again', {
          attempts: n,
        });
      }
      await new Promise((r) => setTimeout(r, policy.backoffMs(n + 1)));
    }
  }
}

/** The row-lock clause of a SELECT that decides: FOR UPDATE on PostgreSQL; SQLite's one writer needs none. */
export function forUpdate(tx: { dialect: 'sqlite' | 'postgres' }): string {
  return tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
}

/** `?, ?, ?` for an IN list of n values. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** A PostgreSQL text[] literal for `?::text[]`. */
export function pgTextArray(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/**
 * `column` is one of `values`, as SQL and its parameters: one array parameter on PostgreSQL, so the statement's text —
 * and its named prepared statement — is the same whatever the count; `IN (?, …)` on SQLite. Keep lists under ~500.
 */
export function inList(tx: { dialect: 'sqlite' | 'postgres' }, column: string, values: readonly string[]): { sql: string; params: string[] } {
  if (tx.dialect === 'postgres') return { sql: `${column} = ANY(?::text[])`, params: [pgTextArray(values)] };
  return { sql: `${column} IN (${placeholders(values.length)})`, params: [...values] };
}
