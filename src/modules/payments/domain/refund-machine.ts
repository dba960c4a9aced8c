// The refund machine: proposed or requested → submitted → succeeded / failed / closed; declined when a person says no.
import { defineMachine } from '../../../kernel/machine.ts';

export const refundStates = ['proposed', 'requested', 'submitted', 'succeeded', 'failed', 'closed', 'declined'] as const;
export type RefundState = (typeof refundStates)[number];

/** Who moves the refund: a person deciding, the refund worker calling the provider, or the provider's own word. */
export interface RefundContext {
  by: 'person' | 'worker' | 'provider';
}

const guards = {
  decidedByPerson: (ctx) => (ctx.by === 'person' ? null : 'a proposed refund is approved or declined by a person, never by the hub itself'),
  sentByWorker: (ctx) => (ctx.by === 'worker' ? null : 'only the refund worker sends a refund to the provider'),
  saidByProvider: (ctx) =>
    ctx.by === 'provider' ? null : "only the provider's refund notice or a refund query says how a refund ended",
} satisfies Record<string, (ctx: RefundContext) => string | null>;

/**
 * What entering a state does besides the state (refunds.ts, `refundEffects`): a confirmed refund settles the payment
 * exceptions that waited on it; a failed or closed one is an exception for a person to look at.
 */
export type RefundEffect = 'settleWaitingExceptions' | 'raiseRefundException';

/**
 * A refund is confirmed only by the provider (notice or query), never by the answer to the refund call itself. A
 * failure the provider later turns into a success (WeChat Pay ABNORMAL handled by hand in the merchant platform) is
 * believed: the provider's word about money wins over the hub's earlier record.
 */
export const refundMachine = defineMachine<RefundState, RefundContext, keyof typeof guards, RefundEffect>({
  name: 'refund',
  noun: 'a refund',
  // Proposed by the hub (a late or duplicate payment, paid without stock), or requested outright by a person.
  initial: ['proposed', 'requested'],
  guards,
  states: {
    proposed: {
      label: { zh: '待审批', en: 'Proposed' },
      to: [
        { to: 'requested', guards: ['decidedByPerson'] },
        { to: 'declined', guards: ['decidedByPerson'] },
      ],
    },
    requested: {
      label: { zh: '待发送', en: 'Requested' },
      // A notice can overtake the worker's own record of sending it: requested straight to how it ended.
      to: [
        { to: 'submitted', guards: ['sentByWorker'] },
        { to: 'succeeded', guards: ['saidByProvider'] },
        { to: 'failed' },
        { to: 'closed', guards: ['saidByProvider'] },
      ],
    },
    submitted: {
      label: { zh: '处理中', en: 'Submitted' },
      // The provider has no record of it (the request never arrived): sent again under the same out_refund_no.
      to: [
        { to: 'requested', guards: ['sentByWorker'] },
        { to: 'succeeded', guards: ['saidByProvider'] },
        { to: 'failed' },
        { to: 'closed', guards: ['saidByProvider'] },
      ],
    },
    failed: {
      label: { zh: '退款失败', en: 'Failed' },
      to: [
        { to: 'succeeded', guards: ['saidByProvider'] },
        { to: 'closed', guards: ['saidByProvider'] },
      ],
      onEnter: ['raiseRefundException'],
    },
    succeeded: { label: { zh: '已退款', en: 'Refunded' }, terminal: true, to: [], onEnter: ['settleWaitingExceptions'] },
    closed: { label: { zh: '已关闭', en: 'Closed' }, terminal: true, to: [], onEnter: ['raiseRefundException'] },
    declined: { label: { zh: '已拒绝', en: 'Declined' }, terminal: true, to: [] },
  },
});
