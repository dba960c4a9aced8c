// How an order is shown: the summary a list and the 360° view share, personal data masked unless revealed.
import { maskName, maskPhone } from './domain/order.ts';
import { toIso } from '../../kernel/time.ts';
import type { OrdersTable } from '../../platform/db/schema.ts';
import type { Keyring } from '../../platform/security/keyring.ts';

/** How personal data leaves the hub: masked, unless the caller holds pii.view and asked to see it (audited). */
export interface PiiView {
  reveal: boolean;
}

export function summary(o: OrdersTable, keyring: Keyring, pii: PiiView) {
  const phone = keyring.decryptNullable(o.receiver_phone);
  return {
    id: o.id,
    orderNo: o.order_no,
    channel: o.channel,
    accountId: o.account_id,
    platformOrderId: o.platform_order_id,
    status: o.status,
    platformStatus: o.platform_status,
    paymentStatus: o.payment_status,
    fulfilmentStatus: o.fulfilment_status,
    aftersaleStatus: o.aftersale_status,
    reservationState: o.reservation_state,
    hold: o.hold_code ? { code: o.hold_code, reason: o.hold_reason } : null,
    totalAmount: o.total_amount,
    paidAmount: o.paid_amount,
    currency: o.currency,
    receiverName: (pii.reveal ? o.receiver_name : maskName(o.receiver_name)) ?? '',
    receiverPhone: pii.reveal ? phone : maskPhone(phone),
    receiverRegion: [o.receiver_province, o.receiver_city, o.receiver_district].filter(Boolean).join(' '),
    platformCreatedAt: toIso(o.platform_created_at),
    createdAt: toIso(o.created_at),
    updatedAt: toIso(o.updated_at),
  };
}

export type OrderSummary = ReturnType<typeof summary>;
