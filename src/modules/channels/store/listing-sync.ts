// Stock sync (库存同步) on the listings table: which listings owe their platform a stock write, claiming them for one
// write at a time, and what each write came to.
//
// A change of a SKU's stock marks its matched listings with the quantity wanted then and a time the write is due; a
// listing is claimed like any work row (sync_claimed_by/until, FOR UPDATE SKIP LOCKED on PostgreSQL), so at most one
// write per listing is in flight, and marks made meanwhile only move sync_wanted: the latest value wins (coalescing).
// The worker computes the quantity again at the moment of the call, so what is pushed is never more than is sellable
// then; sync_wanted orders the queue (a listing that must go to 0 goes first) and shows what the hub meant to say.
import type { Database, Reader, Tx } from '../../../platform/db/database.ts';
import type { ListingsTable } from '../../../platform/db/schema.ts';
import { dbNow } from '../../../platform/jobs/leases.ts';
import { allocationOf } from '../../inventory/queries/allocation.ts';
import { bundlesContaining } from '../../inventory/store/bundles.ts';
import type { PlatformCallTrace } from '../connectors/types.ts';
import { recordPlatformCalls, type CallAbout } from './call-log.ts';

export type ListingRow = ListingsTable;

/** A listing the sync works on: matched to a hub SKU, not ignored, still on the platform. */
const syncable = 'sku IS NOT NULL AND ignored = 0 AND gone = 0';

export interface MarkTiming {
  /** How long changes are gathered before a write (many changes in that time make one write). */
  gatherMs: number;
}

/**
 * When a mark makes a listing due: a listing going to 0 at once, others after the gathering time; a due time already
 * set earlier is kept (a stream of changes never postpones the write), and so is a back-off after a failed write.
 */
function dueSql(): string {
  return `CASE WHEN sync_attempts > 0 AND sync_due_at IS NOT NULL THEN sync_due_at WHEN sync_due_at IS NULL OR sync_due_at > ? THEN ? ELSE sync_due_at END`;
}

/**
 * Marks every syncable listing of these SKUs with the quantity its account may offer now (inventory's one rule) and
 * makes it due. In the stock sync subscriber's transaction (its cursor commits with the marks).
 */
export async function markListingsOfSkus(tx: Tx, tenantId: string, skus: readonly string[], now: number, t: MarkTiming): Promise<number> {
  let marked = 0;
  // A component's change moves what every bundle (组合装) made of it may offer.
  const withBundles = [...skus, ...(await bundlesContaining(tx, tenantId, skus))];
  for (const sku of [...new Set(withBundles)].sort()) {
    const listings = await tx.all<Pick<ListingRow, 'id' | 'account_id' | 'fixed_quantity' | 'cap_quantity'>>(
      `SELECT id, account_id, fixed_quantity, cap_quantity FROM listings WHERE tenant_id = ? AND sku = ? AND ignored = 0 AND gone = 0 ORDER BY id`,
      [tenantId, sku],
    );
    if (listings.length === 0) continue;
    const alloc = await allocationOf(tx, tenantId, sku);
    for (const l of listings) {
      const wanted = alloc.sellable(l.account_id, { fixedQuantity: l.fixed_quantity === null ? null : Number(l.fixed_quantity), capQuantity: l.cap_quantity === null ? null : Number(l.cap_quantity) });
      // The account's sync is off: nothing owed.
      if (wanted === null) continue;
      const due = wanted === 0 ? now : now + t.gatherMs;
      marked += await tx.run(`UPDATE listings SET sync_wanted = ?, sync_wanted_at = ?, sync_due_at = ${dueSql()}, updated_at = ? WHERE id = ?`, [wanted, now, due, due, now, l.id]);
    }
  }
  return marked;
}

/** The SKUs of an account's syncable listings (its allocation changed: each is marked again). */
export async function skusOfAccountListings(q: Reader, tenantId: string, accountId: string): Promise<string[]> {
  return (await q.all<{ sku: string }>(`SELECT DISTINCT sku FROM listings WHERE tenant_id = ? AND account_id = ? AND ${syncable}`, [tenantId, accountId])).map((r) => r.sku);
}

/**
 * The scheduled full push: every syncable listing not already due becomes due now, so a quantity changed on the
 * platform behind the hub's back is written over. One statement; two processes running it do no harm.
 */
export async function markAllListingsDue(db: Database, now: number): Promise<number> {
  return db.transaction((tx) => tx.run(`UPDATE listings SET sync_due_at = ?, updated_at = ? WHERE ${syncable} AND sync_due_at IS NULL`, [now, now]));
}

/** Every syncable listing of one account becomes due now (its stock is written somewhere else from now on). */
export async function markAccountListingsDue(tx: Tx, accountId: string, now: number): Promise<number> {
  // sync_wanted_at moves too: a write in flight now (to the old location) finds itself outdated when it records, and
  // the listing stays owed — marking only listings not due would lose the change to a write about to finish.
  return tx.run(`UPDATE listings SET sync_wanted_at = ?, sync_due_at = ${dueSql()}, updated_at = ? WHERE account_id = ? AND ${syncable}`, [now, now, now, now, accountId]);
}

/** A batch of listings this pass claimed for a stock write. */
export interface ListingClaim {
  token: string;
  rows: ListingRow[];
  claimedAt: number;
}

let seq = 0;

/**
 * Claims up to `limit` due listings: those that must go to 0 first, then by due time. A claim left by a process that
 * died lapses after `ttlMs`. Null when nothing is due (looked up on the read connection: no write when idle).
 */
export async function claimDueListings(db: Database, holder: string, now: number, limit: number, ttlMs: number, skipAccounts: readonly string[] = []): Promise<ListingClaim | null> {
  const free = (d: Database['dialect']) => `(sync_claimed_until IS NULL OR sync_claimed_until <= ${dbNow(d)})`;
  // An account this process is still writing to is left for the pass after (its writes are paced together).
  const skip = skipAccounts.length ? ` AND account_id NOT IN (${skipAccounts.map(() => '?').join(', ')})` : '';
  const where = `sync_due_at <= ? AND ${syncable}${skip}`;
  if (!(await db.read.get(`SELECT id FROM listings WHERE ${where} AND ${free(db.dialect)} LIMIT 1`, [now, ...skipAccounts]))) return null;
  const token = `${holder}#ls${++seq}`;
  const rows = await db.transaction((tx) => {
    const skipLocked = tx.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    return tx.all<ListingRow>(
      `UPDATE listings SET sync_claimed_by = ?, sync_claimed_until = ${dbNow(tx.dialect)} + CAST(? AS BIGINT)
       WHERE id IN (SELECT id FROM listings WHERE ${where} AND ${free(tx.dialect)}
                    ORDER BY CASE WHEN sync_wanted = 0 THEN 0 ELSE 1 END, sync_due_at, id LIMIT ?${skipLocked})
       RETURNING *`,
      [token, ttlMs, now, ...skipAccounts, limit],
    );
  });
  if (rows.length === 0) return null;
  rows.sort((a, b) => (Number(a.sync_wanted) === 0 ? 0 : 1) - (Number(b.sync_wanted) === 0 ? 0 : 1) || Number(a.sync_due_at) - Number(b.sync_due_at) || Number(a.id) - Number(b.id));
  return { token, rows, claimedAt: now };
}

/** What one stock write came to. */
export type StockWriteOutcome =
  /**
   * `target`: where it went (a Shopify location), compared against on the next write. `drift`: the platform's number
   * had changed since the hub's last write (what the hub had written, what the platform showed); written over.
   */
  | { kind: 'done'; quantity: number; target?: string | null | undefined; drift?: { expected: number; found: number } | null | undefined }
  | { kind: 'retry'; code: string; error: string; nextAt: number }
  | { kind: 'refused'; code: string; error: string }
  /** Not sent: the account's sync is off, the account paused or gone, or its platform has no stock write. */
  | { kind: 'skipped'; code: string; error: string | null };

/**
 * Records a write under the claim it ran with, and ends the claim (one statement: fence and write together). A listing
 * marked again while its write was in flight stays due — the value written may already be old — after one more
 * gathering time (at once when it is going to 0): a stream of changes makes one write per gathering time, not one
 * write after another.
 */
export async function recordStockWrite(
  db: Database,
  id: number,
  claim: ListingClaim,
  o: StockWriteOutcome,
  now: number,
  gatherMs: number,
  /** The requests the write made, for the call log (written in the same transaction, when the claim held). */
  log: { about: CallAbout; calls: readonly PlatformCallTrace[] } | null = null,
): Promise<boolean> {
  const stillOwed = `CASE WHEN sync_wanted_at > ${Number(claim.claimedAt)} THEN (CASE WHEN sync_wanted = 0 THEN ${Number(now)} ELSE ${Number(now + gatherMs)} END) ELSE NULL END`;
  const end = 'sync_claimed_by = NULL, sync_claimed_until = NULL, updated_at = ?';
  return db.transaction(async (tx) => {
    let n: number;
    if (o.kind === 'done') {
      const drift = o.drift ? ', drift_at = ?, drift_expected = ?, drift_found = ?, drift_written = ?' : '';
      n = await tx.run(
        `UPDATE listings SET synced_quantity = ?, synced_at = ?, synced_target = ?, platform_quantity = ?, sync_error = NULL, sync_error_code = NULL, sync_attempts = 0${drift}, sync_due_at = ${stillOwed}, ${end}
         WHERE id = ? AND sync_claimed_by = ?`,
        [o.quantity, now, o.target ?? null, o.quantity, ...(o.drift ? [now, o.drift.expected, o.drift.found, o.quantity] : []), now, id, claim.token],
      );
    } else if (o.kind === 'retry') {
      n = await tx.run(`UPDATE listings SET sync_error = ?, sync_error_code = ?, sync_attempts = sync_attempts + 1, sync_due_at = ?, ${end} WHERE id = ? AND sync_claimed_by = ?`, [
        o.error.slice(0, 1000),
        o.code,
        o.nextAt,
        now,
        id,
        claim.token,
      ]);
    } else {
      n = await tx.run(`UPDATE listings SET sync_error = ?, sync_error_code = ?, sync_attempts = 0, sync_due_at = ${stillOwed}, ${end} WHERE id = ? AND sync_claimed_by = ?`, [
        o.error === null ? null : o.error.slice(0, 1000),
        o.kind === 'skipped' && o.error === null ? null : o.code,
        now,
        id,
        claim.token,
      ]);
    }
    if (n === 1 && log?.calls.length && o.kind !== 'skipped') {
      await recordPlatformCalls(tx, log.about, log.calls, o.kind === 'done' ? { result: 'ok', code: null, error: null } : { result: o.kind, code: o.code, error: o.error });
    }
    return n === 1;
  });
}

/** Extends a claim while a long batch is worked through. */
export async function keepListingClaim(db: Database, claim: ListingClaim, ttlMs: number): Promise<void> {
  await db.transaction((tx) => tx.run(`UPDATE listings SET sync_claimed_until = ${dbNow(tx.dialect)} + CAST(? AS BIGINT) WHERE sync_claimed_by = ?`, [ttlMs, claim.token]));
}

/** What the worker needs to compute a listing's quantity at the moment of the call. */
export async function sellableNow(q: Reader, l: Pick<ListingRow, 'tenant_id' | 'sku' | 'account_id' | 'fixed_quantity' | 'cap_quantity'>): Promise<number | null> {
  if (l.sku === null) return null;
  const alloc = await allocationOf(q, l.tenant_id, l.sku);
  return alloc.sellable(l.account_id, { fixedQuantity: l.fixed_quantity === null ? null : Number(l.fixed_quantity), capQuantity: l.cap_quantity === null ? null : Number(l.cap_quantity) });
}
