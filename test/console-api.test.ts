// What the console's pages ask of the API: the dashboard, the live feed, sorting, name search, notes, XLSX export.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { httpBackends } from './support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';

const PASSWORD = 'correct horse battery';

describe.each(httpBackends)('console API on $name', (backend) => {
  let s: TestServer;
  let shopA: { id: string; secret: string };
  let shopB: { id: string; secret: string };
  const tokens = new Map<string, string>();
  const as = async <T>(user: string, path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(s.url + path, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${tokens.get(user)}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const place = async (shop: { id: string; secret: string }, o: Parameters<typeof orderBody>[0]) => {
    // Placed and paid now: the dashboard counts today, and a paid order's day is the platform's time of payment.
    const now = new Date().toISOString();
    const r = await s.push(shop.id, shop.secret, orderBody({ createdAt: now, updatedAt: now, ...o }));
    expect(r.status).toBe(200);
    return r.body.orders?.[0]?.orderNo as string;
  };

  beforeAll(async () => {
    s = await startServer(backend);
    shopA = await createShop(s, 'console-shop-a-0123456789');
    shopB = await createShop(s, 'console-shop-b-0123456789');
    await setStock(s, 'A1', 100);
    const user = async (username: string, roles: string[], scope?: unknown) => {
      const u = await s.api<{ id: string }>('POST', '/api/users', { username, password: PASSWORD, roles, ...(scope ? { scope } : {}) });
      expect(u.status).toBe(201);
      tokens.set(username, (await s.api<{ token: string }>('POST', '/api/tokens', { name: username, userId: u.body.id })).body.token);
    };
    await user('ops', ['operations']);
    await user('viewer', ['read_only']);
    await user('shop_b_only', ['read_only'], { accounts: [shopB.id] });
    await user('gd_only', ['read_only'], { provinces: ['广东省'] });
    const receiver = (name: string, province: string) => ({ name, phone: '13812345678', province, city: 'c', district: 'd', address: '某路 1 号' });
    await place(shopA, { receiver: receiver('欧阳娜娜', '浙江省'), lines: [{ sku: 'A1', quantity: 1, unitPrice: 500 }] });
    await place(shopA, { status: 'paid', paidAmount: 9000, receiver: receiver('欧阳修', '浙江省'), lines: [{ sku: 'A1', quantity: 1, unitPrice: 9000 }] });
    await place(shopB, { receiver: receiver('司马光', '广东省'), lines: [{ sku: 'A1', quantity: 1, unitPrice: 3000 }] });
    await place(shopB, { receiver: receiver('李白', '广东省'), lines: [{ sku: 'NOPE', quantity: 1, unitPrice: 100 }] });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("counts today inside the caller's scope", async () => {
    type D = { ordersToday: number; byStatus: { status: string; orders: number }[]; paidAmountToday: { amount: number }[]; waitingToShip: number; exceptions: number; perMinute: { orders: number }[] };
    const all = await as<D>('viewer', '/api/dashboard');
    expect(all.status).toBe(200);
    expect(all.body.ordersToday).toBe(4);
    expect(all.body.paidAmountToday).toEqual([{ currency: 'CNY', amount: 9000 }]);
    expect(all.body.waitingToShip).toBe(1);
    expect(all.body.exceptions).toBe(1); // the unknown SKU
    expect(all.body.perMinute).toHaveLength(60);
    expect(all.body.perMinute.reduce((a, p) => a + p.orders, 0)).toBe(4);
    const b = await as<D>('shop_b_only', '/api/dashboard');
    expect(b.body.ordersToday).toBe(2);
    expect(b.body.waitingToShip).toBe(0);
    expect(b.body.byStatus).toEqual([{ status: 'pending_payment', orders: 2 }]);
  });

  it('streams new orders to a listener, inside its scope', async () => {
    const listen = async (user: string) => {
      const ctrl = new AbortController();
      const res = await fetch(`${s.url}/api/stream`, { headers: { authorization: `Bearer ${tokens.get(user)}` }, signal: ctrl.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const events: Record<string, unknown>[] = [];
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += new TextDecoder().decode(value);
          for (let i = text.indexOf('\n\n'); i >= 0; i = text.indexOf('\n\n')) {
            const block = text.slice(0, i);
            text = text.slice(i + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (block.includes('event: order') && data) events.push(JSON.parse(data) as Record<string, unknown>);
          }
        }
      })();
      return { events, close: () => ctrl.abort() };
    };
    const admin = await listen('viewer');
    const onlyB = await listen('shop_b_only');
    const gd = await listen('gd_only');
    // The feed starts at the present, on its first read after someone listens: an order placed before that is the past.
    await expect.poll(() => s.hub.live.started, { timeout: 30_000 }).toBe(true);
    const orderNo = await place(shopA, { status: 'paid', paidAmount: 1999 });
    const gdOrderNo = await place(shopA, { receiver: { name: '李四', phone: '13900001111', province: '广东省', city: '广州市', district: '天河区', address: '体育西路 1 号' } });
    await expect.poll(() => admin.events.filter((e) => e.orderNo === orderNo).map((e) => e.type), { timeout: 30_000 }).toContain('order.created');
    await expect.poll(() => admin.events.some((e) => e.orderNo === gdOrderNo), { timeout: 30_000 }).toBe(true);
    // A province-scoped listener hears of its province's orders, by number, and of nothing else — not even that
    // something happened elsewhere; another shop's listener hears nothing.
    await expect.poll(() => gd.events.some((e) => e.type === 'order.created' && e.orderNo === gdOrderNo), { timeout: 30_000 }).toBe(true);
    expect(gd.events.filter((e) => e.orderNo !== gdOrderNo)).toEqual([]);
    expect(onlyB.events).toEqual([]);
    for (const l of [admin, onlyB, gd]) l.close();
  });

  it('sorts by amount and finds receivers by the start of their name', async () => {
    const asc = await as<{ items: { totalAmount: number }[] }>('viewer', '/api/orders?sort=totalAmount&pageSize=100');
    const amounts = asc.body.items.map((o) => o.totalAmount);
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b));
    const desc = await as<{ items: { totalAmount: number }[] }>('viewer', '/api/orders?sort=-totalAmount&pageSize=100');
    expect(desc.body.items.map((o) => o.totalAmount)).toEqual([...amounts].reverse());
    expect((await as('viewer', '/api/orders?sort=nonsense')).status).toBe(400);
    const ouyang = await as<{ total: number }>('viewer', `/api/orders?q=${encodeURIComponent('欧阳')}`);
    expect(ouyang.body.total).toBe(2);
    expect((await as<{ total: number }>('viewer', `/api/orders?q=${encodeURIComponent('欧阳修')}`)).body.total).toBe(1);
    expect((await as<{ total: number }>('viewer', `/api/orders?q=${encodeURIComponent('阳')}`)).body.total).toBe(0);
    // The scope still applies to what a search finds.
    expect((await as<{ total: number }>('shop_b_only', `/api/orders?q=${encodeURIComponent('欧阳')}`)).body.total).toBe(0);
    expect((await as<{ total: number }>('viewer', `/api/orders?q=${encodeURIComponent('%')}`)).body.total).toBe(0);
  });

  it('keeps notes on an order, audited; a note needs text and orders.modify', async () => {
    const orderNo = await place(shopA, {});
    const added = await as<{ notes: { author: string; text: string }[] }>('ops', `/api/orders/${orderNo}/notes`, { method: 'POST', body: { text: '  客户要求周末送货  ' } });
    expect(added.status).toBe(200);
    expect(added.body.notes).toEqual([expect.objectContaining({ author: 'ops', text: '客户要求周末送货' })]);
    expect((await as('ops', `/api/orders/${orderNo}/notes`, { method: 'POST', body: { text: '   ' } })).status).toBe(400);
    expect((await as('viewer', `/api/orders/${orderNo}/notes`, { method: 'POST', body: { text: 'x' } })).status).toBe(403);
    const audit = await s.api<{ items: { actor: { name: string } }[] }>('GET', '/api/audit?action=order.note');
    expect(audit.body.items[0]?.actor.name).toBe('ops');
  });

  it('exports XLSX that Excel opens: a header row, one row per order, phones masked', async () => {
    const res = await fetch(`${s.url}/api/orders/export?format=xlsx&lang=en`, { headers: { authorization: `Bearer ${tokens.get('ops')}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers.get('content-disposition')).toMatch(/\.xlsx"; filename\*=UTF-8''orders-\d{8}-\d{4}\.xlsx$/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await res.arrayBuffer()) as unknown as Parameters<typeof book.xlsx.load>[0]);
    const sheet = book.getWorksheet('orders');
    expect(sheet?.getRow(1).getCell(1).value).toBe('Order no.');
    const phoneColumn = (sheet?.getRow(1).values as unknown[]).indexOf('Receiver phone');
    const rows = (sheet?.rowCount ?? 0) - 1;
    expect(rows).toBe(Number(res.headers.get('x-orderhub-rows')));
    expect(rows).toBeGreaterThanOrEqual(4);
    const phones = Array.from({ length: rows }, (_, i) => String(sheet?.getRow(i + 2).getCell(phoneColumn).value));
    expect(phones.every((p) => /^\d{3}\*+\d{4}$/.test(p))).toBe(true);
    const audit = await s.api<{ items: { detail: { format: string } }[] }>('GET', '/api/audit?action=orders.export');
    expect(audit.body.items[0]?.detail.format).toBe('xlsx');
  });
});
