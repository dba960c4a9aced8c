// The outbound worker's last step: what one platform call came to, written under the claim it ran with.
import type { PlatformCallTrace } from '../connectors/types.ts';
import type { IntegrationDeps } from '../deps.ts';
import { recordPlatformCalls } from '../store/call-log.ts';
import type { OutboundRow } from '../store/outbound.ts';

/** What one attempt came to: done, to try again at `nextAt`, given up after too many tries, or refused by the platform. */
export type OutboundOutcome =
  | { kind: 'done'; status: number; latencyMs: number; platformRef: string | null; already: boolean; calls?: PlatformCallTrace[] }
  | { kind: 'retry'; status: number | null; code: string; error: string; latencyMs: number; nextAt: number; calls?: PlatformCallTrace[] }
  | { kind: 'failed'; status: number | null; code: string; error: string; latencyMs: number; calls?: PlatformCallTrace[] }
  | { kind: 'refused'; status: number | null; code: string; error: string; latencyMs: number; calls?: PlatformCallTrace[] }
  /** Not attempted: the account is paused. Due again as it is (not counted), claimed once the account is active. */
  | { kind: 'wait' };

/**
 * Records the attempt and ends the claim, only while the claim is still this pass's (one statement: the fence and the
 * write together). False when another pass took the row over after this claim lapsed: its answer is the one kept.
 */
export async function recordOutboundAttempt(deps: IntegrationDeps, id: number, claim: string, o: OutboundOutcome, now: number): Promise<boolean> {
  if (o.kind === 'wait') {
    return (await deps.db.transaction((tx) => tx.run(`UPDATE outbound_calls SET state = 'pending', claimed_by = NULL, claimed_until = NULL, updated_at = ? WHERE id = ? AND claimed_by = ?`, [now, id, claim]))) === 1;
  }
  const state = o.kind === 'retry' ? 'pending' : o.kind;
  const n = await deps.db.transaction(async (tx) => {
    const n = await tx.run(
      `UPDATE outbound_calls SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_status = ?, last_code = ?, last_latency_ms = ?, last_error = ?,
         platform_ref = COALESCE(?, platform_ref), done_at = COALESCE(?, done_at), claimed_by = NULL, claimed_until = NULL, updated_at = ?
       WHERE id = ? AND claimed_by = ?`,
      [
        state,
        o.kind === 'retry' ? o.nextAt : null,
        o.status,
        o.kind === 'done' ? (o.already ? 'ALREADY_THERE' : null) : o.code,
        Math.round(o.latencyMs),
        o.kind === 'done' ? null : o.error.slice(0, 1000),
        o.kind === 'done' ? o.platformRef : null,
        o.kind === 'done' ? now : null,
        now,
        id,
        claim,
      ],
    );
    // The attempt's requests go into the call log with it (only when this pass still held the row).
    if (n === 1 && o.calls?.length) {
      const r = await tx.get<Pick<OutboundRow, 'tenant_id' | 'account_id' | 'channel' | 'kind' | 'order_id' | 'platform_order_id' | 'attempts'>>(
        'SELECT tenant_id, account_id, channel, kind, order_id, platform_order_id, attempts FROM outbound_calls WHERE id = ?',
        [id],
      );
      if (r) {
        await recordPlatformCalls(
          tx,
          { tenantId: r.tenant_id, accountId: r.account_id, platform: r.channel, kind: r.kind, subject: r.platform_order_id, orderId: r.order_id, outboundId: id, attempt: Number(r.attempts) },
          o.calls,
          o.kind === 'done' ? { result: 'ok', code: o.already ? 'ALREADY_THERE' : null, error: null } : { result: o.kind, code: o.code, error: o.error },
        );
      }
    }
    return n;
  });
  return n === 1;
}
