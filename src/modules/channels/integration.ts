// How each channel account is doing: deliveries received and refused, what polling recovered, drift alerts, the pull
// log and its watermark; and the writes behind them (a pull run, a drift finding, an acknowledged alert, a replay).
//
// A façade: each method is one use case in commands/ (writes) or queries/ (reads); the command registry
// (app/commands.ts), the hub and the integration routes call these methods by name.
import type { Principal } from '../../kernel/principal.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { Database } from '../../platform/db/database.ts';
import type { IngestService, OrderResult } from '../orders/ingest/ingest.ts';
import type { AccountService } from './accounts.ts';
import type { IntegrationDeps } from './deps.ts';
import type { PullRunRecord } from './pull-run.ts';
import { recordPull } from './commands/record-pull.ts';
import { recordDrift, type DriftRecord } from './commands/record-drift.ts';
import { acknowledgeAlert } from './commands/acknowledge-alert.ts';
import { replayRawEvent } from './commands/replay-raw-event.ts';
import { integrationOverview } from './queries/integration-overview.ts';
import { pullLog } from './queries/pull-log.ts';
import { channelAlerts } from './queries/channel-alerts.ts';
import { recentRawEvents } from './queries/recent-raw-events.ts';
import { claimDueOutbound } from './commands/claim-due-outbound.ts';
import { recordOutboundAttempt, type OutboundOutcome } from './commands/record-outbound-attempt.ts';
import { outboundLog } from './queries/outbound-log.ts';
import { platformCallLog, type CallLogFilter } from './queries/call-log.ts';
import { pruneCallLog } from './store/call-log.ts';
import { raiseUnconfirmedShipBacks } from './commands/raise-unconfirmed.ts';
import { retryOutbound } from './commands/retry-outbound.ts';
import { resendShipBack, type ShipBackCorrection } from './commands/resend-ship-back.ts';
import { markOutboundHandled } from './commands/mark-outbound-handled.ts';
import { outboundExceptions } from './queries/outbound-exceptions.ts';
import type { Claim } from '../../platform/jobs/claims.ts';
import type { OutboundRow } from './store/outbound.ts';
import { finishListingPull, recordListingPage, startListingPull, type ListingPullEnd, type ListingPullStart } from './commands/record-listing-pull.ts';
import { ignoreListing } from './commands/ignore-listing.ts';
import { matchListing } from './commands/match-listing.ts';
import { setListingOverrides, type ListingOverridesInput } from './commands/set-listing-overrides.ts';
import { accountListingPull, accountListings, skuListings, unmatchedListings } from './queries/listings.ts';
import type { PlatformListing } from './connectors/types.ts';
import type { Lease } from '../../platform/jobs/leases.ts';
import type { ListingFilter, ListingOwner } from './store/listings.ts';

export { recoveredOutcomes, type PullRunRecord } from './pull-run.ts';
export type { DriftRecord } from './commands/record-drift.ts';
export type { OutboundOutcome } from './commands/record-outbound-attempt.ts';

export class IntegrationService {
  private readonly deps: IntegrationDeps;

  constructor(
    db: Database,
    keyring: Keyring,
    accounts: AccountService,
    /** Present where writes run (replay needs it). */
    ingest: IngestService | null = null,
  ) {
    this.deps = { db, keyring, accounts, ingest };
  }

  // ---- writes -------------------------------------------------------------------------------------------------

  recordPull(r: PullRunRecord): Promise<void> {
    return recordPull(this.deps, r);
  }

  recordDrift(r: DriftRecord): Promise<void> {
    return recordDrift(this.deps, r);
  }

  acknowledgeAlert(who: Principal, id: number, now = Date.now()): Promise<{ id: number; acknowledgedAt: string | null }> {
    return acknowledgeAlert(this.deps, who, id, now);
  }

  replay(who: Principal, rawEventId: number, now = Date.now()): Promise<{ rawEventId: number; orders: OrderResult[] }> {
    return replayRawEvent(this.deps, who, rawEventId, now);
  }

  /** A refused, given-up or unconfirmed platform write, due again now (after a fix). Audited. */
  retryOutbound(who: Principal, id: number, now = Date.now()) {
    return retryOutbound(this.deps, who, id, now);
  }

  /** The ship-back again with a corrected carrier or tracking number: a new write that supersedes it. Audited. */
  resendShipBack(who: Principal, id: number, fix: ShipBackCorrection, now = Date.now()) {
    return resendShipBack(this.deps, who, id, fix, now);
  }

  /** The exception closed by hand, with a note. Audited. */
  markOutboundHandled(who: Principal, id: number, note: string, now = Date.now()) {
    return markOutboundHandled(this.deps, who, id, note, now);
  }

  /** The hub wakes the outbound worker through this when a command made a platform write due. */
  set onOutboundDue(fn: (() => void) | undefined) {
    this.deps.onOutboundDue = fn;
  }

  /** A listing pull's steps (the listing puller's writes, fenced on its lease). */
  startListingPull(s: ListingPullStart): Promise<void> {
    return startListingPull(this.deps, s);
  }

  recordListingPage(owner: ListingOwner & { lease: Lease }, listings: PlatformListing[], seenAt: number): Promise<void> {
    return recordListingPage(this.deps, owner, listings, seenAt);
  }

  finishListingPull(e: ListingPullEnd): Promise<{ seen: number; matched: number; unmatched: number; gone: number }> {
    return finishListingPull(this.deps, e);
  }

  /** A person ignores a listing (or takes the ignore back). */
  ignoreListing(who: Principal, input: { accountId: string; listingId: number; ignored: boolean }, now = Date.now()): Promise<{ listingId: number; ignored: boolean }> {
    return ignoreListing(this.deps, who, input, now);
  }

  /** A person matches one listing to a hub SKU by hand (kept by later pulls). */
  matchListing(who: Principal, input: { accountId: string; listingId: number; sku: string }, now = Date.now()): Promise<{ listingId: number; sku: string }> {
    return matchListing(this.deps, who, input, now);
  }

  /** A person sets one listing's fixed quantity or cap (or takes them away). */
  setListingOverrides(who: Principal, input: ListingOverridesInput, now = Date.now()): Promise<{ listingId: number; fixedQuantity: number | null; capQuantity: number | null }> {
    return setListingOverrides(this.deps, who, input, now);
  }

  // ---- the outbound worker's steps (background writes, not commands: nobody asks for them over HTTP) ----------

  claimDueOutbound(now: number, holder: string, limit = 20, skipAccounts: readonly string[] = []): Promise<Claim<OutboundRow> | null> {
    return claimDueOutbound(this.deps, now, holder, limit, skipAccounts);
  }

  afterOutboundAttempt(id: number, claim: string, outcome: OutboundOutcome, now: number): Promise<boolean> {
    return recordOutboundAttempt(this.deps, id, claim, outcome, now);
  }

  /** Raises the alert for ship-backs the platform took that nothing confirmed within `windowMs`. */
  raiseUnconfirmedShipBacks(now: number, windowMs: number): Promise<number> {
    return raiseUnconfirmedShipBacks(this.deps, now, windowMs);
  }

  // ---- reads --------------------------------------------------------------------------------------------------

  /** The integration page of one account: the last 24 hours, the pull state, open alerts. */
  overview(who: Principal, accountId: string, now = Date.now()) {
    return integrationOverview(this.deps, who, accountId, now);
  }

  pullLog(who: Principal, accountId: string, limit = 50) {
    return pullLog(this.deps, who, accountId, limit);
  }

  alerts(who: Principal, f: { accountId?: string | undefined; open?: boolean | undefined; limit?: number | undefined }) {
    return channelAlerts(this.deps, who, f);
  }

  /** The account's outbound platform writes (ship-backs), newest first. */
  outboundLog(who: Principal, accountId: string, page: { limit: number; before?: number | undefined }) {
    return outboundLog(this.deps, who, accountId, page);
  }

  /** The account's platform call log (every request a write made), newest first. */
  callLog(who: Principal, accountId: string, f: CallLogFilter, now = Date.now()) {
    return platformCallLog(this.deps, who, accountId, f, now);
  }

  /** Deletes call log entries older than `before` (the outbound worker's hourly job). */
  pruneCallLog(before: number): Promise<number> {
    return pruneCallLog(this.deps.db, before);
  }

  /** The queue of platform writes people must act on (refused, given up, unconfirmed), oldest first. */
  outboundExceptions(who: Principal, f: { accountId?: string | undefined; limit: number; after?: number | undefined }) {
    return outboundExceptions(this.deps, who, f);
  }

  /** One account's listings (商品下载) with its last listing pull. */
  listings(who: Principal, accountId: string, f: ListingFilter) {
    return accountListings(this.deps, who, accountId, f);
  }

  /** One account's last listing pull. */
  listingPull(who: Principal, accountId: string) {
    return accountListingPull(this.deps, who, accountId);
  }

  /** Unmatched listings of every account in the caller's scope (商品对应). */
  unmatchedListings(who: Principal, f: Omit<ListingFilter, 'state'>) {
    return unmatchedListings(this.deps, who, f);
  }

  /** Every listing of a hub SKU in the caller's shops, with its overrides and what the next push offers. */
  skuListings(who: Principal, sku: string) {
    return skuListings(this.deps, who, sku);
  }

  /** The account's latest raw events (newest first), for the replay list: no bodies. */
  rawEvents(who: Principal, accountId: string, f: { outcome?: string | undefined; limit: number }) {
    return recentRawEvents(this.deps, who, accountId, f);
  }
}
