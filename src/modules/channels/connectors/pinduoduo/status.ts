// Pinduoduo order state onto the anchor, as data. PDD reports two numbers side by side (pdd.order.number.list.increment.get):
//   order_status  1 待发货, 2 已发货待签收, 3 已签收
//   refund_status 1 无售后或售后关闭, 2 售后处理中, 3 退款中, 4 退款成功
// so the raw status is `${order_status}/${refund_status}` and every combination is here. Before those count, a group
// buy that has not formed (group_status 0 拼团中 / confirm_status 0 未成交) is paid but may not ship, one that failed
// (group_status 2 团失败 / confirm_status 2 已取消) is refunded by PDD, and a deposit order whose balance is unpaid
// (step_order_info.step_trade_status 0/1) is still awaiting payment: those raw statuses are named after their field.
import type { StatusDictionary } from '../types.ts';

export const pinduoduoStatusDictionary = {
  '1/1': { anchor: 'paid', doc: '待发货，无售后或售后关闭 (paid, awaiting shipment)' },
  // A refund asked for before shipping is PDD's way of asking to cancel: neither ship nor cancel until it resolves.
  '1/2': { anchor: null, hold: 'PLATFORM_HOLD', doc: '待发货，售后处理中 (awaiting shipment, after-sales request open)' },
  '1/3': { anchor: null, hold: 'PLATFORM_HOLD', doc: '待发货，退款中 (awaiting shipment, refund in progress)' },
  // Nothing was shipped and the money went back: the order will never ship.
  '1/4': { anchor: 'cancelled', doc: '待发货，退款成功 (refunded before shipping: the order is cancelled)' },
  '2/1': { anchor: 'shipped', doc: '已发货待签收，无售后或售后关闭 (shipped)' },
  '2/2': { anchor: null, hold: 'PLATFORM_HOLD', doc: '已发货待签收，售后处理中 (shipped, after-sales request open)' },
  '2/3': { anchor: null, hold: 'PLATFORM_HOLD', doc: '已发货待签收，退款中 (shipped, refund in progress)' },
  // The parcel is out and the money went back before it was signed for: refused or intercepted (the goods come back)
  // or a partial refund in transit. PDD does not say which, so an operator looks; a later 3/x settles it.
  '2/4': { anchor: null, hold: 'PLATFORM_HOLD', doc: '已发货待签收，退款成功 (shipped, refunded before delivery: parcel refused, intercepted or partly refunded)' },
  '3/1': { anchor: 'delivered', doc: '已签收，无售后或售后关闭 (delivered)' },
  '3/2': { anchor: null, hold: 'PLATFORM_HOLD', doc: '已签收，售后处理中 (delivered, after-sales request open)' },
  '3/3': { anchor: null, hold: 'PLATFORM_HOLD', doc: '已签收，退款中 (delivered, refund in progress)' },
  // Delivered and the after-sales case closed with a refund: the order is done, the refund is after-sales.
  '3/4': { anchor: 'completed', doc: '已签收，退款成功 (delivered, after-sales finished with a refund)' },
  'group_status:0': { anchor: 'paid', hold: 'PLATFORM_HOLD', doc: '拼团中 (group buy not formed yet: paid, may not ship)' },
  'group_status:2': { anchor: 'cancelled', doc: '团失败 (group buy failed: PDD refunds the buyer)' },
  'confirm_status:0': { anchor: 'paid', hold: 'PLATFORM_HOLD', doc: '未成交 (paid, deal not confirmed yet: may not ship)' },
  'confirm_status:2': { anchor: 'cancelled', doc: '已取消 (deal cancelled)' },
  'step_trade_status:0': { anchor: 'pending_payment', doc: '定金未付尾款未付 (deposit order: nothing paid)' },
  'step_trade_status:1': { anchor: 'pending_payment', doc: '定金已付尾款未付 (deposit order: deposit paid, balance unpaid)' },
} as const satisfies StatusDictionary;

export interface PddStateFields {
  order_status?: unknown;
  refund_status?: unknown;
  group_status?: unknown;
  confirm_status?: unknown;
  step_order_info?: { step_trade_status?: unknown } | null;
}

const num = (v: unknown): string => (typeof v === 'number' || (typeof v === 'string' && v !== '') ? String(v) : '');

/**
 * The raw status an order's fields make: a cancelled or unformed deal first, then an unpaid deposit, then
 * `${order_status}/${refund_status}`. A value outside the dictionary stays as it came (and is held as unknown).
 */
export function pinduoduoRawStatus(o: PddStateFields): string {
  const group = num(o.group_status);
  const confirm = num(o.confirm_status);
  if (group === '2') return 'group_status:2';
  if (confirm === '2') return 'confirm_status:2';
  if (group === '0') return 'group_status:0';
  if (confirm === '0') return 'confirm_status:0';
  const step = num(o.step_order_info?.step_trade_status);
  if (step === '0' || step === '1') return `step_trade_status:${step}`;
  return `${num(o.order_status)}/${num(o.refund_status)}`;
}
