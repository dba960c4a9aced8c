// Stock rows are taken in SKU order whatever order an order's lines name them in: the lock order of
// src/platform/db/unit-of-work.ts, checked by the transaction's ledger on every store (on PostgreSQL two orders naming
// the same SKUs in opposite orders would otherwise deadlock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, stockInvariants } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';

describe.each(httpBackends)('stock taken in SKU order on $name', (backend) => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let shop: { id: string; secret: string };
  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('reserves an order whose lines name SKUs in descending order, and serves one held for them later', async () => {
    const [a, z] = [`LA-${Date.now()}`, `LZ-${Date.now()}`];
    await setStock(s, a, 5);
    await setStock(s, z, 5);
    const pushed = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: z, quantity: 1, unitPrice: 100 }, { sku: a, quantity: 1, unitPrice: 100 }] }));
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(pushed.body.orders?.[0]).toMatchObject({ outcome: 'created', reservation: 'held' });

    // Held short on the smaller SKU (its last unit is the first order's), then served once it is back in stock.
    await setStock(s, a, 1);
    const held = await s.push(shop.id, shop.secret, orderBody({ lines: [{ sku: z, quantity: 2, unitPrice: 100 }, { sku: a, quantity: 1, unitPrice: 100 }] }));
    expect(held.body.orders?.[0]).toMatchObject({ hold: 'STOCK_SHORT' });
    await s.api('PUT', `/api/stock/${a}`, { warehouse: 'WH1', onHand: 5, reason: 'test count' });
    const id = held.body.orders?.[0]?.orderId as string;
    const order = await s.api<{ reservationState: string; hold: unknown }>('GET', `/api/orders/${id}`);
    expect(order.body).toMatchObject({ reservationState: 'held', hold: null });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });
});
