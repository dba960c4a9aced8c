// Shopify stock writes (库存同步) with compare-and-set: the GraphQL Admin mutation inventorySetQuantities (name
// "available", reason "correction", the quantity at one location with compareQuantity: what the hub last wrote
// there; shopify.dev/docs/api/admin-graphql/2025-10/mutations/inventorySetQuantities). Shopify answers the userError
// COMPARE_QUANTITY_STALE when the level moved since (a sale on Shopify, a person's edit): the level is read again
// (inventoryItem → inventoryLevel(locationId) → quantities(names: ["available"])) and the hub's number written with
// that as the compare value. The hub's number wins — it is the source of truth — but the change is reported back
// (WriteResult.drift) and kept on the listing. When the hub never wrote there, the level is read first.
//
// Where: the account's `stockLocationId` setting, else the shop's primary location (GraphQL `location` without an
// id), read once and kept with the account (ctx.learn). One location only: a shop's other locations are not touched.
import { PlatformWriteError, type CallContext, type StockWrite, type WriteResult } from '../types.ts';
import type { ShopifyPullCredentials } from './pull.ts';
import { isShopifyId, shopifyGid, shopifyGraphql } from './graphql.ts';

const readLevel = `query InventoryLevelAt($inventoryItemId: ID!, $locationId: ID!) {
  inventoryItem(id: $inventoryItemId) {
    id
    inventoryLevel(locationId: $locationId) {
      quantities(names: ["available"]) { name quantity }
    }
  }
}`;

const setQuantities = `mutation SetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`;

const primaryLocation = `query PrimaryLocation {
  location { id name }
}`;

const locationById = `query StockLocation($id: ID!) {
  location(id: $id) { id name isActive }
}`;

/** Tries of one write when the level keeps moving between the read and the write (then the worker retries later). */
const staleTries = 3;

/** The location the hub's number goes to: the setting, the primary location kept from before, or read now and kept. */
export async function stockLocationOf(ctx: CallContext<ShopifyPullCredentials>): Promise<string> {
  const chosen = ctx.settings?.stockLocationId;
  if (isShopifyId('Location', chosen)) return shopifyGid('Location', chosen);
  const known = ctx.learned?.primaryLocationId;
  if (isShopifyId('Location', known)) return shopifyGid('Location', known);
  const { data } = await shopifyGraphql<{ location: { id?: unknown; name?: unknown } | null }>(ctx, 'PrimaryLocation', primaryLocation, {});
  const id = data.location?.id;
  if (!isShopifyId('Location', id)) throw new PlatformWriteError('LOCATION_UNKNOWN', 'Shopify named no primary location: choose the stock location in the account settings', { refused: true });
  const gid = shopifyGid('Location', id);
  await ctx.learn?.({ primaryLocationId: gid, ...(typeof data.location?.name === 'string' ? { primaryLocationName: data.location.name.slice(0, 200) } : {}) });
  return gid;
}

/** The item's `available` quantity at the location now. */
async function availableAt(ctx: CallContext<ShopifyPullCredentials>, item: string, location: string): Promise<number> {
  const { data } = await shopifyGraphql<{ inventoryItem: { inventoryLevel: { quantities?: { name?: string; quantity?: unknown }[] } | null } | null }>(
    ctx,
    'InventoryLevelAt',
    readLevel,
    { inventoryItemId: item, locationId: location },
  );
  if (!data.inventoryItem) throw new PlatformWriteError('INVALID_INVENTORY_ITEM', `Shopify has no inventory item ${item} (pull the listings again)`, { refused: true });
  const level = data.inventoryItem.inventoryLevel;
  if (!level) throw new PlatformWriteError('ITEM_NOT_STOCKED_AT_LOCATION', `inventory item ${item} is not stocked at ${location}: stock it there on Shopify, or choose another stock location`, { refused: true });
  const q = level.quantities?.find((x) => x.name === 'available')?.quantity;
  if (typeof q !== 'number' || !Number.isSafeInteger(q)) throw new PlatformWriteError('INVALID_RESPONSE', 'Shopify answered the level without an available quantity');
  return q;
}

interface SetAnswer {
  inventorySetQuantities: { inventoryAdjustmentGroup: { id?: string } | null; userErrors: { code?: string | null; field?: string[] | null; message?: string }[] } | null;
}

export async function setStockShopify(ctx: CallContext<ShopifyPullCredentials>, write: StockWrite): Promise<WriteResult> {
  const itemId = write.listing.ref.inventoryItemId;
  if (!isShopifyId('InventoryItem', itemId)) {
    throw new PlatformWriteError('LISTING_REF_MISSING', 'the listing has no Shopify inventory item (pull the listings again)', { refused: true });
  }
  if (!Number.isSafeInteger(write.quantity) || write.quantity < 0) throw new PlatformWriteError('QUANTITY_INVALID', `quantity ${write.quantity} is not a whole number >= 0`, { refused: true });
  const item = shopifyGid('InventoryItem', itemId);
  const location = await stockLocationOf(ctx);
  // What the hub wrote there last is the compare value; a write made at another location (or none) says nothing here.
  const lastWritten = write.expected !== null && write.expectedTarget === location ? write.expected : null;
  let compare = lastWritten ?? (await availableAt(ctx, item, location));
  let drift: WriteResult['drift'];
  const reference = write.listingId !== undefined ? `gid://orderhub/Listing/${write.listingId}` : `gid://orderhub/InventoryItem/${itemId.replace(/\D/g, '')}`;
  for (let tries = 1; ; tries++) {
    const { data, status } = await shopifyGraphql<SetAnswer>(ctx, 'SetAvailable', setQuantities, {
      input: {
        name: 'available',
        reason: 'correction',
        referenceDocumentUri: reference,
        quantities: [{ inventoryItemId: item, locationId: location, quantity: write.quantity, compareQuantity: compare }],
      },
    });
    const answer = data.inventorySetQuantities;
    if (!answer) throw new PlatformWriteError('INVALID_RESPONSE', 'Shopify answered without inventorySetQuantities');
    const errors = answer.userErrors ?? [];
    if (errors.length === 0) {
      return { platformRef: answer.inventoryAdjustmentGroup?.id ?? null, already: false, status, target: location, ...(drift ? { drift } : {}) };
    }
    const stale = errors.find((e) => e.code === 'COMPARE_QUANTITY_STALE');
    if (!stale) {
      const first = errors[0];
      throw new PlatformWriteError(first?.code ?? 'USER_ERROR', errors.map((e) => e.message ?? e.code ?? '').join('; ').slice(0, 500), { refused: true, status });
    }
    // The level moved since the compare value was read or written: read it again, and write the hub's number over it.
    const found = await availableAt(ctx, item, location);
    // Noticed once per write: what the hub had written and what Shopify showed instead (not the hub's own lost write).
    if (!drift && lastWritten !== null && found !== lastWritten && found !== write.quantity) drift = { expected: lastWritten, found };
    if (found === write.quantity) return { platformRef: null, already: true, status, target: location, ...(drift ? { drift } : {}) };
    if (tries >= staleTries) {
      throw new PlatformWriteError('COMPARE_QUANTITY_STALE', `the level at ${location} kept changing while it was written (${stale.message ?? 'stale'})`, { status });
    }
    compare = found;
  }
}

/** Checks the account settings against the shop: a stock location must be one of its locations, and active. */
export async function checkShopifySettings(ctx: CallContext<ShopifyPullCredentials>, settings: Readonly<Record<string, unknown>>): Promise<string[]> {
  const chosen = settings.stockLocationId;
  if (chosen === undefined || chosen === null) return [];
  if (!isShopifyId('Location', chosen)) return ['settings.stockLocationId must be a Shopify location id (123456789 or gid://shopify/Location/123456789)'];
  const { data } = await shopifyGraphql<{ location: { id?: unknown; isActive?: unknown } | null }>(ctx, 'StockLocation', locationById, { id: shopifyGid('Location', chosen) });
  if (!data.location) return [`settings.stockLocationId: ${chosen} is not a location of this shop`];
  if (data.location.isActive === false) return [`settings.stockLocationId: location ${chosen} is deactivated on Shopify`];
  return [];
}

export function shopifySettingsProblems(settings: Readonly<Record<string, unknown>>): string[] {
  const v = settings.stockLocationId;
  if (v === undefined || v === null || isShopifyId('Location', v)) return [];
  return ['settings.stockLocationId must be a Shopify location id (123456789 or gid://shopify/Location/123456789)'];
}
