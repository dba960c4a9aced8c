// The payment exception (支付异常) machine: open until a person or the hub resolves it.
import { defineMachine } from '../../../kernel/machine.ts';

export const paymentExceptionStates = ['open', 'resolved'] as const;
export type PaymentExceptionState = (typeof paymentExceptionStates)[number];

export interface PaymentExceptionContext {
  /** The state of the refund the exception proposes or waits on, if any. */
  refundState: string | null;
}

const guards = {
  proposalDecidedFirst: (ctx) => (ctx.refundState === 'proposed' ? 'this exception proposes a refund: approve or decline it' : null),
} satisfies Record<string, (ctx: PaymentExceptionContext) => string | null>;

/**
 * Resolved by a person (with a note), by declining the refund it proposed, or by the hub when what it waited for
 * happened (the refund was confirmed, the unknown order arrived and was paid). Resolved is final: a new problem is a
 * new exception.
 */
export const paymentExceptionMachine = defineMachine<PaymentExceptionState, PaymentExceptionContext, keyof typeof guards>({
  name: 'payment_exception',
  noun: 'a payment exception',
  initial: ['open'],
  guards,
  states: {
    open: { label: { zh: '待处理', en: 'Open' }, to: [{ to: 'resolved', guards: ['proposalDecidedFirst'] }] },
    resolved: { label: { zh: '已处理', en: 'Resolved' }, terminal: true, to: [] },
  },
});
