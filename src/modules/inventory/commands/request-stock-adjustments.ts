// A person asks to change several stock rows at once (a stock count, a correction): applied at once or after approval.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { MaybePending } from '../../access/approvals.ts';
import type { StockDeps } from '../deps.ts';
import { visibleOrderNos } from '../held-orders.ts';
import type { StockAdjustment } from '../stock-row.ts';
import { checkWarehouse } from '../warehouse-scope.ts';
import { checkWarehouseKnown } from '../stock-row.ts';
import { applyBulk, type BulkPayload, type BulkResult } from './apply-stock-adjustments.ts';

/**
 * Several stock rows at once, all or none (a stock count, a correction after an audit). Needs a second person's
 * approval under the default policy: the answer is then the pending request.
 */
export async function requestStockAdjustments(
  deps: StockDeps,
  who: Principal,
  input: { items: StockAdjustment[]; reason: string; kind?: 'adjust' | 'count' | undefined },
  now = Date.now(),
): Promise<MaybePending<BulkResult>> {
  const reason = input.reason.trim();
  if (!reason) throw new HubError('VALIDATION_FAILED', 'a stock adjustment needs a reason');
  const seen = new Set<string>();
  input.items.forEach((a, i) => {
    if ((a.onHand === undefined) === (a.delta === undefined)) {
      throw new HubError('VALIDATION_FAILED', `items[${i}] needs exactly one of onHand (a new count) or delta (a difference)`);
    }
    if (a.delta === 0 && a.safetyStock === undefined) throw new HubError('VALIDATION_FAILED', `items[${i}] changes nothing (delta 0)`);
    const key = `${a.sku}@${a.warehouse}`;
    if (seen.has(key)) throw new HubError('VALIDATION_FAILED', `items[${i}]: ${key} is named twice`);
    seen.add(key);
    checkWarehouse(who, a.warehouse);
  });
  // An unknown warehouse is refused before anything is written or asked for approval.
  const warehouses = [...new Set(input.items.map((a) => a.warehouse))].sort();
  for (const w of warehouses) await checkWarehouseKnown(deps.db.read, who.tenantId, w);
  const payload: BulkPayload = { items: input.items.map((a) => ({ ...a })), reason, ...(input.kind === 'count' ? { kind: 'count' as const } : {}) };
  if (deps.approvals.required('stock.bulk_adjust')) {
    const pending = await deps.db.transaction(async (tx) => {
      // The rows as they stand when asked, so the decider reads before → after (a row not there yet starts at 0).
      const before: { sku: string; warehouse: string; onHand: number; safetyStock: number }[] = [];
      for (const a of input.items) {
        const r = await tx.get<{ on_hand: number; safety_stock: number }>('SELECT on_hand, safety_stock FROM stock WHERE tenant_id = ? AND sku = ? AND warehouse = ?', [
          who.tenantId,
          a.sku,
          a.warehouse,
        ]);
        before.push({ sku: a.sku, warehouse: a.warehouse, onHand: Number(r?.on_hand ?? 0), safetyStock: Number(r?.safety_stock ?? 0) });
      }
      return deps.approvals.open(
        tx,
        who,
        {
          kind: 'stock.bulk_adjust',
          targetType: 'stock',
          targetId: null,
          summary: `${input.kind === 'count' ? 'stock count (盘点)' : `${input.items.length} stock rows`} in ${warehouses.join(', ')}: ${reason}`,
          payload: { ...payload, before },
        },
        now,
      );
    });
    return { pending };
  }
  const done = await deps.db.transaction((tx) => applyBulk(deps, tx, who, payload, null, now));
  return { done: { ...done, servedOrders: await visibleOrderNos(deps, who, done.servedOrders) } };
}
