// Outbound platform writes (发货回传 and the writes to come): the rows that say what a platform still has to be told.
// Another module records the change that causes a write and calls `enqueueShipBack` inside that same transaction, so
// the write exists exactly when the change committed and never before (the platform is called only by the outbound
// worker, after commit). Inserting a row locks nothing another path waits on: it orders nothing in the lock order.
import type { Reader, Tx } from '../../../platform/db/database.ts';
import type { OutboundCallsTable } from '../../../platform/db/schema.ts';
import type { ShipBackParcel } from '../connectors/types.ts';
import { adapterFor } from '../connectors/registry.ts';

export type OutboundRow = OutboundCallsTable;
export type OutboundState = 'pending' | 'in_flight' | 'done' | 'failed' | 'refused';

export interface ShipBackDraft {
  tenantId: string;
  accountId: string;
  channel: string;
  orderId: string;
  platformOrderId: string;
  shipmentId: string;
  carrier: string;
  trackingNo: string;
  shippedAt: number;
  lines: { sku: string; quantity: number; platformLineId?: string | null }[];
  /** The parcel carries only part of this order (a split shipment). */
  partial?: boolean;
}

/** True when the platform has a ship-back client: only its orders get a ship-back row. */
export function canShipBack(channel: string): boolean {
  return Boolean(adapterFor(channel)?.shipBack);
}

/**
 * In the transaction that ships a parcel: one ship-back row per (parcel, order), due at once. Nothing for a channel
 * without a ship-back client. The key is the parcel and the order, so a retried transaction or a second call for the
 * same parcel makes no second row.
 */
export async function enqueueShipBack(tx: Tx, d: ShipBackDraft): Promise<boolean> {
  if (!canShipBack(d.channel)) return false;
  const key = `ship_back:${d.shipmentId}:${d.orderId}`;
  const request: ShipBackParcel = { platformOrderId: d.platformOrderId, carrier: d.carrier, trackingNo: d.trackingNo, shippedAt: d.shippedAt, lines: d.lines, ...(d.partial ? { partial: true } : {}), idempotencyKey: key };
  const n = await tx.run(
    `INSERT INTO outbound_calls (tenant_id, account_id, channel, kind, order_id, shipment_id, platform_order_id, idempotency_key, request, state, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, 'ship_back', ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
    [d.tenantId, d.accountId, d.channel, d.orderId, d.shipmentId, d.platformOrderId, key, JSON.stringify(request), d.shippedAt, d.shippedAt, d.shippedAt],
  );
  return n === 1;
}

/** One order's platform writes, oldest first (the 360° view shows what the platform was told and what it said). */
export function outboundCallsOfOrder(q: Reader, orderId: string): Promise<OutboundRow[]> {
  return q.all<OutboundRow>('SELECT * FROM outbound_calls WHERE order_id = ? ORDER BY id', [orderId]);
}
