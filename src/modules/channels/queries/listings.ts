// Listings as people see them: one account's (its listing page, with its last pull), and the unmatched ones of every
// account in the caller's scope (the 商品对应 page). Scope: an account outside it does not exist.
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import { adapterFor } from '../connectors/registry.ts';
import type { IntegrationDeps } from '../deps.ts';
import { listingPullOf, listListings, listingsOfSkuIn, type ListingFilter, type ListingPullRow, type ListingRow } from '../store/listings.ts';
import { allocationOf } from '../../inventory/queries/allocation.ts';

export interface ListingView {
  id: number;
  accountId: string;
  platformItemId: string;
  platformSkuId: string;
  merchantCode: string | null;
  title: string;
  /** The hub SKU it is matched to; null = 商品未匹配. */
  sku: string | null;
  matchSource: string | null;
  ignored: boolean;
  platformQuantity: number | null;
  syncedQuantity: number | null;
  syncedAt: string | null;
  syncError: string | null;
  /** A person's override: this listing offers this many (never more than is free), whatever the shop's ratio. */
  fixedQuantity: number | null;
  /** A person's override: this listing offers at most this many. */
  capQuantity: number | null;
}

export interface ListingPullView {
  startedAt: string | null;
  finishedAt: string | null;
  /** True while a run has started and not finished. */
  running: boolean;
  seen: number;
  matched: number;
  unmatched: number;
  gone: number;
  errorCode: string | null;
  error: string | null;
  nextRunAt: string | null;
}

const num = (v: number | null) => (v === null ? null : Number(v));

export function listingView(r: ListingRow): ListingView {
  return {
    id: Number(r.id),
    accountId: r.account_id,
    platformItemId: r.platform_item_id,
    platformSkuId: r.platform_sku_id,
    merchantCode: r.merchant_code,
    title: r.title,
    sku: r.sku,
    matchSource: r.match_source,
    ignored: Boolean(Number(r.ignored)),
    platformQuantity: num(r.platform_quantity),
    syncedQuantity: num(r.synced_quantity),
    syncedAt: toIso(num(r.synced_at)),
    syncError: r.sync_error,
    fixedQuantity: num(r.fixed_quantity),
    capQuantity: num(r.cap_quantity),
  };
}

export function listingPullView(p: ListingPullRow | undefined): ListingPullView | null {
  if (!p) return null;
  const next = Number(p.next_run_at);
  return {
    startedAt: toIso(num(p.started_at)),
    finishedAt: toIso(num(p.finished_at)),
    running: p.started_at !== null && p.finished_at === null,
    seen: Number(p.seen),
    matched: Number(p.matched),
    unmatched: Number(p.unmatched),
    gone: Number(p.gone),
    errorCode: p.error_code,
    error: p.error,
    // "Never" (scheduled pulls switched off) is said as null.
    nextRunAt: next > 4_102_444_800_000 ? null : toIso(next),
  };
}

/** True when the platform has a listing API (the own web shop has none: the hub is its catalogue). */
export function listingApiOf(platform: string): boolean {
  return Boolean(adapterFor(platform)?.pullListings);
}

export async function accountListings(deps: IntegrationDeps, who: Principal, accountId: string, f: ListingFilter) {
  const account = await deps.accounts.getFor(who, accountId);
  const listingApi = listingApiOf(account.platform);
  const { rows, total } = await listListings(deps.db.read, who.tenantId, [accountId], f);
  return {
    items: rows.map(listingView),
    total,
    listingApi,
    lastPull: listingPullView(await listingPullOf(deps.db.read, accountId)),
  };
}

export async function accountListingPull(deps: IntegrationDeps, who: Principal, accountId: string) {
  const account = await deps.accounts.getFor(who, accountId);
  return { accountId, listingApi: listingApiOf(account.platform), lastPull: listingPullView(await listingPullOf(deps.db.read, accountId)) };
}

/** The unmatched listings (neither matched nor ignored) of every account the caller may see. */
export async function unmatchedListings(deps: IntegrationDeps, who: Principal, f: Omit<ListingFilter, 'state'>) {
  const accounts = await deps.accounts.list(who);
  const names = new Map(accounts.map((a) => [a.id, { name: a.name, platform: a.platform }]));
  const { rows, total } = await listListings(deps.db.read, who.tenantId, [...names.keys()], { ...f, state: 'unmatched' });
  return {
    items: rows.map((r) => ({ ...listingView(r), accountName: names.get(r.account_id)?.name ?? '', platform: names.get(r.account_id)?.platform ?? r.channel })),
    total,
  };
}

/**
 * Every listing of a hub SKU in the shops the caller may see (the 库存分配 page's listing overrides), each with what
 * the next stock push would offer on it: inventory's one rule with the listing's own fixed quantity or cap — null when
 * the shop's sync is off, the listing is ignored, or the caller is limited to some warehouses (the number is summed
 * over every warehouse, so it is not shown to them, as byChannel is not).
 */
export async function skuListings(deps: IntegrationDeps, who: Principal, sku: string) {
  const accounts = await deps.accounts.list(who);
  const names = new Map(accounts.map((a) => [a.id, { name: a.name, platform: a.platform }]));
  const rows = await listingsOfSkuIn(deps.db.read, who.tenantId, sku, [...names.keys()]);
  const alloc = rows.length > 0 && who.scope.warehouses === null ? await allocationOf(deps.db.read, who.tenantId, sku) : null;
  return {
    items: rows.map((r) => {
      const v = listingView(r);
      const offered = alloc && !v.ignored ? alloc.sellable(r.account_id, { fixedQuantity: v.fixedQuantity, capQuantity: v.capQuantity }) : null;
      return { ...v, accountName: names.get(r.account_id)?.name ?? '', platform: names.get(r.account_id)?.platform ?? r.channel, offered };
    }),
  };
}
