// Appending to the order history and the outbox: always inside the transaction that made the change.
import type { Tx } from '../db/database.ts';
import type { EventType, HubEvent } from '../../kernel/events.ts';

export interface HistoryEntry {
  tenantId: string;
  orderId: string;
  at: number;
  kind: 'created' | 'status' | 'hold' | 'hold_released' | 'reservation' | 'update' | 'ignored' | 'price_change' | 'routing' | 'fulfilment' | 'remark';
  from?: string | null;
  to?: string | null;
  /** What caused it, e.g. `ownshop push evt-1`, `timer payment_timeout`, `api`. */
  cause: string;
  sourceTime?: number | null;
  rawEventId?: number | null;
  detail?: unknown;
}

export async function appendHistory(tx: Tx, h: HistoryEntry): Promise<void> {
  await tx.run(
    `INSERT INTO order_history (tenant_id, order_id, at, kind, from_status, to_status, cause, source_time, raw_event_id, detail)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      h.tenantId,
      h.orderId,
      h.at,
      h.kind,
      h.from ?? null,
      h.to ?? null,
      h.cause,
      h.sourceTime ?? null,
      h.rawEventId ?? null,
      h.detail === undefined ? null : JSON.stringify(h.detail),
    ],
  );
}

/** An event of the catalogue (kernel/events.ts): its type names its payload, so a wrong payload does not compile. */
export type DomainEvent<T extends EventType = EventType> = HubEvent<T>;

export async function appendEvent<T extends EventType>(tx: Tx, e: DomainEvent<T>): Promise<void> {
  await tx.run(
    `INSERT INTO outbox (tenant_id, type, aggregate_type, aggregate_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    [e.tenantId, e.type, e.aggregateType, e.aggregateId, JSON.stringify(e.payload), e.at],
  );
}
