// A person overrides what one listing offers (库存分配, per listing): a fixed quantity (offered whatever the shop's
// ratio, never more than is free) or a cap, or takes them away (null). Audited; the stock sync pushes the listing again.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { IntegrationDeps } from '../deps.ts';
import { listingById, setListingOverrides as writeOverrides } from '../store/listings.ts';

export interface ListingOverridesInput {
  accountId: string;
  listingId: number;
  fixedQuantity: number | null;
  capQuantity: number | null;
}

const MAX = 1_000_000_000;

function checkQuantity(name: string, v: number | null): void {
  if (v !== null && (!Number.isInteger(v) || v < 0 || v > MAX)) throw new HubError('VALIDATION_FAILED', `${name} must be a whole number of units from 0 to ${MAX}, or null for none`);
}

export async function setListingOverrides(
  deps: IntegrationDeps,
  who: Principal,
  input: ListingOverridesInput,
  now = Date.now(),
): Promise<{ listingId: number; fixedQuantity: number | null; capQuantity: number | null }> {
  requirePermission(who, 'stock.adjust');
  checkQuantity('fixedQuantity', input.fixedQuantity);
  checkQuantity('capQuantity', input.capQuantity);
  // Another organisation's account, or one outside the caller's scope, does not exist for them.
  await deps.accounts.getFor(who, input.accountId);
  return deps.db.transaction(async (tx) => {
    const l = await listingById(tx, who.tenantId, input.listingId);
    if (!l || l.account_id !== input.accountId || Number(l.gone) === 1) throw new HubError('LISTING_NOT_FOUND', `listing ${input.listingId} does not exist in channel account ${input.accountId}`);
    const before = { fixedQuantity: l.fixed_quantity === null ? null : Number(l.fixed_quantity), capQuantity: l.cap_quantity === null ? null : Number(l.cap_quantity) };
    const after = { fixedQuantity: input.fixedQuantity, capQuantity: input.capQuantity };
    if (before.fixedQuantity !== after.fixedQuantity || before.capQuantity !== after.capQuantity) {
      await writeOverrides(tx, who.tenantId, input.listingId, after, now);
      // The SKU's listings are marked again (an unmatched listing has nothing to push until it is matched).
      if (l.sku !== null) {
        await appendEvent(tx, { tenantId: who.tenantId, type: 'stock.allocation_changed', aggregateType: 'stock_allocation', aggregateId: l.sku, at: now, payload: { accountId: null, sku: l.sku } });
      }
      await appendAudit(
        tx,
        deps.keyring,
        who,
        {
          action: 'listing.overrides',
          targetType: 'channel_account',
          targetId: input.accountId,
          before,
          after,
          detail: { listingId: input.listingId, sku: l.sku, platformItemId: l.platform_item_id, platformSkuId: l.platform_sku_id, merchantCode: l.merchant_code },
        },
        now,
      );
    }
    return { listingId: input.listingId, ...after };
  });
}
