// The shipment (包裹) machine: planned → waved → picked → packed → shipped → delivered / returned; cancelled before it leaves.
import { defineMachine } from '../../../kernel/machine.ts';

export const shipmentStates = ['planned', 'waved', 'picked', 'packed', 'shipped', 'delivered', 'returned', 'cancelled'] as const;
export type ShipmentState = (typeof shipmentStates)[number];

/** The facts a shipment's guards look at; each step gives the ones its guards need (a guard missing its fact refuses). */
export interface ShipmentContext {
  /** Order numbers of the shipment's orders that are cancelled or on hold: such a parcel is not picked in a wave, nor does it leave. */
  stoppedOrders?: readonly string[];
  carrier?: string | null;
  trackingNo?: string | null;
  /** How many orders remain in the shipment once one is withdrawn from it (拦截). */
  ordersLeft?: number;
  /** An order is being withdrawn from the parcel. */
  withdrawal?: boolean;
  /** The delivery's proof is trusted under the tenant's policy (delivery trust). */
  trustedDelivery?: boolean;
}

const guards = {
  noOrderStopped: (ctx) =>
    ctx.stoppedOrders === undefined
      ? "the shipment's orders were not checked for cancellation or hold"
      : ctx.stoppedOrders.length
        ? `order ${ctx.stoppedOrders.join(', ')} is cancelled or on hold: the parcel must not go on`
        : null,
  handedWithTrackingNumber: (ctx) => (ctx.carrier?.trim() && ctx.trackingNo?.trim() ? null : 'a shipment leaves only with a carrier and a tracking number'),
  unpackedOnlyByWithdrawal: (ctx) => (ctx.withdrawal ? null : 'a packed parcel is opened again only when an order is taken out of it'),
  cancelledOnlyWhenNoOrderLeft: (ctx) =>
    ctx.ordersLeft === 0 ? null : `${ctx.ordersLeft ?? 'some'} order(s) still want this shipment: it loses the withdrawn order's lines instead`,
  deliveryTrusted: (ctx) => (ctx.trustedDelivery ? null : 'the delivery is not trusted yet (delivery trust): it stays shipped and is checked again'),
} satisfies Record<string, (ctx: ShipmentContext) => string | null>;

/**
 * A shipment moves forward through the warehouse; a WMS or a scan may skip steps (planned straight to picked or
 * packed). Before it leaves, each of its orders can be withdrawn (cancelled, or shipped another way): the last one out
 * cancels it, and one taken out of a packed parcel sends it back to picked to be scanned again.
 */
export const shipmentMachine = defineMachine<ShipmentState, ShipmentContext, keyof typeof guards>({
  name: 'shipment',
  noun: 'a shipment',
  initial: ['planned'],
  guards,
  states: {
    planned: {
      label: { zh: '待拣货', en: 'Planned' },
      to: [
        { to: 'waved', guards: ['noOrderStopped'] },
        { to: 'picked' },
        { to: 'packed' },
        { to: 'cancelled', guards: ['cancelledOnlyWhenNoOrderLeft'] },
      ],
    },
    waved: {
      label: { zh: '已组波次', en: 'In a wave' },
      to: [{ to: 'picked' }, { to: 'packed' }, { to: 'cancelled', guards: ['cancelledOnlyWhenNoOrderLeft'] }],
    },
    picked: {
      label: { zh: '已拣货', en: 'Picked' },
      to: [{ to: 'packed' }, { to: 'cancelled', guards: ['cancelledOnlyWhenNoOrderLeft'] }],
    },
    packed: {
      label: { zh: '已打包', en: 'Packed' },
      to: [
        { to: 'shipped', guards: ['noOrderStopped', 'handedWithTrackingNumber'] },
        { to: 'picked', guards: ['unpackedOnlyByWithdrawal'] },
        { to: 'cancelled', guards: ['cancelledOnlyWhenNoOrderLeft'] },
      ],
    },
    shipped: {
      label: { zh: '已发货', en: 'Shipped' },
      // Nothing in the hub records a return to sender yet (tracking only raises an alert); the state is in the schema.
      to: [{ to: 'delivered', guards: ['deliveryTrusted'] }, { to: 'returned' }],
    },
    delivered: { label: { zh: '已签收', en: 'Delivered' }, terminal: true, to: [] },
    returned: { label: { zh: '已退回', en: 'Returned' }, terminal: true, to: [] },
    cancelled: { label: { zh: '已取消', en: 'Cancelled' }, terminal: true, to: [] },
  },
});
