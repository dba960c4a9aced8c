// Raw events: every platform delivery kept as it came (encrypted), before it is interpreted, in the transaction that
// interprets it. Ingest records them here; the integration page, the event log and an order's 360° view read them here.
import type { Database, Reader, Tx } from '../../../platform/db/database.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { rawEventScopeSql, toKysely } from '../../../kernel/scope.ts';

export interface RawEventInput {
  tenantId: string;
  channel: string;
  accountId: string;
  eventId: string;
  receivedAt: number;
  headers: Record<string, string>;
  /** The body, already encrypted, and the digest of its exact bytes. */
  body: string;
  bodySha256: string;
  via: 'push' | 'pull' | 'fetch';
}

/** Stores a delivery; undefined when this account already has this event id (a redelivery). */
export async function insertRawEvent(tx: Tx, e: RawEventInput): Promise<number | undefined> {
  const row = await tx.get<{ id: number }>(
    `INSERT INTO raw_events (tenant_id, channel, account_id, event_id, received_at, last_delivery_at, headers, body, body_sha256, outcome, via)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?)
     ON CONFLICT (account_id, event_id) DO NOTHING RETURNING id`,
    [e.tenantId, e.channel, e.accountId, e.eventId, e.receivedAt, e.receivedAt, JSON.stringify(e.headers), e.body, e.bodySha256, e.via],
  );
  return row?.id;
}

/** What applying a delivery came to: its outcome, the (first) order it named, per-order details. */
export async function recordRawOutcome(tx: Tx, id: number, r: { outcome: string; orderId: string | null; detail: string | null; keepOrder?: boolean }): Promise<void> {
  await tx.run(`UPDATE raw_events SET outcome = ?, order_id = ${r.keepOrder ? 'COALESCE(?, order_id)' : '?'}, detail = ? WHERE id = ?`, [r.outcome, r.orderId, r.detail, id]);
}

/** A delivery of an event id already stored: counted, and the first delivery's record returned. */
export async function rawEventDeliveredAgain(tx: Tx, accountId: string, eventId: string, at: number): Promise<{ id: number; body_sha256: string; order_id: string | null } | undefined> {
  const prior = await tx.get<{ id: number; body_sha256: string; order_id: string | null }>('SELECT id, body_sha256, order_id FROM raw_events WHERE account_id = ? AND event_id = ?', [accountId, eventId]);
  if (prior) await tx.run('UPDATE raw_events SET deliveries = deliveries + 1, last_delivery_at = ? WHERE id = ?', [at, prior.id]);
  return prior;
}

/** The deliveries that named an order, oldest first (no bodies). */
export async function rawEventsOfOrder(q: Reader, orderId: string) {
  return q.all<{ id: number; event_id: string; received_at: number; deliveries: number; outcome: string; channel: string }>(
    'SELECT id, event_id, received_at, deliveries, outcome, channel FROM raw_events WHERE order_id = ? ORDER BY id',
    [orderId],
  );
}

/** One stored delivery of the principal's tenant and scope (its body still encrypted), or undefined. */
export async function rawEventFor(db: Database, who: Principal, id: number) {
  return db.kysely
    .selectFrom('raw_events')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', who.tenantId)
    .where(toKysely(rawEventScopeSql(who.scope, 'raw_events')))
    .executeTakeFirst();
}
