// Helpers for the fulfilment suites that talk to a real hub over HTTP: paid orders, warehouses, routing, stock rows.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestServer } from '../support/server.ts';
import { setStock } from '../support/server.ts';
import { orderBody, type OrderBody } from '../support/sign.ts';

export interface ShipmentBody {
  id: string;
  planId: string;
  warehouse: string;
  state: string;
  shipBy: string;
  orderIds: string[];
  orderNos?: string[];
  carrier: string | null;
  trackingNo: string | null;
  waveId: string | null;
  lines: { orderId: string; lineNo: number; sku: string; quantity: number; scanned: number }[];
  cancelledAt?: string | null;
  cancelReason?: string | null;
}

export interface OrderBodyView {
  id: string;
  orderNo: string;
  status: string;
  fulfilmentStatus: string;
  reservation: { state: string; items: { sku: string; warehouse: string; quantity: number; state: string }[] };
  routing: { planId: string | null; checkedAt: string | null; problems: { code: string; message: string }[] | null };
  shipments: ShipmentBody[];
  history: { kind: string; from: string | null; to: string | null; cause: string; detail: unknown }[];
}

export interface PlanBody {
  planId: string;
  orderIds: string[];
  shipments: { shipmentNo: string; warehouse: string; carrier: string | null; lines: { orderId: string; lineId: string; sku: string; quantity: number }[]; shipBy: string; orderIds: string[] }[];
}

export interface Outcome {
  plans: PlanBody[];
  unplanned: { orderIds: string[]; reasons: { code: string; orderId: string; message: string }[] }[];
  problems: { code: string; planId: string; warehouse?: string; sku?: string; message: string }[];
  committed: boolean;
}

export interface ErrorReply {
  error: { code: string; message: string; details?: unknown };
}

export const uniq = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;

export const zj = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
export const gd = { name: '李四', phone: '13900001111', province: '广东省', city: '广州市', district: '天河区', address: '体育西路 1 号' };

/** A paid order pushed by the own shop: its units are reserved at once (highest-priority warehouse first), firm as it is paid. */
export async function paidOrder(
  s: TestServer,
  shop: { id: string; secret: string },
  lines: [string, number][],
  over: Partial<OrderBody> = {},
): Promise<OrderBodyView> {
  const body = orderBody({
    status: 'paid',
    lines: lines.map(([sku, quantity]) => ({ sku, title: sku, quantity, unitPrice: 1000, discount: 0 })),
    paidAmount: lines.reduce((a, [, q]) => a + q * 1000, 0),
    ...over,
  });
  const r = await s.push(shop.id, shop.secret, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const o = r.body.orders?.[0];
  expect(o, JSON.stringify(r.body)).toMatchObject({ status: 'paid', reservation: 'deducted', hold: null });
  return order(s, o?.orderId as string);
}

export async function order(s: TestServer, id: string): Promise<OrderBodyView> {
  const r = await s.api<OrderBodyView>('GET', `/api/orders/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

export async function warehouse(s: TestServer, code: string, attrs: Record<string, unknown>): Promise<void> {
  const r = await s.api('PUT', `/api/warehouses/${code}`, attrs);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export async function stockRows(s: TestServer, sku: string, warehouses: string[]): Promise<Record<string, { onHand: number; reserved: number }>> {
  const out: Record<string, { onHand: number; reserved: number }> = {};
  for (const w of warehouses) {
    const r = await s.hub.db.read.get<{ on_hand: number; reserved: number }>('SELECT on_hand, reserved FROM stock WHERE sku = ? AND warehouse = ?', [sku, w]);
    out[w] = { onHand: Number(r?.on_hand ?? 0), reserved: Number(r?.reserved ?? 0) };
  }
  return out;
}

export async function rules(s: TestServer, list: unknown[]): Promise<void> {
  const r = await s.api('PUT', '/api/routing/rules', { rules: list });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

export async function route(s: TestServer, orderIds: string[]): Promise<Outcome> {
  const r = await s.api<Outcome>('POST', '/api/routing/run', { orderIds });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.committed).toBe(true);
  return r.body;
}

export { setStock };
