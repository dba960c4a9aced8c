// The locks a batch of deliveries takes up front on PostgreSQL, in the one lock order.
import type { Tx } from '../../../platform/db/database.ts';
import { pgTextArray } from '../../../platform/db/unit-of-work.ts';
import { lockStock } from '../../inventory/store/stock.ts';
import { skusAliasedFrom } from '../../inventory/store/catalogue.ts';
import { lockUnshippedShipmentsOf } from '../../fulfilment/store/shipments.ts';
import type { Delivery } from './delivery.ts';

/**
 * A batch on PostgreSQL holds its locks until it commits, and other lanes and operators lock the same rows: it takes
 * them all up front, in the one lock order (unit-of-work.ts) — the orders it will update by id, their parcels not yet
 * shipped, then every stock row its lines may reserve by SKU — so no two writers ever wait on each other in a circle. SQLite has one writer:
 * nothing to order there (each item keeps the order alone, see GroupCommitter).
 */
export async function lockForBatch(tx: Tx, deliveries: readonly Delivery[]): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  const accounts: string[] = [];
  const platformIds: string[] = [];
  for (const d of deliveries) {
    for (const o of d.orders) {
      accounts.push(d.accountId);
      platformIds.push(o.platformOrderId);
    }
  }
  if (accounts.length) {
    // One statement finds and locks them, in id order; the ledger learns them as this batch's first locks.
    const rows = await tx.all<{ id: string }>(
      `SELECT id FROM orders WHERE (account_id, platform_order_id) IN (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY id FOR UPDATE`,
      [pgTextArray(accounts), pgTextArray(platformIds)],
    );
    const ids = rows.map((r) => r.id);
    tx.locks.take('order', ids);
    // A cancellation (or a shipment made elsewhere) takes a routed order out of its parcels: those are next in order.
    if (ids.length) await lockUnshippedShipmentsOf(tx, ids);
  }
  const codes = [...new Set(deliveries.flatMap((d) => d.orders.flatMap((o) => o.lines.map((l) => l.sku))))].sort();
  if (codes.length === 0) return;
  for (const tenant of [...new Set(deliveries.map((d) => d.tenantId))].sort()) {
    // Every SKU a line may resolve to: its own code and what the tenant's aliases map it to.
    await lockStock(tx, tenant, [...codes, ...(await skusAliasedFrom(tx, tenant, codes))]);
  }
}
