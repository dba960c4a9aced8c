// A person sets the counted stock of a SKU in a warehouse; orders held for short stock get another chance.
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { StockDeps } from '../deps.ts';
import { lockHeldOrders, serveHeldOrders, visibleOrderNos } from '../held-orders.ts';
import { skuStock } from '../queries/sku-stock.ts';
import { HubError } from '../../../kernel/errors.ts';
import { applyStockRow, type UnknownWarehouse } from '../stock-row.ts';
import type { StockView } from '../views.ts';
import { checkWarehouse } from '../warehouse-scope.ts';

/** What setStock is told: the row, the count, and why (cause: where it came from; reason: the person's words). */
export interface SetStockInput {
  sku: string;
  warehouse: string;
  onHand: number;
  safetyStock?: number | undefined;
  cause: string;
  /** Why the count changed, as the movement ledger shows it; required of a person (the HTTP route), else the cause. */
  reason?: string | undefined;
  /** A warehouse code naming no warehouse: refused unless the caller asks to create it (seeding, the CLI's flag). */
  unknownWarehouse?: UnknownWarehouse | undefined;
}

/**
 * Sets the counted stock of a SKU in a warehouse. Refused when it would drop below what is already reserved, and
 * (WAREHOUSE_NOT_FOUND) when the warehouse does not exist and the caller did not ask to create it.
 */
export async function setStock(
  deps: StockDeps,
  who: Principal,
  input: SetStockInput,
  now = Date.now(),
): Promise<{ stock: StockView; servedOrders: string[] }> {
  checkWarehouse(who, input.warehouse);
  const reason = (input.reason ?? input.cause).trim();
  if (!reason) throw new HubError('VALIDATION_FAILED', 'a stock change needs a reason', { path: 'reason' });
  const served = await deps.db.transaction(async (tx) => {
    // The one lock order: the held orders this stock may serve, then every stock row they (and this count) touch.
    const held = await lockHeldOrders(tx, who.tenantId, [input.sku]);
    const change = await applyStockRow(
      tx,
      who.tenantId,
      { sku: input.sku, warehouse: input.warehouse, onHand: input.onHand, safetyStock: input.safetyStock },
      now,
      { cause: 'set', reason, actor: { id: who.userId, name: who.name }, ref: input.cause },
      // In-process callers (the demo's seeding, tests) name warehouses into being unless told otherwise.
      input.unknownWarehouse ?? 'create',
    );
    const served = await serveHeldOrders(tx, held, `stock set for ${input.sku} (${input.cause})`, now, deps.settings);
    await appendEvent(tx, {
      tenantId: who.tenantId,
      type: 'stock.set',
      aggregateType: 'sku',
      aggregateId: input.sku,
      at: now,
      payload: { sku: input.sku, warehouse: input.warehouse, onHand: change.after.onHand, safetyStock: input.safetyStock ?? null, cause: input.cause },
    });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: 'stock.set', targetType: 'stock', targetId: `${input.sku}@${input.warehouse}`, before: change.before, after: change.after, detail: { cause: input.cause, reason } },
      now,
    );
    return served;
  });
  return { stock: await skuStock(deps, who, input.sku), servedOrders: await visibleOrderNos(deps, who, served) };
}
