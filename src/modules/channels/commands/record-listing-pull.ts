// Recording a listing pull (商品下载): its start, each page of listings it found (upserted and matched by code), and
// its end (listings it did not see marked gone when it ran to the end, the counts, the next run, an event) — each
// behind a fence on the run's lease, so a process that lost the lease cannot write a page over another run's.
import type { IntegrationDeps } from '../deps.ts';
import { fence, type Lease } from '../../../platform/jobs/leases.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import type { PlatformListing } from '../connectors/types.ts';
import { listingCounts, markUnseenGone, recordListingPullEnd, recordListingPullStart, upsertListings, type ListingOwner } from '../store/listings.ts';

export interface ListingPullStart extends ListingOwner {
  startedAt: number;
  lease: Lease;
}

export interface ListingPullEnd extends ListingOwner {
  startedAt: number;
  finishedAt: number;
  /** True when every page was read: only then are the listings it did not see gone. */
  complete: boolean;
  errorCode: string | null;
  error: string | null;
  failures: number;
  nextRunAt: number;
  lease: Lease;
}

export async function startListingPull(deps: IntegrationDeps, s: ListingPullStart): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await fence(tx, s.lease);
    await recordListingPullStart(tx, s.tenantId, s.accountId, s.startedAt);
  });
}

export async function recordListingPage(deps: IntegrationDeps, owner: ListingOwner & { lease: Lease }, listings: PlatformListing[], seenAt: number): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await fence(tx, owner.lease);
    await upsertListings(tx, owner, listings, seenAt);
  });
}

export async function finishListingPull(deps: IntegrationDeps, e: ListingPullEnd): Promise<{ seen: number; matched: number; unmatched: number; gone: number }> {
  return deps.db.transaction(async (tx) => {
    await fence(tx, e.lease);
    if (e.complete) await markUnseenGone(tx, e.tenantId, e.accountId, e.startedAt, e.finishedAt);
    const c = await listingCounts(tx, e.tenantId, e.accountId);
    const counts = { seen: c.seen, matched: c.matched, unmatched: c.unmatched, gone: c.gone };
    await recordListingPullEnd(tx, { ...e, ...counts });
    await appendEvent(tx, {
      tenantId: e.tenantId,
      type: 'listings.pulled',
      aggregateType: 'channel_account',
      aggregateId: e.accountId,
      at: e.finishedAt,
      payload: { accountId: e.accountId, platform: e.channel, ...counts, errorCode: e.errorCode },
    });
    return counts;
  });
}
