// What a refund arriving in a state does (the effects its machine names, domain/refund-machine.ts), and the check of
// that move against the machine.
import type { Tx } from '../../platform/db/database.ts';
import { refundMachine, type RefundContext, type RefundEffect, type RefundState } from './domain/refund-machine.ts';
import { paymentExceptionMachine } from './domain/payment-exception-machine.ts';
import { raisePaymentException } from './commands/raise-payment-exception.ts';
import type { RefundRow } from './rows.ts';

/** A refund arriving in a state, as the state's effects see it. */
export interface RefundStep {
  tx: Tx;
  /** The refund as it was before the move. */
  r: RefundRow;
  to: RefundState;
  provider: string;
  at: number;
  /** Completes "refund <out_refund_no> …": `confirmed by wechatpay notice N`, `failed at the provider (ABNORMAL)`. */
  why: string;
}

/** What each effect the refund machine names does (domain/refund-machine.ts); startHub checks the table is complete. */
export const refundEffects: { readonly [E in RefundEffect]: (s: RefundStep) => Promise<void> } = {
  // The exceptions that waited on this refund are settled by it.
  async settleWaitingExceptions({ tx, r, at, why }) {
    paymentExceptionMachine.check('open', 'resolved', { refundState: 'succeeded' });
    await tx.run(`UPDATE payment_exceptions SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE refund_id = ? AND state = 'open'`, [
      at,
      'system',
      `refund ${r.out_refund_no} ${why}`,
      r.id,
    ]);
  },
  async raiseRefundException({ tx, r, to, provider, at, why }) {
    await raisePaymentException(tx, r.tenant_id, r.payment_account_id, provider, {
      orderId: r.order_id,
      refundId: r.id,
      code: to === 'closed' ? 'REFUND_CLOSED' : 'REFUND_FAILED',
      reason: `refund ${r.out_refund_no} ${why}`,
      at,
    });
  },
};

/**
 * The effects of a refund arriving in `to`, checked against its machine first (nothing is written for a refused
 * move). The provider saying again what the hub already recorded (failed, then failed) is no transition; the state's
 * effects apply again all the same, as they always have.
 */
export function refundMove(r: RefundRow, to: RefundState, ctx: RefundContext): { before: RefundEffect[]; after: RefundEffect[] } {
  if (r.state === to) return { before: [...(refundMachine.states[to].onEnter ?? [])], after: [...(refundMachine.states[to].afterEnter ?? [])] };
  refundMachine.check(r.state, to, ctx);
  return refundMachine.effectsOf(r.state as RefundState, to);
}
