// A person ignores a listing on the 商品对应 page (a gift, a deposit link: nothing the hub sells), or takes the ignore
// back; audited. Later pulls keep it ignored.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { IntegrationDeps } from '../deps.ts';
import { listingById, setListingIgnored } from '../store/listings.ts';

export async function ignoreListing(deps: IntegrationDeps, who: Principal, input: { accountId: string; listingId: number; ignored: boolean }, now = Date.now()): Promise<{ listingId: number; ignored: boolean }> {
  requirePermission(who, 'stock.adjust');
  // Another organisation's account, or one outside the caller's scope, does not exist for them.
  await deps.accounts.getFor(who, input.accountId);
  return deps.db.transaction(async (tx) => {
    const l = await listingById(tx, who.tenantId, input.listingId);
    if (!l || l.account_id !== input.accountId) throw new HubError('LISTING_NOT_FOUND', `listing ${input.listingId} does not exist in channel account ${input.accountId}`);
    if (Boolean(l.ignored) !== input.ignored) {
      await setListingIgnored(tx, who.tenantId, input.listingId, input.ignored, now);
      await appendEvent(tx, {
        tenantId: who.tenantId,
        type: 'listing.ignored',
        aggregateType: 'channel_account',
        aggregateId: input.accountId,
        at: now,
        payload: { accountId: input.accountId, listingId: input.listingId, merchantCode: l.merchant_code, ignored: input.ignored },
      });
      await appendAudit(
        tx,
        deps.keyring,
        who,
        {
          action: input.ignored ? 'listing.ignore' : 'listing.unignore',
          targetType: 'channel_account',
          targetId: input.accountId,
          before: { ignored: Boolean(l.ignored), sku: l.sku },
          after: { ignored: input.ignored },
          detail: { listingId: input.listingId, platformItemId: l.platform_item_id, platformSkuId: l.platform_sku_id, merchantCode: l.merchant_code },
        },
        now,
      );
    }
    return { listingId: input.listingId, ignored: input.ignored };
  });
}
