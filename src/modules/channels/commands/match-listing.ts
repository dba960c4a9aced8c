// A person matches one listing to a hub SKU by hand (one without a merchant code, or whose code names another
// product): audited, and kept by every later pull. Mapping a code for all its listings and orders is mapSku's.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import { knownSkus } from '../../inventory/store/catalogue.ts';
import type { IntegrationDeps } from '../deps.ts';
import { listingById, matchListingManually } from '../store/listings.ts';

export async function matchListing(deps: IntegrationDeps, who: Principal, input: { accountId: string; listingId: number; sku: string }, now = Date.now()): Promise<{ listingId: number; sku: string }> {
  requirePermission(who, 'stock.adjust');
  await deps.accounts.getFor(who, input.accountId);
  return deps.db.transaction(async (tx) => {
    const l = await listingById(tx, who.tenantId, input.listingId);
    if (!l || l.account_id !== input.accountId) throw new HubError('LISTING_NOT_FOUND', `listing ${input.listingId} does not exist in channel account ${input.accountId}`);
    if ((await knownSkus(tx, who.tenantId, [input.sku])).length === 0) throw new HubError('SKU_NOT_FOUND', `SKU ${input.sku} is not known to the hub; create it first`);
    await matchListingManually(tx, who.tenantId, input.listingId, input.sku, now);
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'listing.match',
        targetType: 'channel_account',
        targetId: input.accountId,
        before: { sku: l.sku, matchSource: l.match_source },
        after: { sku: input.sku, matchSource: 'manual' },
        detail: { listingId: input.listingId, platformItemId: l.platform_item_id, platformSkuId: l.platform_sku_id, merchantCode: l.merchant_code },
      },
      now,
    );
    return { listingId: input.listingId, sku: input.sku };
  });
}
