// Taobao/Tmall trade status (Trade.status) onto the anchor, as data. Every value the TOP Trade structure documents
// (taobao.trade.fullinfo.get / taobao.trades.sold.increment.get, field `status`); ALL_WAIT_PAY and ALL_CLOSED are query
// filters only and never appear on a trade.
import type { StatusDictionary } from '../types.ts';

export const taobaoStatusDictionary = {
  TRADE_NO_CREATE_PAY: { anchor: 'pending_payment', doc: '没有创建支付宝交易 (no Alipay trade created yet)' },
  WAIT_BUYER_PAY: { anchor: 'pending_payment', doc: '等待买家付款 (awaiting payment; a presale trade with only its deposit paid stays here)' },
  // A foreign card payment not yet captured and a zero-down contract in progress: no money the seller can count on.
  PAY_PENDING: { anchor: 'pending_payment', doc: '国际信用卡支付付款确认中 (foreign card payment being confirmed)' },
  WAIT_PRE_AUTH_CONFIRM: { anchor: 'pending_payment', doc: '0元购合约中 (zero-down pre-authorised contract in progress)' },
  WAIT_SELLER_SEND_GOODS: { anchor: 'paid', doc: '等待卖家发货,即:买家已付款 (paid, awaiting shipment)' },
  // Paid but Taobao forbids shipping (group buy not yet formed, or shipment under platform control): hold, never ship.
  PAID_FORBID_CONSIGN: {
    anchor: 'paid',
    hold: 'PLATFORM_HOLD',
    doc: '拼团中订单或者发货强管控的订单，已付款但禁止发货 (paid, but shipping is forbidden for now)',
  },
  // Part of the goods left: "shipped" means handed to the carrier, so a partial shipment leaves the order paid.
  SELLER_CONSIGNED_PART: { anchor: 'paid', doc: '卖家部分发货 (partly shipped)' },
  WAIT_BUYER_CONFIRM_GOODS: { anchor: 'shipped', doc: '等待买家确认收货,即:卖家已发货 (shipped)' },
  TRADE_BUYER_SIGNED: { anchor: 'delivered', doc: '买家已签收,货到付款专用 (signed for by the buyer; cash on delivery only)' },
  TRADE_FINISHED: { anchor: 'completed', doc: '交易成功 (trade finished)' },
  TRADE_CLOSED: { anchor: 'cancelled', doc: '付款以后用户退款成功，交易自动关闭 (closed after a full refund)' },
  TRADE_CLOSED_BY_TAOBAO: { anchor: 'cancelled', doc: '付款以前，卖家或买家主动关闭交易 (closed before payment)' },
} as const satisfies StatusDictionary;

export type TaobaoStatus = keyof typeof taobaoStatusDictionary;

/**
 * Statuses in which the buyer's money has been taken (the trade's `payment` counts as paid). A closed trade was refunded
 * in full or never paid: nothing paid is left.
 */
export const taobaoPaidStatuses: ReadonlySet<string> = new Set<TaobaoStatus>([
  'WAIT_SELLER_SEND_GOODS',
  'PAID_FORBID_CONSIGN',
  'SELLER_CONSIGNED_PART',
  'WAIT_BUYER_CONFIRM_GOODS',
  'TRADE_BUYER_SIGNED',
  'TRADE_FINISHED',
]);
