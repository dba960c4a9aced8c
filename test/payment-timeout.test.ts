// Payment timeout: a persisted timer releases an unpaid order's stock, also after a restart; late payments reopen or flag.
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { allBackends } from './support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';

const minutes = (n: number) => n * 60_000;

describe.each(allBackends)('payment timeout on $name', (backend) => {
  const open: TestServer[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('fires after a restart: the unpaid order is cancelled and its stock released', async () => {
    const first = await startServer(backend, { paymentTimeoutMinutes: 15 });
    const shop = await createShop(first);
    const sku = `T-${randomUUID().slice(0, 6)}`;
    await setStock(first, sku, 3);
    const r = await first.push(shop.id, shop.secret, orderBody({ lines: [{ sku, quantity: 2, unitPrice: 100 }] }));
    const orderId = r.body.orders?.[0]?.orderId as string;
    // Not due yet: nothing happens.
    expect(await first.hub.local!.timers.runDue(Date.now() + minutes(14))).toBe(0);
    await first.stop();

    const second = await startServer(backend, {}, {}, first.place);
    open.push(second);
    expect((await second.api<{ reserved: number }>('GET', `/api/stock/${sku}`)).body.reserved).toBe(2);
    expect(await second.hub.local!.timers.runDue(Date.now() + minutes(16))).toBe(1);
    const o = await second.api<{ status: string; cancelCause: string; reservation: { state: string }; history: { cause: string; to: string | null }[] }>(
      'GET',
      `/api/orders/${orderId}`,
    );
    expect(o.body).toMatchObject({ status: 'cancelled', cancelCause: 'payment_timeout', reservation: { state: 'released' } });
    expect(o.body.history.at(-1)).toMatchObject({ to: 'cancelled', cause: 'timer: payment timeout' });
    expect((await second.api<{ reserved: number; available: number }>('GET', `/api/stock/${sku}`)).body).toMatchObject({ reserved: 0, available: 3 });
    // Firing again changes nothing.
    expect(await second.hub.local!.timers.runDue(Date.now() + minutes(60))).toBe(0);
  });

  it('does not cancel an order paid before its timer', async () => {
    const s = await startServer(backend);
    open.push(s);
    const shop = await createShop(s);
    const sku = `P-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 3);
    const b = orderBody({ lines: [{ sku, quantity: 1, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, b);
    await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: '2026-11-22T10:01:00+08:00', paidAmount: 100 });
    expect(await s.hub.local!.timers.runDue(Date.now() + minutes(20))).toBe(0);
    const o = await s.api<{ status: string }>('GET', `/api/orders/${b.orderId}`);
    expect(o.status).toBe(404); // orders are addressed by hub id or order number, not the platform's id
    const list = await s.api<{ items: { status: string }[] }>('GET', `/api/orders?platformOrderId=${b.orderId}`);
    expect(list.body.items[0]?.status).toBe('paid');
  });

  it('reopens a timed-out order when its payment arrives late and stock is still there', async () => {
    const s = await startServer(backend);
    open.push(s);
    const shop = await createShop(s);
    const sku = `L-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 5);
    const b = orderBody({ lines: [{ sku, quantity: 2, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, b);
    await s.hub.local!.timers.runDue(Date.now() + minutes(16));
    const late = await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: '2026-11-22T10:20:00+08:00', paidAmount: 200 });
    expect(late.body.orders?.[0]).toMatchObject({ status: 'paid', reservation: 'deducted', hold: null });
    expect((await s.api<{ onHand: number; reserved: number }>('GET', `/api/stock/${sku}`)).body).toMatchObject({ onHand: 5, reserved: 2 });
  });

  it('flags a late payment with no stock left as "paid, no stock" instead of overselling', async () => {
    const s = await startServer(backend);
    open.push(s);
    const shop = await createShop(s);
    const sku = `Z-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 1);
    const b = orderBody({ lines: [{ sku, quantity: 1, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, b);
    await s.hub.local!.timers.runDue(Date.now() + minutes(16));
    // Someone else buys the last unit meanwhile.
    await s.push(shop.id, shop.secret, orderBody({ status: 'paid', lines: [{ sku, quantity: 1, unitPrice: 100 }], paidAmount: 100 }));
    const late = await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: '2026-11-22T10:20:00+08:00', paidAmount: 100 });
    expect(late.body.orders?.[0]).toMatchObject({ status: 'paid', reservation: 'short', hold: 'PAID_NO_STOCK' });
    // The other buyer's unit is still on the shelf, reserved for them: none free.
    expect((await s.api<{ onHand: number; reserved: number }>('GET', `/api/stock/${sku}`)).body).toMatchObject({ onHand: 1, reserved: 1 });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
    // Restocking serves it: the count is what is on the shelf, the reserved unit and the one that arrived.
    const restock = await s.api<{ servedOrders: string[] }>('PUT', `/api/stock/${sku}`, { warehouse: 'WH1', onHand: 2, reason: 'test count' });
    expect(restock.body.servedOrders).toEqual([late.body.orders?.[0]?.orderNo]);
  });

  it('never oversells when timeouts and payments race', async () => {
    const s = await startServer(backend);
    open.push(s);
    const shop = await createShop(s);
    const sku = `RACE-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 5);
    const bodies = Array.from({ length: 20 }, () => orderBody({ lines: [{ sku, quantity: 1, unitPrice: 100 }] }));
    for (const b of bodies) await s.push(shop.id, shop.secret, b);
    await Promise.all([
      s.hub.local!.timers.runDue(Date.now() + minutes(16)),
      ...bodies.map((b) => s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: '2026-11-22T10:20:00+08:00', paidAmount: 100 })),
    ]);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
    const paid = await s.api<{ items: { reservationState: string; hold: { code: string } | null }[] }>('GET', `/api/orders?status=paid&pageSize=200`);
    const mine = paid.body.items;
    expect(mine.length).toBe(20);
    // Every paid order either holds its unit or is visibly flagged; never a silent oversell.
    expect(mine.filter((o) => o.reservationState === 'deducted')).toHaveLength(5);
    expect(mine.filter((o) => o.hold !== null)).toHaveLength(15);
    // All five units still on the shelf, each reserved for one of the five paid orders holding it.
    expect((await s.api<{ onHand: number; reserved: number }>('GET', `/api/stock/${sku}`)).body).toMatchObject({ onHand: 5, reserved: 5 });
  });
});
