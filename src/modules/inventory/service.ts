// Stock levels per SKU and warehouse, SKU mapping, and serving held orders once stock or a mapping arrives: a thin
// façade that builds the module's deps once and hands each call to its use case (commands/ for writes, queries/ for
// reads), so the command registry (app/commands.ts), the hub and every caller keep naming one service and its methods.
import type { Principal } from '../../kernel/principal.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { ApprovalContext, ApprovalService, MaybePending } from '../access/approvals.ts';
import type { StockDeps, StockSettings } from './deps.ts';
import type { StockAdjustment } from './stock-row.ts';
import type { StockView } from './views.ts';
import { skuStock, skuStockWithChannels } from './queries/sku-stock.ts';
import { listStock } from './queries/list-stock.ts';
import { adjustmentVisibleTo } from './queries/adjustment-visible-to.ts';
import { setStock } from './commands/set-stock.ts';
import { requestStockAdjustments } from './commands/request-stock-adjustments.ts';
import { applyStockAdjustments, type BulkResult } from './commands/apply-stock-adjustments.ts';
import { mapSku } from './commands/map-sku.ts';
import { saveAllocation, setExclusive, type AllocationInput } from './commands/save-allocation.ts';
import { allocationSettings, type AccountAllocationView, type AllocationView } from './queries/allocation.ts';
import { defineBundle } from './commands/define-bundle.ts';
import { deleteBundle } from './commands/delete-bundle.ts';
import { bundleView, listBundles, type BundleView } from './queries/bundles.ts';
import type { BundleComponent } from './domain/bundles.ts';
import { createSku } from './commands/create-sku.ts';
import { skuMovements, type MovementView } from './queries/movements.ts';
import type { SetStockInput } from './commands/set-stock.ts';

// Where these lived before the split; importers keep naming this file.
export type { StockSettings } from './deps.ts';
export type { StockView, WarehouseStock } from './views.ts';
export type { StockAdjustment } from './stock-row.ts';
export type { BulkResult } from './commands/apply-stock-adjustments.ts';
export type { BundleView } from './queries/bundles.ts';

export class StockService {
  private readonly deps: StockDeps;

  constructor(db: Database, settings: StockSettings, keyring: Keyring, approvals: ApprovalService) {
    this.deps = { db, settings, keyring, approvals };
  }

  get(who: Principal, sku: string): Promise<StockView> {
    return skuStock(this.deps, who, sku);
  }

  /** One SKU with byChannel: what each shop may offer (the number a stock push sends). */
  detail(who: Principal, sku: string) {
    return skuStockWithChannels(this.deps, who, sku);
  }

  list(who: Principal, opts: { lowOnly: boolean; limit: number; offset: number; q?: string | undefined }): Promise<{ items: StockView[]; total: number }> {
    return listStock(this.deps, who, opts);
  }

  /** The movement ledger (出入库流水) of one SKU, newest first, one page. */
  movements(who: Principal, sku: string, opts: { warehouse?: string | undefined; before?: number | undefined; limit: number }): Promise<{ items: MovementView[]; nextBefore: number | null }> {
    return skuMovements(this.deps, who, sku, opts);
  }

  set(
    who: Principal,
    input: SetStockInput,
    now = Date.now(),
  ): Promise<{ stock: StockView; servedOrders: string[] }> {
    return setStock(this.deps, who, input, now);
  }

  requestAdjustments(who: Principal, input: { items: StockAdjustment[]; reason: string; kind?: 'adjust' | 'count' | undefined }, now = Date.now()): Promise<MaybePending<BulkResult>> {
    return requestStockAdjustments(this.deps, who, input, now);
  }

  applyAdjustments(tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number): Promise<BulkResult> {
    return applyStockAdjustments(this.deps, tx, who, payload, ctx, now);
  }

  visibleTo(who: Principal, payload: Record<string, unknown>): boolean {
    return adjustmentVisibleTo(who, payload);
  }

  mapSku(who: Principal, input: { externalSku: string; sku: string; accountId?: string | undefined }, now = Date.now()): Promise<{ rematchedOrders: string[] }> {
    return mapSku(this.deps, who, input, now);
  }

  /** A channel account's share of stock (库存分配): ratio, safety stock, sync on or off. */
  saveAllocation(who: Principal, input: AllocationInput, now = Date.now()): Promise<AllocationView> {
    return saveAllocation(this.deps, who, input, now);
  }

  /** Gives a SKU to one account only, or ends that (accountId null). */
  setExclusive(who: Principal, input: { sku: string; accountId: string | null }, now = Date.now()): Promise<{ sku: string; accountId: string | null }> {
    return setExclusive(this.deps, who, input, now);
  }

  /** Every shop in scope with its share of stock, and the SKUs given to one shop (of those shops). */
  allocation(who: Principal): Promise<{ accounts: AccountAllocationView[]; exclusive: { sku: string; accountId: string }[] }> {
    return allocationSettings(this.deps.db.read, who.tenantId).then((r) => ({
      accounts: r.accounts.filter((a) => who.scope.accounts === null || who.scope.accounts.includes(a.accountId)),
      exclusive: r.exclusive.filter((e) => who.scope.accounts === null || who.scope.accounts.includes(e.accountId)),
    }));
  }

  bundle(who: Principal, sku: string): Promise<BundleView> {
    return bundleView(this.deps, who, sku);
  }

  bundles(who: Principal): Promise<{ items: BundleView[] }> {
    return listBundles(this.deps, who);
  }

  defineBundle(who: Principal, input: { sku: string; components: BundleComponent[] }, now = Date.now()): Promise<BundleView> {
    return defineBundle(this.deps, who, input, now);
  }

  deleteBundle(who: Principal, sku: string, now = Date.now()): Promise<{ deleted: string }> {
    return deleteBundle(this.deps, who, sku, now);
  }

  /** Adds a SKU to the catalogue with a title (商品对应: create the SKU, then map to it). */
  createSku(who: Principal, input: { sku: string; title: string }, now = Date.now()): Promise<{ sku: string; title: string }> {
    return createSku(this.deps, who, input, now);
  }
}
