// JD POP (京东 JOS) order states, as data. Sources: the orderState field and order_state parameter of
// jingdong.pop.order.enSearch / jingdong.pop.order.search (open.jd.com doc apiId 2388 / 1566, as carried by the
// official SDK request classes), and the older 360buy.order.search list for the LBP/SOPL states.
// A paused or locked order is held, never read as cancelled: JD may release it (LOCKED back to WAIT_SELLER_STOCK_OUT).
import type { StatusDictionary } from '../types.ts';

export const jdStatuses = {
  WAIT_SELLER_STOCK_OUT: { anchor: 'paid', doc: '等待出库' },
  // Cross-border (海外购) only: the order waits for the domestic leg to ship; paid, not yet shipped.
  WAIT_SELLER_DELIVERY: { anchor: 'paid', doc: "等待发货（只适用于海外购商家，含义为'等待境内发货'标签下的订单）" },
  // LOC (virtual goods / service codes): paid, the code is not issued yet.
  WAIT_SEND_CODE: { anchor: 'paid', doc: '等待发码（LOC订单特有状态）' },
  // LBP/SOPL: the goods left the seller for JD's distribution centre, i.e. handed to JD's logistics.
  SEND_TO_DISTRIBUTION_CENER: { anchor: 'shipped', doc: '发往配送中心（只适用于LBP，SOPL商家）' },
  DISTRIBUTION_CENTER_RECEIVED: { anchor: 'shipped', doc: '配送中心已收货（只适用于LBP，SOPL商家）' },
  WAIT_GOODS_RECEIVE_CONFIRM: { anchor: 'shipped', doc: '等待确认收货' },
  // LBP/SOPL: the buyer has the goods and JD confirmed the money; FINISHED_L still follows.
  RECEIPTS_CONFIRM: { anchor: 'delivered', doc: '收款确认（服务完成）（只适用于LBP，SOPL商家）' },
  FINISHED_L: { anchor: 'completed', doc: '完成' },
  TRADE_CANCELED: { anchor: 'cancelled', doc: '取消' },
  LOCKED: { anchor: null, hold: 'PLATFORM_HOLD', doc: '已锁定（锁定的订单不返回收货人基本信息；可能解锁回到等待出库）' },
  PAUSE: { anchor: null, hold: 'PLATFORM_HOLD', doc: '暂停（loc订单可通过此状态获取）' },
  POP_ORDER_PAUSE: { anchor: null, hold: 'PLATFORM_HOLD', doc: 'POP暂停（pop业务暂停，如3c号卡/履约/黄金）' },
} as const satisfies StatusDictionary;

export type JdOrderState = keyof typeof jdStatuses;

/**
 * The states the pull asks for: exactly the values enSearch's order_state parameter documents (the LBP/SOPL
 * states and WAIT_SEND_CODE are documented as results only).
 */
export const jdQueryStates = [
  'WAIT_SELLER_STOCK_OUT',
  'WAIT_GOODS_RECEIVE_CONFIRM',
  'WAIT_SELLER_DELIVERY',
  'PAUSE',
  'FINISHED_L',
  'TRADE_CANCELED',
  'LOCKED',
  'POP_ORDER_PAUSE',
] as const satisfies readonly JdOrderState[];
