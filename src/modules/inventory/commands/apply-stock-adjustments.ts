// Carries out a bulk stock adjustment, all rows or none: at once, or approved, inside the approval's transaction.
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import type { ApprovalContext } from '../../access/approvals.ts';
import { appendAudit } from '../../access/audit.ts';
import type { StockDeps } from '../deps.ts';
import { lockHeldOrders, serveHeldOrders } from '../held-orders.ts';
import { applyStockRow, type StockAdjustment } from '../stock-row.ts';
import { checkWarehouse } from '../warehouse-scope.ts';

/** A bulk adjustment as stored for its approval. */
export interface BulkPayload {
  items: StockAdjustment[];
  reason: string;
  /** A stock count (盘点): counted quantities; absent for a correction (调整). The ledger says which. */
  kind?: 'adjust' | 'count' | undefined;
}

export interface BulkResult {
  changes: {
    sku: string;
    warehouse: string;
    before: { onHand: number; safetyStock: number } | null;
    after: { onHand: number; safetyStock: number };
  }[];
  servedOrders: string[];
}

/** Runs an approved bulk adjustment. */
export async function applyStockAdjustments(deps: StockDeps, tx: Tx, who: Principal, payload: Record<string, unknown>, ctx: ApprovalContext, now: number): Promise<BulkResult> {
  return applyBulk(deps, tx, who, payload as unknown as BulkPayload, ctx, now);
}

export async function applyBulk(deps: StockDeps, tx: Tx, who: Principal, p: BulkPayload, ctx: ApprovalContext | null, now: number): Promise<BulkResult> {
  const changes: BulkResult['changes'] = [];
  const skus = [...new Set(p.items.map((a) => a.sku))].sort();
  const held = await lockHeldOrders(tx, who.tenantId, skus);
  for (const a of p.items) {
    checkWarehouse(who, a.warehouse);
    // Approved later, by someone else: the warehouse is checked again, and the ledger names who asked and who approved.
    const c = await applyStockRow(tx, who.tenantId, a, now, {
      cause: p.kind === 'count' ? 'count' : 'adjust',
      reason: p.reason,
      actor: { id: who.userId, name: ctx ? `${who.name} (${ctx.requestedBy})` : who.name },
      ref: ctx?.approvalId ?? null,
    });
    changes.push({ sku: a.sku, warehouse: a.warehouse, before: c.before, after: c.after });
  }
  const served = await serveHeldOrders(tx, held, `stock adjusted (${p.reason})`, now, deps.settings);
  await appendEvent(tx, {
    tenantId: who.tenantId,
    type: 'stock.adjusted',
    aggregateType: 'stock',
    aggregateId: ctx?.approvalId ?? 'bulk',
    at: now,
    payload: { changes: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, onHand: c.after.onHand, safetyStock: c.after.safetyStock })), cause: p.reason },
  });
  await appendAudit(
    tx,
    deps.keyring,
    who,
    {
      action: 'stock.bulk_adjust',
      targetType: 'stock',
      targetId: null,
      before: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, ...(c.before ?? { onHand: null }) })),
      after: changes.map((c) => ({ sku: c.sku, warehouse: c.warehouse, ...c.after })),
      detail: ctx ? { reason: p.reason, approval: ctx.approvalId, requestedBy: ctx.requestedBy } : { reason: p.reason },
    },
    now,
  );
  return { changes, servedOrders: served };
}
