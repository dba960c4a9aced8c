// What one channel account may offer of a SKU (库存分配): the one rule behind every stock write and behind
// GET /api/stock/{sku}'s byChannel, so the console shows exactly the number a push sends. Pure: no I/O.

/** One stock row of the SKU (a warehouse), as counted. */
export interface AllocationStock {
  onHand: number;
  reserved: number;
  safetyStock: number;
}

/** An account's allocation settings; an account without a row gets the defaults. */
export interface AccountAllocation {
  /** Percent of the free stock, 0–100. */
  ratioPct: number;
  /** Units kept back from this account. */
  safetyStock: number;
  syncEnabled: boolean;
}

export const defaultAllocation: AccountAllocation = { ratioPct: 100, safetyStock: 0, syncEnabled: true };

/** A listing's own overrides (on the listing row): a fixed quantity, or a cap. */
export interface ListingOverrides {
  fixedQuantity: number | null;
  capQuantity: number | null;
}

/**
 * floor((on hand − reserved − the rows' safety stock − the account's safety stock) × ratio), never below 0; then a
 * listing's fixed quantity (never more than is free after the rows' safety stock: a fixed number must not oversell),
 * its cap, and an exclusive allocation to another account (0).
 */
export function sellableFor(
  stock: readonly AllocationStock[],
  accountId: string,
  allocation: AccountAllocation,
  exclusiveTo: string | null,
  listing: ListingOverrides | null = null,
): number {
  if (exclusiveTo !== null && exclusiveTo !== accountId) return 0;
  let free = 0;
  for (const r of stock) free += r.onHand - r.reserved - r.safetyStock;
  // Integer percent: exact in integers, no float rounding at the boundary.
  const q = Math.max(0, Math.floor((Math.max(0, free - allocation.safetyStock) * allocation.ratioPct) / 100));
  return withListing(q, free, listing);
}

/** A listing's overrides over the account's number: a fixed quantity (never above what is free), then its cap. */
export function withListing(quantity: number, free: number, listing: ListingOverrides | null): number {
  let q = quantity;
  if (listing?.fixedQuantity !== null && listing?.fixedQuantity !== undefined) q = Math.min(listing.fixedQuantity, Math.max(0, free));
  if (listing?.capQuantity !== null && listing?.capQuantity !== undefined) q = Math.min(q, listing.capQuantity);
  return Math.max(0, q);
}
