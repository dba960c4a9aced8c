// The movement ledger of one SKU (出入库流水): newest first, in the warehouses the principal's scope covers, paged by id.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { toIso } from '../../../kernel/time.ts';
import type { StockDeps } from '../deps.ts';
import { warehouseInScope } from '../warehouse-scope.ts';

export interface MovementView {
  id: number;
  sku: string;
  warehouse: string;
  at: string;
  cause: string;
  reason: string | null;
  /** Who moved it: a person's name, or null for the hub's own order flow. */
  actor: string | null;
  /** The order, parcel or approval the move serves. */
  ref: string | null;
  onHand: { before: number; after: number };
  reserved: { before: number; after: number };
}

interface Row {
  id: number;
  sku: string;
  warehouse: string;
  at: number;
  cause: string;
  reason: string | null;
  actor_name: string | null;
  ref: string | null;
  on_hand_before: number;
  on_hand_after: number;
  reserved_before: number;
  reserved_after: number;
}

/** One page of a SKU's movements, newest first; `before` is the id the previous page ended at (nextBefore). */
export async function skuMovements(
  deps: StockDeps,
  who: Principal,
  sku: string,
  opts: { warehouse?: string | undefined; before?: number | undefined; limit: number },
): Promise<{ items: MovementView[]; nextBefore: number | null }> {
  if (opts.warehouse !== undefined && !warehouseInScope(who.scope, opts.warehouse)) {
    // Out of the principal's sight: the same answer as a warehouse with no movements of an unknown SKU.
    throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
  }
  const known = await deps.db.read.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]);
  if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
  // As for its stock: a SKU not stocked in any warehouse of a warehouse scope is not there for it.
  if (who.scope.warehouses !== null) {
    const rows = await deps.db.read.all<{ warehouse: string }>('SELECT warehouse FROM stock WHERE tenant_id = ? AND sku = ?', [who.tenantId, sku]);
    if (!rows.some((r) => warehouseInScope(who.scope, r.warehouse))) throw new HubError('SKU_NOT_FOUND', `SKU ${sku} is not known to the hub`);
  }
  // The order (or parcel) a move served is named only to whom every order is visible: a shop- or province-scoped
  // person would otherwise read the ids of orders outside their scope.
  const showRefs = who.scope.accounts === null && who.scope.provinces === null;
  const where = ['tenant_id = ?', 'sku = ?'];
  const params: (string | number)[] = [who.tenantId, sku];
  if (opts.warehouse !== undefined) {
    where.push('warehouse = ?');
    params.push(opts.warehouse);
  } else if (who.scope.warehouses !== null) {
    if (who.scope.warehouses.length === 0) return { items: [], nextBefore: null };
    where.push(`warehouse IN (${who.scope.warehouses.map(() => '?').join(', ')})`);
    params.push(...who.scope.warehouses);
  }
  if (opts.before !== undefined) {
    where.push('id < ?');
    params.push(opts.before);
  }
  const rows = await deps.db.read.all<Row>(
    `SELECT id, sku, warehouse, at, cause, reason, actor_name, ref, on_hand_before, on_hand_after, reserved_before, reserved_after
     FROM stock_movements WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    [...params, opts.limit + 1],
  );
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => ({
      id: Number(r.id),
      sku: r.sku,
      warehouse: r.warehouse,
      at: toIso(Number(r.at)) as string,
      cause: r.cause,
      reason: r.reason,
      actor: r.actor_name,
      ref: showRefs || r.cause === 'set' || r.cause === 'adjust' || r.cause === 'count' ? r.ref : null,
      onHand: { before: Number(r.on_hand_before), after: Number(r.on_hand_after) },
      reserved: { before: Number(r.reserved_before), after: Number(r.reserved_after) },
    })),
    nextBefore: rows.length > opts.limit ? Number(page[page.length - 1]?.id) : null,
  };
}
