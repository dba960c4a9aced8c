// Listings (商品下载): what each channel account offers on its platform, as the last pulls found it, and which hub SKU
// each one is (matched by its merchant code, by an alias, or by a person). A pull upserts by the platform's ids and
// matches again by code, but never undoes a person's match ('manual') or an ignore. The sync_* columns belong to stock
// sync (listing-sync.ts): nothing here writes them.
import type { Reader, SqlValue, Tx } from '../../../platform/db/database.ts';
import type { ListingPullsTable, ListingsTable } from '../../../platform/db/schema.ts';
import { resolveSkuCode } from '../../inventory/store/catalogue.ts';
import type { PlatformListing } from '../connectors/types.ts';

export type ListingRow = ListingsTable;
export type ListingPullRow = ListingPullsTable;
export type ListingState = 'matched' | 'unmatched' | 'ignored';

export interface ListingOwner {
  tenantId: string;
  accountId: string;
  channel: string;
}

/** Text the platform sent, trimmed to what a column holds (a seller's title can be long). */
const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/**
 * Upserts one page of a pull, every row stamped `seenAt` (the run's start: rows not stamped by a complete run are
 * gone). A listing whose merchant code names a hub SKU, or an alias of one, is matched ('code' or 'alias'); a person's
 * match stays, and so does an ignore. Listings seen again are no longer gone.
 */
export async function upsertListings(tx: Tx, owner: ListingOwner, listings: readonly PlatformListing[], seenAt: number): Promise<void> {
  for (const l of listings) {
    const code = l.merchantCode?.trim() ? clip(l.merchantCode.trim(), 128) : null;
    const sku = code ? await resolveSkuCode(tx, owner.tenantId, owner.accountId, code) : null;
    const source = sku === null ? null : sku === code ? 'code' : 'alias';
    await tx.run(
      `INSERT INTO listings (tenant_id, account_id, channel, platform_item_id, platform_sku_id, merchant_code, title, ref, sku, match_source, ignored,
         platform_quantity, seen_at, gone, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, ?, ?)
       ON CONFLICT (tenant_id, account_id, platform_item_id, platform_sku_id) DO UPDATE SET
         merchant_code = excluded.merchant_code, title = excluded.title, ref = excluded.ref, platform_quantity = excluded.platform_quantity,
         seen_at = excluded.seen_at, gone = 0, updated_at = excluded.updated_at,
         sku = CASE WHEN listings.match_source = 'manual' THEN listings.sku ELSE excluded.sku END,
         match_source = CASE WHEN listings.match_source = 'manual' THEN listings.match_source ELSE excluded.match_source END`,
      [
        owner.tenantId,
        owner.accountId,
        owner.channel,
        clip(l.platformItemId, 128),
        clip(l.platformSkuId, 128),
        code,
        clip(l.title, 500),
        JSON.stringify(l.ref ?? {}),
        sku,
        source,
        l.quantity,
        seenAt,
        seenAt,
        seenAt,
      ],
    );
  }
}

/** After a complete pull: listings it did not see are gone from the platform (seen again later, they come back). */
export async function markUnseenGone(tx: Tx, tenantId: string, accountId: string, seenAt: number, now: number): Promise<number> {
  return tx.run('UPDATE listings SET gone = 1, updated_at = ? WHERE tenant_id = ? AND account_id = ? AND seen_at < ? AND gone = 0', [now, tenantId, accountId, seenAt]);
}

/** The account's live listings by state (gone ones left out). */
export async function listingCounts(q: Reader, tenantId: string, accountId: string): Promise<{ seen: number; matched: number; unmatched: number; ignored: number; gone: number }> {
  const r = await q.get<{ seen: number | null; matched: number | null; unmatched: number | null; ignored: number | null; gone: number | null }>(
    `SELECT SUM(CASE WHEN gone = 0 THEN 1 ELSE 0 END) AS seen,
            SUM(CASE WHEN gone = 0 AND sku IS NOT NULL THEN 1 ELSE 0 END) AS matched,
            SUM(CASE WHEN gone = 0 AND sku IS NULL AND ignored = 0 THEN 1 ELSE 0 END) AS unmatched,
            SUM(CASE WHEN gone = 0 AND sku IS NULL AND ignored = 1 THEN 1 ELSE 0 END) AS ignored,
            SUM(CASE WHEN gone = 1 THEN 1 ELSE 0 END) AS gone
     FROM listings WHERE tenant_id = ? AND account_id = ?`,
    [tenantId, accountId],
  );
  const n = (v: number | null | undefined) => Number(v ?? 0);
  return { seen: n(r?.seen), matched: n(r?.matched), unmatched: n(r?.unmatched), ignored: n(r?.ignored), gone: n(r?.gone) };
}

/**
 * In the transaction that maps a platform code to a hub SKU (inventory's mapSku): every listing of the account (of
 * every account when accountId is '') with that merchant code is matched to it as an alias, and no longer ignored. A
 * listing a person matched by hand keeps its match.
 */
export async function matchListingsByCode(tx: Tx, tenantId: string, accountId: string, code: string, sku: string, now: number): Promise<number> {
  return tx.run(
    `UPDATE listings SET sku = ?, match_source = 'alias', ignored = 0, updated_at = ?
     WHERE tenant_id = ? AND merchant_code = ? AND (? = '' OR account_id = ?) AND (match_source IS NULL OR match_source <> 'manual')`,
    [sku, now, tenantId, code, accountId, accountId],
  );
}

/** A person matches one listing (one without a usable merchant code, or against its code): kept by every pull. */
export async function matchListingManually(tx: Tx, tenantId: string, id: number, sku: string, now: number): Promise<number> {
  return tx.run(`UPDATE listings SET sku = ?, match_source = 'manual', ignored = 0, updated_at = ? WHERE tenant_id = ? AND id = ?`, [sku, now, tenantId, id]);
}

/** A person ignores a listing (or takes the ignore back): an ignored listing is neither matched nor shown as unmatched. */
export async function setListingIgnored(tx: Tx, tenantId: string, id: number, ignored: boolean, now: number): Promise<number> {
  return ignored
    ? tx.run(`UPDATE listings SET ignored = 1, sku = NULL, match_source = NULL, updated_at = ? WHERE tenant_id = ? AND id = ?`, [now, tenantId, id])
    : tx.run(`UPDATE listings SET ignored = 0, updated_at = ? WHERE tenant_id = ? AND id = ?`, [now, tenantId, id]);
}

export function listingById(q: Reader, tenantId: string, id: number): Promise<ListingRow | undefined> {
  return q.get<ListingRow>('SELECT * FROM listings WHERE tenant_id = ? AND id = ?', [tenantId, id]);
}

export interface ListingFilter {
  state?: ListingState | undefined;
  /** Part of the merchant code or the title. */
  q?: string | undefined;
  limit: number;
  offset: number;
}

function stateSql(state: ListingState | undefined): string {
  if (state === 'matched') return ' AND sku IS NOT NULL';
  if (state === 'unmatched') return ' AND sku IS NULL AND ignored = 0';
  if (state === 'ignored') return ' AND ignored = 1';
  return '';
}

/** LIKE with the user's text taken literally. */
function likeParam(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Listings of some accounts still on the platform (gone ones left out), in a stable order, with the total. */
export async function listListings(q: Reader, tenantId: string, accountIds: readonly string[], f: ListingFilter): Promise<{ rows: ListingRow[]; total: number }> {
  if (accountIds.length === 0) return { rows: [], total: 0 };
  const params: SqlValue[] = [tenantId, ...accountIds];
  let where = `tenant_id = ? AND account_id IN (${accountIds.map(() => '?').join(', ')}) AND gone = 0${stateSql(f.state)}`;
  if (f.q?.trim()) {
    where += ` AND (merchant_code LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\')`;
    params.push(likeParam(f.q.trim()), likeParam(f.q.trim()));
  }
  const total = Number((await q.get<{ n: number }>(`SELECT COUNT(*) AS n FROM listings WHERE ${where}`, params))?.n ?? 0);
  const rows = await q.all<ListingRow>(`SELECT * FROM listings WHERE ${where} ORDER BY account_id, merchant_code, platform_item_id, platform_sku_id LIMIT ? OFFSET ?`, [
    ...params,
    f.limit,
    f.offset,
  ]);
  return { rows, total };
}

/** The listings of some accounts matched to a hub SKU, still on the platform, by account. */
export async function listingsOfSkuIn(q: Reader, tenantId: string, sku: string, accountIds: readonly string[]): Promise<ListingRow[]> {
  if (accountIds.length === 0) return [];
  return q.all<ListingRow>(
    `SELECT * FROM listings WHERE tenant_id = ? AND sku = ? AND gone = 0 AND account_id IN (${accountIds.map(() => '?').join(', ')}) ORDER BY account_id, platform_item_id, platform_sku_id`,
    [tenantId, sku, ...accountIds],
  );
}

/** A person's overrides of one listing's quantity (null: none). Stock sync reads them at every push. */
export async function setListingOverrides(tx: Tx, tenantId: string, id: number, o: { fixedQuantity: number | null; capQuantity: number | null }, now: number): Promise<number> {
  return tx.run('UPDATE listings SET fixed_quantity = ?, cap_quantity = ?, updated_at = ? WHERE tenant_id = ? AND id = ?', [o.fixedQuantity, o.capQuantity, now, tenantId, id]);
}

// ---- the pull's own record ------------------------------------------------------------------------------------

export function listingPullOf(q: Reader, accountId: string): Promise<ListingPullRow | undefined> {
  return q.get<ListingPullRow>('SELECT * FROM listing_pulls WHERE account_id = ?', [accountId]);
}

/** A run begins: its start is shown at once (a pull asked for by hand is seen to run). */
export async function recordListingPullStart(tx: Tx, tenantId: string, accountId: string, startedAt: number): Promise<void> {
  await tx.run(
    `INSERT INTO listing_pulls (account_id, tenant_id, started_at, finished_at, next_run_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET started_at = excluded.started_at, finished_at = NULL, updated_at = excluded.updated_at`,
    [accountId, tenantId, startedAt, startedAt, startedAt],
  );
}

export async function recordListingPullEnd(
  tx: Tx,
  r: { tenantId: string; accountId: string; startedAt: number; finishedAt: number; seen: number; matched: number; unmatched: number; gone: number; errorCode: string | null; error: string | null; failures: number; nextRunAt: number },
): Promise<void> {
  await tx.run(
    `INSERT INTO listing_pulls (account_id, tenant_id, started_at, finished_at, seen, matched, unmatched, gone, error_code, error, failures, next_run_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at, seen = excluded.seen,
       matched = excluded.matched, unmatched = excluded.unmatched, gone = excluded.gone, error_code = excluded.error_code, error = excluded.error,
       failures = excluded.failures, next_run_at = excluded.next_run_at, updated_at = excluded.updated_at`,
    [r.accountId, r.tenantId, r.startedAt, r.finishedAt, r.seen, r.matched, r.unmatched, r.gone, r.errorCode, r.error?.slice(0, 1000) ?? null, r.failures, r.nextRunAt, r.finishedAt],
  );
}
