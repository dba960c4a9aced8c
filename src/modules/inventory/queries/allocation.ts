// What each channel account may offer of a SKU, read for a push (channels' stock sync), for GET /api/stock/{sku}'s
// byChannel and for the settings page: the rows the one rule (domain/allocation.ts) takes, read together.
import type { Reader } from '../../../platform/db/database.ts';
import type { StockAllocationTable } from '../../../platform/db/schema.ts';
import { defaultAllocation, sellableFor, withListing, type AccountAllocation, type AllocationStock, type ListingOverrides } from '../domain/allocation.ts';
import { bundleSellable } from '../domain/bundles.ts';
import { readBundles } from '../store/bundles.ts';
import { channelAccountNames } from '../../channels/queries/accounts.ts';

export interface AllocationView {
  accountId: string;
  ratioPct: number;
  safetyStock: number;
  syncEnabled: boolean;
  updatedAt: number | null;
}

const toAllocation = (r: Pick<StockAllocationTable, 'ratio_pct' | 'safety_stock' | 'sync_enabled'> | undefined): AccountAllocation =>
  r ? { ratioPct: Number(r.ratio_pct), safetyStock: Number(r.safety_stock), syncEnabled: Number(r.sync_enabled) === 1 } : defaultAllocation;

/** The stock rows of a SKU (every warehouse: a platform sells from all of them). */
async function stockOf(q: Reader, tenantId: string, sku: string): Promise<AllocationStock[]> {
  const rows = await q.all<{ on_hand: number; reserved: number; safety_stock: number }>('SELECT on_hand, reserved, safety_stock FROM stock WHERE tenant_id = ? AND sku = ?', [tenantId, sku]);
  return rows.map((r) => ({ onHand: Number(r.on_hand), reserved: Number(r.reserved), safetyStock: Number(r.safety_stock) }));
}

export async function accountAllocation(q: Reader, tenantId: string, accountId: string): Promise<AccountAllocation> {
  return toAllocation(await q.get<StockAllocationTable>('SELECT ratio_pct, safety_stock, sync_enabled FROM stock_allocation WHERE tenant_id = ? AND account_id = ?', [tenantId, accountId]));
}

export async function exclusiveAccountOf(q: Reader, tenantId: string, sku: string): Promise<string | null> {
  return (await q.get<{ account_id: string }>('SELECT account_id FROM stock_exclusive WHERE tenant_id = ? AND sku = ?', [tenantId, sku]))?.account_id ?? null;
}

export interface SkuAllocation {
  /** What this account (and this listing of it) may offer now; null when the account's sync is off. */
  sellable(accountId: string, listing?: ListingOverrides | null): number | null;
}

/**
 * The inputs of the rule for one SKU, read once for several accounts or listings. A bundle (组合装) offers what its
 * components make for that account (each component by the rule, the scarcest wins), then the listing's overrides; a
 * bundle given to one account goes to that account only.
 */
export async function allocationOf(q: Reader, tenantId: string, sku: string): Promise<SkuAllocation> {
  const components = (await readBundles(q, tenantId, [sku])).get(sku);
  if (!components) return plainAllocationOf(q, tenantId, sku);
  const parts = new Map<string, SkuAllocation>();
  const free = new Map<string, number>();
  for (const c of components) {
    parts.set(c.sku, await plainAllocationOf(q, tenantId, c.sku));
    free.set(c.sku, (await stockOf(q, tenantId, c.sku)).reduce((a, r) => a + r.onHand - r.reserved - r.safetyStock, 0));
  }
  const exclusiveTo = await exclusiveAccountOf(q, tenantId, sku);
  return {
    sellable(accountId, listing = null) {
      const each = components.map((c) => parts.get(c.sku)?.sellable(accountId) ?? null);
      if (each.some((n) => n === null)) return null;
      if (exclusiveTo !== null && exclusiveTo !== accountId) return 0;
      const made = bundleSellable(components, (s) => parts.get(s)?.sellable(accountId) ?? 0);
      return withListing(made, bundleSellable(components, free), listing);
    },
  };
}

async function plainAllocationOf(q: Reader, tenantId: string, sku: string): Promise<SkuAllocation> {
  // One after another: `q` may be a transaction's single connection.
  const stock = await stockOf(q, tenantId, sku);
  const exclusiveTo = await exclusiveAccountOf(q, tenantId, sku);
  const rows = await q.all<StockAllocationTable>('SELECT account_id, ratio_pct, safety_stock, sync_enabled FROM stock_allocation WHERE tenant_id = ?', [tenantId]);
  const byAccount = new Map(rows.map((r) => [r.account_id, toAllocation(r)]));
  const settingsOf = (accountId: string) => byAccount.get(accountId) ?? defaultAllocation;
  return {
    sellable(accountId: string, listing: ListingOverrides | null = null): number | null {
      const a = settingsOf(accountId);
      return a.syncEnabled ? sellableFor(stock, accountId, a, exclusiveTo, listing) : null;
    },
  };
}

/** An account as the stock allocation page lists it: its name and platform beside its settings. */
export interface AccountAllocationView extends AllocationView {
  accountName: string;
  platform: string;
  /** False when the account is switched off (its settings still apply once it is on again). */
  active: boolean;
}

/**
 * Every channel account (not deleted) with its allocation (the defaults, updatedAt null, for one without a row), and
 * the SKUs given to one account.
 */
export async function allocationSettings(q: Reader, tenantId: string): Promise<{ accounts: AccountAllocationView[]; exclusive: { sku: string; accountId: string }[] }> {
  const rows = await q.all<StockAllocationTable>('SELECT * FROM stock_allocation WHERE tenant_id = ? ORDER BY account_id', [tenantId]);
  const byAccount = new Map(rows.map((r) => [r.account_id, r]));
  const accounts = await channelAccountNames(q, tenantId);
  const ex = await q.all<{ sku: string; account_id: string }>('SELECT sku, account_id FROM stock_exclusive WHERE tenant_id = ? ORDER BY sku', [tenantId]);
  return {
    accounts: accounts.map((a) => {
      const r = byAccount.get(a.id);
      return { accountId: a.id, accountName: a.name, platform: a.platform, active: a.active, ...toAllocation(r), updatedAt: r ? Number(r.updated_at) : null };
    }),
    exclusive: ex.map((r) => ({ sku: r.sku, accountId: r.account_id })),
  };
}
