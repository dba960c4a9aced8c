// Douyin shop (抖店) order states, as data. The raw value is the shop order's `order_status`; `main_status` (the same
// enumeration plus three refund endings) is read only when it says a refund closed the order, because order_status
// then just says 4 (已关闭) and does not tell a refund after shipment from a cancellation.
// Values and texts: the official Go SDK (doudian.com/open/sdk_golang, vendored in github zsmhub/doudian-sdk)
// api/order_searchList and api/order_orderDetail response comments (op.jinritemai.com order.searchList/orderDetail).
import type { StatusDictionary } from '../types.ts';

export const douyinStatusDictionary = {
  '1': { anchor: 'pending_payment', doc: '待确认/待支付（订单创建完毕）' },
  // A presale deposit (定金) is paid, the balance is not: still owed, the paid part is in paidAmount.
  '103': { anchor: 'pending_payment', doc: '部分支付（定金预售：定金已付，尾款未付）' },
  // Paid, but the platform has not released it for shipping yet (risk review, 风控订单不发货; message tag 110
  // 订单已支付待处理). The money is in, so the order is paid; the hold keeps it from being shipped until status 2.
  '105': { anchor: 'paid', hold: 'PLATFORM_HOLD', doc: '已支付（待平台处理/风控审核，暂不可发货）' },
  '2': { anchor: 'paid', doc: '备货中（已支付，待发货）' },
  // Some packages are with the carrier, not all: "shipped" means the whole order handed over, so still paid.
  '101': { anchor: 'paid', doc: '部分发货' },
  '3': { anchor: 'shipped', doc: '已发货（全部发货）' },
  '4': { anchor: 'cancelled', doc: '已取消/已关闭' },
  '5': { anchor: 'completed', doc: '已完成（已收货）' },
  // main_status only. A full refund before anything shipped closes the order as a cancellation would.
  '21': { anchor: 'cancelled', doc: 'main_status 发货前退款完结' },
  // After shipment or receipt the goods went out: the refund is after-sales (messages 200–206 are kept as raw
  // events); the order keeps where it was rather than being read as cancelled.
  '22': { anchor: null, doc: 'main_status 发货后退款完结（售后，订单状态不变）' },
  '39': { anchor: null, doc: 'main_status 收货后退款完结（售后，订单状态不变）' },
} as const satisfies StatusDictionary;

/** main_status values that say more than order_status does. */
export const douyinRefundEndings: ReadonlySet<string> = new Set(['21', '22', '39']);

/** The raw status the hub keeps for a shop order: main_status when it is a refund ending, else order_status. */
export function douyinRawStatus(orderStatus: unknown, mainStatus: unknown): string {
  const main = mainStatus === undefined || mainStatus === null ? '' : String(mainStatus);
  return douyinRefundEndings.has(main) ? main : String(orderStatus);
}
