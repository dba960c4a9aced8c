// Outbound platform writes (发货回传 and the writes to come): the rows that say what a platform still has to be told.
// Another module records the change that causes a write and calls `enqueueShipBack` inside that same transaction, so
// the write exists exactly when the change committed and never before (the platform is called only by the outbound
// worker, after commit). Inserting a row locks nothing another path waits on: it orders nothing in the lock order.
import { randomUUID } from 'node:crypto';
import type { Reader, Tx } from '../../../platform/db/database.ts';
import type { OutboundCallsTable } from '../../../platform/db/schema.ts';
import type { RemarkWrite, ShipBackParcel } from '../connectors/types.ts';
import { adapterFor } from '../connectors/registry.ts';
import { taobaoMemoMaxBytes } from '../connectors/taobao/remark.ts';
import { resolveAlert } from '../../health/alerts.ts';
import { outboundCallScopeSql, type DataScope } from '../../../kernel/scope.ts';

export type OutboundRow = OutboundCallsTable;
/** `superseded`: a newer write of the same thing replaced it before it was sent (a newer remark). */
export type OutboundState = 'pending' | 'in_flight' | 'done' | 'failed' | 'refused' | 'superseded';
export type OutboundKind = 'ship_back' | 'remark';

/** The alert a ship-back the platform took but no pull or push confirmed raises (one per row). */
export const unconfirmedAlertKind = 'ship_back_unconfirmed';
export const unconfirmedAlertKey = (id: number) => `outbound:${id}`;

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

export interface RemarkDraft {
  tenantId: string;
  accountId: string;
  channel: string;
  orderId: string;
  platformOrderId: string;
  text: string;
  flag: number | null;
  at: number;
}

/** True when the platform has a remark client: only its orders get a remark row. */
export function canSetRemark(channel: string): boolean {
  return Boolean(adapterFor(channel)?.setRemark);
}

/**
 * In the transaction that stores the seller's remark on the order: one remark row, due at once; the latest remark wins,
 * so an older one not sent yet (or refused, or given up) is superseded by this one. One still in flight finishes, and
 * this one follows it. Null for a channel without a remark client.
 */
export async function enqueueRemark(tx: Tx, d: RemarkDraft): Promise<number | null> {
  if (!canSetRemark(d.channel)) return null;
  const request: RemarkWrite = { platformOrderId: d.platformOrderId, text: d.text, flag: d.flag };
  const row = await tx.get<{ id: number }>(
    `INSERT INTO outbound_calls (tenant_id, account_id, channel, kind, order_id, shipment_id, platform_order_id, idempotency_key, request, state, attempts, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, 'remark', ?, NULL, ?, ?, ?, 'pending', 0, ?, ?, ?) RETURNING id`,
    [d.tenantId, d.accountId, d.channel, d.orderId, d.platformOrderId, `remark:${d.orderId}:${d.at}:${randomUUID()}`, JSON.stringify(request), d.at, d.at, d.at],
  );
  const id = Number(row?.id);
  await tx.run(
    `UPDATE outbound_calls SET state = 'superseded', superseded_by = ?, next_attempt_at = NULL, updated_at = ?
     WHERE order_id = ? AND kind = 'remark' AND id <> ? AND superseded_by IS NULL AND handled_at IS NULL AND state IN ('pending', 'refused', 'failed')`,
    [id, d.at, d.orderId, id],
  );
  return id;
}

/**
 * Closes the ship-back loop, in the transaction that ingests what the platform says about an order now: every
 * ship-back of the order whose tracking number the platform shows is confirmed, and its "not confirmed" alert (if one
 * was raised) is resolved. Returns how many were confirmed. Touches nothing when the platform shows none of ours.
 */
export async function confirmShipBacks(tx: Tx, c: { orderId: string; trackingNos: readonly string[]; at: number }): Promise<number> {
  if (!c.trackingNos.length) return 0;
  const rows = await tx.all<Pick<OutboundRow, 'id' | 'account_id' | 'request' | 'unconfirmed_alerted_at'>>(
    `SELECT id, account_id, request, unconfirmed_alerted_at FROM outbound_calls WHERE order_id = ? AND kind = 'ship_back' AND confirmed_at IS NULL`,
    [c.orderId],
  );
  const shown = new Set(c.trackingNos.map((n) => n.trim().toUpperCase()));
  let n = 0;
  for (const r of rows) {
    const parcel = JSON.parse(r.request) as Partial<ShipBackParcel>;
    if (typeof parcel.trackingNo !== 'string' || !shown.has(parcel.trackingNo.trim().toUpperCase())) continue;
    n += await tx.run('UPDATE outbound_calls SET confirmed_at = ?, updated_at = ? WHERE id = ? AND confirmed_at IS NULL', [c.at, c.at, r.id]);
    if (r.unconfirmed_alerted_at !== null) await resolveAlert(tx, r.account_id, unconfirmedAlertKind, unconfirmedAlertKey(Number(r.id)), c.at);
  }
  return n;
}

/** One write of the principal's tenant and scope (a write of a shop's order is the shop's), or undefined. */
export function outboundCallFor(q: Reader, who: { tenantId: string; scope: DataScope }, id: number): Promise<OutboundRow | undefined> {
  const f = outboundCallScopeSql(who.scope, 'outbound_calls');
  return q.get<OutboundRow>(`SELECT * FROM outbound_calls WHERE id = ? AND tenant_id = ? AND ${f.text}`, [id, who.tenantId, ...f.params]);
}

/** The condition of a write people still have to act on: refused, given up, or taken but never confirmed in time. */
export const openExceptionSql = `superseded_by IS NULL AND handled_at IS NULL AND confirmed_at IS NULL
  AND (state IN ('refused', 'failed') OR (state = 'done' AND unconfirmed_alerted_at IS NOT NULL))`;

export function isOpenException(r: OutboundRow): boolean {
  if (r.superseded_by !== null || r.handled_at !== null || r.confirmed_at !== null) return false;
  return r.state === 'refused' || r.state === 'failed' || (r.state === 'done' && r.unconfirmed_alerted_at !== null);
}

/**
 * What is wrong with a remark for this platform before anything is written: Taobao counts its memo in bytes (1000);
 * elsewhere the hub keeps to 500 characters until each platform's client says its own limit.
 */
export function remarkProblem(channel: string, text: string): string | null {
  if (channel === 'taobao' || channel === 'tmall') {
    return Buffer.byteLength(text, 'utf8') > taobaoMemoMaxBytes ? `a Taobao remark is at most ${taobaoMemoMaxBytes} bytes (about ${Math.floor(taobaoMemoMaxBytes / 3)} Chinese characters)` : null;
  }
  return [...text].length > 500 ? 'a remark is at most 500 characters' : null;
}
