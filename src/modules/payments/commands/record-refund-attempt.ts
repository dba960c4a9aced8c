// The refund worker's last step: what one attempt to send or ask about a refund came to, and the end of its claim.
import type { RefundDeps } from '../deps.ts';
import { refundMachine } from '../domain/refund-machine.ts';
import { refundEffects, refundMove, type RefundStep } from '../refund-effects.ts';
import { lockRefundRow, type RefundRow } from '../rows.ts';
import { raisePaymentException } from './raise-payment-exception.ts';
import { settleRefund } from './settle-refund.ts';

/** What one attempt came to: sent, to try again (or send again), refused, or settled by the provider's answer. */
export type RefundAttemptOutcome =
  | { kind: 'submitted'; providerState: string; providerRefundId: string | null; nextAt: number }
  | { kind: 'retry'; error: string; nextAt: number; resend: boolean }
  | { kind: 'failed'; error: string }
  | { kind: 'settled'; status: { state: 'succeeded' | 'failed' | 'closed'; providerState: string; providerRefundId: string | null } };

/**
 * Records one attempt's outcome on a refund still in the state it was read in (a notice may have settled it meanwhile),
 * and ends the claim `claim` the attempt ran under — unless that claim lapsed and another pass took the refund over.
 */
export async function recordRefundAttempt(deps: RefundDeps, r: RefundRow, outcome: RefundAttemptOutcome, now: number, claim?: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const cur = await tx.get<RefundRow>(`SELECT * FROM refunds WHERE id = ?${lockRefundRow(tx, `refund:${r.id}`)}`, [r.id]);
    if (!cur) return;
    if (claim !== undefined) {
      if (cur.claimed_by !== claim) return;
      await tx.run('UPDATE refunds SET claimed_by = NULL, claimed_until = NULL WHERE id = ?', [r.id]);
    }
    if (cur.state !== r.state) return;
    const provider = (await tx.get<{ provider: string }>('SELECT provider FROM payment_accounts WHERE id = ?', [r.payment_account_id]))?.provider ?? '';
    switch (outcome.kind) {
      case 'submitted':
        refundMachine.check(cur.state, 'submitted', { by: 'worker' });
        await tx.run(
          `UPDATE refunds SET state = 'submitted', provider_state = ?, provider_refund_id = COALESCE(?, provider_refund_id), attempts = attempts + 1, last_error = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?`,
          [outcome.providerState, outcome.providerRefundId, outcome.nextAt, now, r.id],
        );
        break;
      case 'retry':
        // Tried again later in the same state; sent again (submitted → requested) when the provider has no record of it.
        if (outcome.resend && cur.state !== 'requested') refundMachine.check(cur.state, 'requested', { by: 'worker' });
        await tx.run(`UPDATE refunds SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`, [
          outcome.resend ? 'requested' : cur.state,
          outcome.error,
          outcome.nextAt,
          now,
          r.id,
        ]);
        break;
      case 'failed': {
        const effects = refundMove(cur, 'failed', { by: 'worker' });
        await tx.run(`UPDATE refunds SET state = 'failed', attempts = attempts + 1, last_error = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ?`, [outcome.error, now, r.id]);
        const step: RefundStep = { tx, r, to: 'failed', provider, at: now, why: `refused by the provider: ${outcome.error}` };
        for (const e of [...effects.before, ...effects.after]) await refundEffects[e](step);
        return;
      }
      case 'settled':
        await settleRefund(tx, cur, outcome.status, now, `${provider} refund query`);
        return;
    }
    const requestedAt = Number(cur.requested_at ?? cur.created_at);
    if (Number(cur.stuck_alerted) === 0 && now - requestedAt > deps.settings.refundStuckMs) {
      await tx.run('UPDATE refunds SET stuck_alerted = 1 WHERE id = ?', [r.id]);
      await raisePaymentException(tx, r.tenant_id, r.payment_account_id, provider, {
        orderId: r.order_id,
        refundId: r.id,
        code: 'REFUND_STUCK',
        reason: `refund ${r.out_refund_no} not confirmed ${Math.round((now - requestedAt) / 60_000)} min after it was requested (${cur.provider_state ?? outcome.kind})`,
        at: now,
      });
    }
  });
}
