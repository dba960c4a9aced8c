// Signs own-shop pushes the way a shop would: written apart from the hub's verifier, so one checks the other.
import { createHmac, randomUUID } from 'node:crypto';

export function ownshopHeaders(secret: string, body: string, opts: { timestamp?: number; eventId?: string } = {}) {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8'));
  mac.update(Buffer.from(`${ts}.${body}`, 'utf8'));
  return {
    'content-type': 'application/json',
    'x-orderhub-event-id': opts.eventId ?? randomUUID(),
    'x-orderhub-timestamp': String(ts),
    'x-orderhub-signature': `v1=${mac.digest('hex')}`,
  };
}

let seq = 0;

export interface OrderBody {
  orderId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  currency: string;
  buyer?: { id?: string; name?: string; phone?: string };
  receiver: { name: string; phone: string; province: string; city: string; district: string; address: string };
  lines: { sku: string; title?: string; quantity: number; unitPrice: number; discount?: number }[];
  shippingFee?: number;
  discounts?: { platform?: number; seller?: number };
  paidAmount?: number;
  [extra: string]: unknown;
}

export function orderBody(overrides: Partial<OrderBody> = {}): OrderBody {
  seq++;
  return {
    orderId: `W${Date.now()}${seq}`,
    status: 'pending_payment',
    createdAt: '2026-11-22T10:00:00+08:00',
    updatedAt: '2026-11-22T10:00:00+08:00',
    currency: 'CNY',
    buyer: { id: 'b1', name: '张三', phone: '13812341234' },
    receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' },
    lines: [{ sku: 'A1', title: '保温杯', quantity: 1, unitPrice: 1999, discount: 0 }],
    shippingFee: 0,
    discounts: { platform: 0, seller: 0 },
    paidAmount: 0,
    ...overrides,
  };
}
