// Listing rows for stock sync tests, written straight into the listings table (test-only: until the listing pull
// lands, or when a test wants a listing the platform's pull would not give it): matched to a hub SKU by code.
import type { TestServer } from './server.ts';

export interface ListingDraft {
  accountId: string;
  channel: string;
  platformItemId: string;
  platformSkuId?: string;
  sku: string;
  fixedQuantity?: number | null;
  capQuantity?: number | null;
  platformQuantity?: number | null;
}

/** Inserts a matched listing (tenant `default`, as the test hub's admin sees it); returns its id. */
export async function insertListing(s: TestServer, d: ListingDraft, tenantId = 'default'): Promise<number> {
  const now = Date.now();
  const row = await s.hub.db.transaction((tx) =>
    tx.get<{ id: number }>(
      `INSERT INTO listings (tenant_id, account_id, channel, platform_item_id, platform_sku_id, merchant_code, title, ref, sku, match_source, platform_quantity, seen_at, fixed_quantity, cap_quantity, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, 'code', ?, ?, ?, ?, ?, ?) RETURNING id`,
      [tenantId, d.accountId, d.channel, d.platformItemId, d.platformSkuId ?? '', d.sku, d.sku, d.sku, d.platformQuantity ?? null, now, d.fixedQuantity ?? null, d.capQuantity ?? null, now, now],
    ),
  );
  return Number(row?.id);
}

export interface ListingState {
  id: number;
  syncWanted: number | null;
  syncDueAt: number | null;
  syncedQuantity: number | null;
  syncedAt: number | null;
  syncError: string | null;
  syncErrorCode: string | null;
  syncAttempts: number;
  claimedBy: string | null;
}

export async function listingState(s: TestServer, id: number): Promise<ListingState> {
  const r = await s.hub.db.read.get<Record<string, unknown>>('SELECT * FROM listings WHERE id = ?', [id]);
  if (!r) throw new Error(`no listing ${id}`);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id,
    syncWanted: n(r.sync_wanted),
    syncDueAt: n(r.sync_due_at),
    syncedQuantity: n(r.synced_quantity),
    syncedAt: n(r.synced_at),
    syncError: (r.sync_error as string | null) ?? null,
    syncErrorCode: (r.sync_error_code as string | null) ?? null,
    syncAttempts: Number(r.sync_attempts),
    claimedBy: (r.sync_claimed_by as string | null) ?? null,
  };
}

/** Waits (generous deadline, short polls) until `check` holds; throws with `what` when it never does. */
export async function eventually<T>(what: string, read: () => Promise<T>, check: (v: T) => boolean, deadlineMs = 20_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: T = await read();
  while (!check(last)) {
    if (Date.now() > end) throw new Error(`${what}: never happened (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 25));
    last = await read();
  }
  return last;
}
