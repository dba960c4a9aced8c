// The platform call log (调用记录): every request a platform write made, recorded in the transaction that records the
// write's attempt, so the log and the write's state never disagree. Pruned after a set number of days.
import type { Database, Reader, Tx } from '../../../platform/db/database.ts';
import type { PlatformCallsTable } from '../../../platform/db/schema.ts';
import type { PlatformCallTrace } from '../connectors/types.ts';

export type PlatformCallRow = PlatformCallsTable;

/** What an attempt came to, for its calls: ok, retried later, refused by the platform, or given up. */
export type CallResult = 'ok' | 'retry' | 'refused' | 'failed';
export const callResults: readonly CallResult[] = ['ok', 'retry', 'refused', 'failed'];
export const callKinds = ['ship_back', 'remark', 'stock', 'waybill'] as const;

/** What the calls of one attempt were about. */
export interface CallAbout {
  tenantId: string;
  accountId: string;
  platform: string;
  kind: string;
  subject: string;
  orderId?: string | null | undefined;
  outboundId?: number | null | undefined;
  listingId?: number | null | undefined;
  attempt: number;
}

/**
 * Records one attempt's calls. Every call but the last is `ok` when it got a 2xx (a read before the write); the last
 * one — and any that failed — carries what the attempt came to, with its code and error.
 */
export async function recordPlatformCalls(tx: Tx, about: CallAbout, calls: readonly PlatformCallTrace[], outcome: { result: CallResult; code: string | null; error: string | null }): Promise<void> {
  for (const [i, c] of calls.entries()) {
    const last = i === calls.length - 1;
    const fine = c.status !== null && c.status >= 200 && c.status < 300;
    const own = last || !fine;
    const result: CallResult = own ? outcome.result : 'ok';
    await tx.run(
      `INSERT INTO platform_calls (tenant_id, account_id, platform, kind, op, subject, order_id, outbound_id, listing_id, attempt, http_status, result, code, error, latency_ms, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        about.tenantId,
        about.accountId,
        about.platform,
        about.kind,
        c.op.slice(0, 200),
        about.subject.slice(0, 200),
        about.orderId ?? null,
        about.outboundId ?? null,
        about.listingId ?? null,
        about.attempt,
        c.status,
        result,
        own ? outcome.code : null,
        own && outcome.error !== null ? outcome.error.slice(0, 500) : null,
        Math.max(0, Math.round(c.latencyMs)),
        c.at,
      ],
    );
  }
}

/** Deletes calls older than `before`, a batch at a time (a long log never holds one long transaction); returns how many. */
export async function pruneCallLog(db: Database, before: number, batch = 5000): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction((tx) => tx.run(`DELETE FROM platform_calls WHERE id IN (SELECT id FROM platform_calls WHERE at < ? ORDER BY id LIMIT ?)`, [before, batch]));
    total += n;
    if (n < batch) return total;
  }
}

/** The calls of one order (the 360° view): its ship-backs and remarks, oldest first. */
export function callsOfOrder(q: Reader, tenantId: string, orderId: string, limit = 200): Promise<PlatformCallRow[]> {
  return q.all<PlatformCallRow>(`SELECT * FROM platform_calls WHERE tenant_id = ? AND order_id = ? ORDER BY id LIMIT ?`, [tenantId, orderId, limit]);
}
