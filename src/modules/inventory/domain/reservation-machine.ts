// The two reservation machines: each reservation row's units (held → deducted → shipped …) and the order's summary of them.
import { defineMachine } from '../../../kernel/machine.ts';
import type { OrderStatus } from '../../orders/domain/machine.ts';

export const reservationStates = ['held', 'deducted', 'shipped', 'released', 'restocked', 'rerouted'] as const;
export type ReservationState = (typeof reservationStates)[number];

/**
 * One reservation row: units of one SKU at one warehouse for one order. The row follows decisions made on the order
 * (paid, cancelled, shipped, routed), which the order's own machines guard; the row's machine says which moves of the
 * units exist at all, so a row is never freed twice or shipped after it was given back. No guards: the facts a guard
 * would need (why the units move) are the order's, checked there.
 */
export const reservationMachine = defineMachine<ReservationState, Record<never, never>>({
  name: 'reservation',
  noun: 'a reservation',
  // Unpaid orders hold stock; paid ones (and routing's re-reservation at the shipping warehouse) take it firm at once.
  initial: ['held', 'deducted'],
  guards: {},
  states: {
    held: {
      label: { zh: '已预占', en: 'Held' },
      to: [{ to: 'deducted' }, { to: 'released' }],
    },
    deducted: {
      label: { zh: '已扣减', en: 'Deducted' },
      // Shipped (by the warehouse flow or another way), given back on a cancellation after payment, or moved by
      // routing to the warehouse that ships it (a new deducted row takes its place there).
      to: [{ to: 'shipped' }, { to: 'restocked' }, { to: 'rerouted' }],
    },
    shipped: { label: { zh: '已出库', en: 'Shipped' }, terminal: true, to: [] },
    released: { label: { zh: '已释放', en: 'Released' }, terminal: true, to: [] },
    restocked: { label: { zh: '已回库', en: 'Restocked' }, terminal: true, to: [] },
    rerouted: { label: { zh: '已改仓', en: 'Rerouted' }, terminal: true, to: [] },
  },
});

export const orderReservationStates = ['none', 'held', 'deducted', 'short', 'unmatched', 'released', 'restocked'] as const;
export type OrderReservationState = (typeof orderReservationStates)[number];

/** What the guards of an order's reservation look at: the order's status once its own move is made, and what asks. */
export interface OrderReservationContext {
  orderStatus: OrderStatus;
  /** reserve: the stock question asked (again); payment, cancel, reopen: the order's own move carries the reservation. */
  by: 'reserve' | 'payment' | 'cancel' | 'reopen';
}

const orderReservationGuards = {
  orderUnpaid: (ctx) => (ctx.orderStatus === 'pending_payment' ? null : `the order is ${ctx.orderStatus}: only an unpaid order holds stock (a paid one takes it firm)`),
  orderPaidOrBeyond: (ctx) =>
    ctx.orderStatus === 'pending_payment' || ctx.orderStatus === 'cancelled' ? `the order is ${ctx.orderStatus}: only a paid order takes stock firm` : null,
  orderCancelled: (ctx) => (ctx.orderStatus === 'cancelled' ? null : `the order is ${ctx.orderStatus}: stock goes back only when it is cancelled`),
  orderNotCancelled: (ctx) => (ctx.orderStatus === 'cancelled' ? 'the order is cancelled: it takes no stock' : null),
  firmedUpByPayment: (ctx) => (ctx.by === 'payment' ? null : 'held stock becomes firm by payment; it is never reserved a second time'),
  reopenedByPayment: (ctx) =>
    ctx.by === 'reopen' && ctx.orderStatus === 'paid' ? null : "only a late payment that reopens the order asks for its stock again",
} satisfies Record<string, (ctx: OrderReservationContext) => string | null>;

/**
 * The order's `reservation_state`: its stock question as one answer. Asked when the order arrives (or its SKU is
 * mapped, stock is set, a hold is lifted, a late payment reopens it); short and unmatched are asked again later.
 */
export const orderReservationMachine = defineMachine<OrderReservationState, OrderReservationContext, keyof typeof orderReservationGuards>({
  name: 'order_reservation',
  noun: "an order's reservation",
  initial: ['none'],
  guards: orderReservationGuards,
  states: {
    none: {
      label: { zh: '未预占', en: 'Not reserved' },
      to: [
        { to: 'held', guards: ['orderUnpaid'] },
        { to: 'deducted', guards: ['orderPaidOrBeyond'] },
        { to: 'short', guards: ['orderNotCancelled'] },
        { to: 'unmatched', guards: ['orderNotCancelled'] },
      ],
    },
    short: {
      label: { zh: '库存不足', en: 'Short of stock' },
      to: [
        { to: 'held', guards: ['orderUnpaid'] },
        { to: 'deducted', guards: ['orderPaidOrBeyond'] },
        { to: 'unmatched', guards: ['orderNotCancelled'] },
      ],
    },
    unmatched: {
      label: { zh: '商品未匹配', en: 'SKU unmatched' },
      to: [
        { to: 'held', guards: ['orderUnpaid'] },
        { to: 'deducted', guards: ['orderPaidOrBeyond'] },
        { to: 'short', guards: ['orderNotCancelled'] },
      ],
    },
    held: {
      label: { zh: '已预占', en: 'Held' },
      to: [
        { to: 'deducted', guards: ['firmedUpByPayment', 'orderPaidOrBeyond'] },
        { to: 'released', guards: ['orderCancelled'] },
      ],
    },
    deducted: {
      label: { zh: '已扣减', en: 'Deducted' },
      to: [{ to: 'restocked', guards: ['orderCancelled'] }],
    },
    released: {
      label: { zh: '已释放', en: 'Released' },
      // A late payment reopens an order the payment timeout cancelled: its stock is asked for again from nothing.
      to: [{ to: 'none', guards: ['reopenedByPayment'] }],
    },
    restocked: { label: { zh: '已回库', en: 'Restocked' }, terminal: true, to: [] },
  },
});
