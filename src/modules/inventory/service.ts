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
import { skuStock } from './queries/sku-stock.ts';
import { listStock } from './queries/list-stock.ts';
import { adjustmentVisibleTo } from './queries/adjustment-visible-to.ts';
import { setStock } from './commands/set-stock.ts';
import { requestStockAdjustments } from './commands/request-stock-adjustments.ts';
import { applyStockAdjustments, type BulkResult } from './commands/apply-stock-adjustments.ts';
import { mapSku } from './commands/map-sku.ts';
import { createSku } from './commands/create-sku.ts';

// Where these lived before the split; importers keep naming this file.
export type { StockSettings } from './deps.ts';
export type { StockView, WarehouseStock } from './views.ts';
export type { StockAdjustment } from './stock-row.ts';
export type { BulkResult } from './commands/apply-stock-adjustments.ts';

export class StockService {
  private readonly deps: StockDeps;

  constructor(db: Database, settings: StockSettings, keyring: Keyring, approvals: ApprovalService) {
    this.deps = { db, settings, keyring, approvals };
  }

  get(who: Principal, sku: string): Promise<StockView> {
    return skuStock(this.deps, who, sku);
  }

  list(who: Principal, opts: { lowOnly: boolean; limit: number; offset: number }): Promise<{ items: StockView[]; total: number }> {
    return listStock(this.deps, who, opts);
  }

  set(
    who: Principal,
    input: { sku: string; warehouse: string; onHand: number; safetyStock?: number | undefined; cause: string },
    now = Date.now(),
  ): Promise<{ stock: StockView; servedOrders: string[] }> {
    return setStock(this.deps, who, input, now);
  }

  requestAdjustments(who: Principal, input: { items: StockAdjustment[]; reason: string }, now = Date.now()): Promise<MaybePending<BulkResult>> {
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

  /** Adds a SKU to the catalogue with a title (商品对应: create the SKU, then map to it). */
  createSku(who: Principal, input: { sku: string; title: string }, now = Date.now()): Promise<{ sku: string; title: string }> {
    return createSku(this.deps, who, input, now);
  }
}
