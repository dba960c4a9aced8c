// What the channel use cases are given: built once by AccountService and IntegrationService and passed to each.
import type { Database } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { AccountCache } from '../../platform/account-cache.ts';
import type { ApprovalService } from '../access/approvals.ts';
import type { IngestService } from '../orders/ingest/ingest.ts';
import type { ChannelAccount } from './account-views.ts';
import type { AccountService } from './accounts.ts';

export interface AccountDeps {
  db: Database;
  keyring: Keyring;
  approvals: ApprovalService;
  /** HTTP to the platforms, for a settings check when settings are saved (a Shopify location must be the shop's). */
  fetch: typeof fetch;
  /** The ingest path looks accounts up on every push: a short-lived cache keeps that off the database. */
  cache: AccountCache<ChannelAccount>;
}

export interface IntegrationDeps {
  db: Database;
  keyring: Keyring;
  accounts: AccountService;
  /** Present where writes run (replay needs it). */
  ingest: IngestService | null;
  /** Called after a write made a platform write due (a retry, a resend, a remark): the hub wakes the outbound worker. */
  onOutboundDue?: (() => void) | undefined;
}
