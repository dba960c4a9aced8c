// The status anchor (状态锚点): the one order state machine, declared as data (with the effects of each state) and checked at start-up.
import {
  allowedTargets as allowedTargetsOf,
  defineMachine,
  pathBetween as pathBetweenOf,
  plan,
  check,
  validateMachine as validate,
  type Guard as MachineGuard,
  type MachineDefinition as Definition,
  type StateDefinition as Definitions,
  type TransitionRule as Rule,
} from '../../../kernel/machine.ts';

export const orderStatuses = ['pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled'] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** Who asks for a transition. Platforms report facts; operators and the hub's own timers make decisions. */
export type TransitionSource = 'platform' | 'operator' | 'system';

/** What a guard may look at: facts about the order, never I/O. */
export interface GuardContext {
  source: TransitionSource;
  /** An open hold (stock short, SKU unmatched …) blocks decisions, not facts reported by the platform. */
  holdCode: string | null;
  cancelCause: string | null;
  totalAmount: number;
  paidAmount: number;
}

/** A guard returns null when the transition may happen, or the reason it may not. */
export type Guard = MachineGuard<GuardContext>;

export const guards = {
  notHeldForDecisions: (ctx) =>
    ctx.source !== 'platform' && ctx.holdCode ? `order is on hold (${ctx.holdCode}); release the hold first` : null,
  paymentCoversTotal: (ctx) =>
    ctx.source !== 'platform' && ctx.paidAmount < ctx.totalAmount
      ? `paid amount ${ctx.paidAmount} is less than the order total ${ctx.totalAmount}`
      : null,
  reopenedOnlyAfterPaymentTimeout: (ctx) =>
    ctx.cancelCause === 'payment_timeout'
      ? null
      : 'only an order the hub cancelled for payment timeout can be reopened by a late payment',
  reopenedOnlyByPlatform: (ctx) => (ctx.source === 'platform' ? null : 'only the platform can report a late payment'),
} satisfies Record<string, Guard>;

export type GuardName = keyof typeof guards;

/**
 * What moving along the anchor does besides the move itself; implemented in orders/lifecycle.ts (`orderEffects`).
 * Entering effects run before the step's history row and event, in the order listed; after-effects run after them.
 */
export type OrderEffect =
  | 'markPaid'
  | 'stopPaymentTimer'
  | 'firmUpReservation'
  | 'markCancelled'
  | 'giveBackStock'
  | 'stopShipments'
  | 'liftStockHold'
  | 'markShipped'
  | 'shippedElsewhere'
  | 'markDelivered'
  | 'reopen';

export type TransitionRule = Rule<OrderStatus, GuardName, OrderEffect>;
export type StateDefinition = Definitions<OrderStatus, GuardName, OrderEffect>;
export type MachineDefinition = Definition<OrderStatus, GuardContext, GuardName, OrderEffect>;

/**
 * The anchor. Payment, fulfilment and after-sales progress are tracked beside it (their own columns),
 * so "shipped" means one thing: handed to the carrier.
 */
export const orderMachine = defineMachine<OrderStatus, GuardContext, GuardName, OrderEffect>({
  name: 'order',
  noun: 'an order',
  initial: ['pending_payment'],
  guards,
  states: {
    pending_payment: {
      label: { zh: '待付款', en: 'Pending payment' },
      to: [{ to: 'paid', guards: ['paymentCoversTotal'] }, { to: 'cancelled' }],
    },
    paid: {
      label: { zh: '已付款', en: 'Paid' },
      to: [{ to: 'shipped', guards: ['notHeldForDecisions'] }, { to: 'cancelled' }],
      // The payment timer is stopped while the reservation still says held: firming it up comes after.
      onEnter: ['markPaid', 'stopPaymentTimer', 'firmUpReservation'],
    },
    shipped: {
      label: { zh: '已发货', en: 'Shipped' },
      to: [{ to: 'delivered' }, { to: 'cancelled' }],
      onEnter: ['markShipped', 'shippedElsewhere'],
    },
    delivered: {
      label: { zh: '已签收', en: 'Delivered' },
      to: [{ to: 'completed' }],
      onEnter: ['markDelivered'],
    },
    completed: { label: { zh: '已完成', en: 'Completed' }, terminal: true, to: [] },
    cancelled: {
      label: { zh: '已取消', en: 'Cancelled' },
      // A payment that arrives after the hub's own payment timeout reopens the order (issue: late payment); the
      // reopened order asks for its stock again once the move is recorded.
      to: [{ to: 'paid', guards: ['reopenedOnlyByPlatform', 'reopenedOnlyAfterPaymentTimeout'], effects: ['reopen'] }],
      // The timer is stopped while the reservation still says held; parcels before stock (the one lock order).
      onEnter: ['markCancelled', 'stopPaymentTimer', 'stopShipments', 'giveBackStock'],
      // A stock hold ends with the order, after its cancellation is on record.
      afterEnter: ['liftStockHold'],
    },
  },
});

/** Checks a machine definition: known targets, known guards, reachability, and a way out of every state. */
export function validateMachine(def: MachineDefinition): string[] {
  return validate(def);
}

/** Throws when the anchor is malformed (startHub checks every machine, the anchor among them: app/machines.ts). */
export function assertValidMachine(def: MachineDefinition = orderMachine): void {
  const problems = validateMachine(def);
  if (problems.length) throw new Error(`order state machine is invalid:\n- ${problems.join('\n- ')}`);
}

export function isOrderStatus(s: string): s is OrderStatus {
  return (orderStatuses as readonly string[]).includes(s);
}

export function allowedTargets(from: OrderStatus, def: MachineDefinition = orderMachine): OrderStatus[] {
  return allowedTargetsOf(def, from);
}

/** Shortest chain of declared transitions from → to (ignoring guards), or null. [] when from === to. */
export function pathBetween(def: MachineDefinition, from: OrderStatus, to: OrderStatus): OrderStatus[] | null {
  return pathBetweenOf(def, from, to);
}

/** One step: refuses undeclared transitions and failing guards with a clear error. */
export function checkTransition(from: OrderStatus, to: OrderStatus, ctx: GuardContext, def: MachineDefinition = orderMachine): void {
  check(def, from, to, ctx);
}

/**
 * Plans how a reported status is reached. A platform that skipped steps we never heard of
 * (paid → delivered) is walked through the declared chain, each step checked, so history stays complete.
 */
export function planTransitions(from: OrderStatus, to: OrderStatus, ctx: GuardContext, def: MachineDefinition = orderMachine): OrderStatus[] {
  return plan(def, from, to, ctx);
}
