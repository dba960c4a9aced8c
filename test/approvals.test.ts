// Second approvals over real HTTP on every store: price change, cancelling a paid order, bulk stock adjustment,
// deleting a channel account or a user. Nothing happens until a different person with the permission approves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from './support/backends.ts';
import { createShop, setStock, startServer, stockInvariants, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { verifyAudit } from '../src/modules/access/audit.ts';

const PASSWORD = 'correct horse battery';

interface Answer<T> {
  status: number;
  body: T;
}
interface ApprovalBody {
  id: string;
  kind: string;
  state: string;
  summary: string;
  mine: boolean;
  requestedBy: string;
  decidedBy: string | null;
  result: unknown;
}
interface Pending {
  pendingApproval: ApprovalBody;
}
interface ErrorAnswer {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface OrderAnswer {
  id: string;
  orderNo: string;
  status: string;
  totalAmount: number;
  reservationState: string;
  amounts: { total: number; shippingFee: number };
  lines: { lineNo: number; unitPrice: number; discount: number }[];
  history: { kind: string; cause: string }[];
}

async function call<T>(s: TestServer, token: string, method: string, path: string, body?: unknown): Promise<Answer<T>> {
  const res = await fetch(s.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

describe.each(httpBackends)('second approvals on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  const tokens = new Map<string, string>();
  const ids = new Map<string, string>();
  const as = <T>(user: string, method: string, path: string, body?: unknown) => call<T>(s, tokens.get(user) as string, method, path, body);
  const decide = (user: string, id: string, decision: 'approve' | 'reject', reason?: string) =>
    as<ApprovalBody & ErrorAnswer>(user, 'POST', `/api/approvals/${id}/decision`, { decision, ...(reason ? { reason } : {}) });
  const order = async (ref: string) => (await s.api<OrderAnswer>('GET', `/api/orders/${ref}`)).body;
  const approvalRows = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT count(*) AS n FROM approvals'))?.n);
  const audit = async (action: string) =>
    (await s.api<{ items: { actor: { name: string }; targetId: string | null; detail: Record<string, unknown>; before: unknown; after: unknown }[] }>(
      'GET',
      `/api/audit?action=${action}&limit=200`,
    )).body.items;

  const place = async (overrides: Parameters<typeof orderBody>[0] = {}) => {
    const r = await s.push(shop.id, shop.secret, orderBody(overrides));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.orders?.[0] as { orderNo: string; orderId: string };
  };

  beforeAll(async () => {
    s = await startServer(backend);
    shop = await createShop(s, 'approval-shop-secret-0123');
    await setStock(s, 'A1', 100, 'WH1');
    await setStock(s, 'B1', 10, 'WH2');
    const user = async (username: string, roles: string[], scope?: unknown) => {
      const r = await s.api<{ id: string }>('POST', '/api/users', { username, password: PASSWORD, roles, ...(scope ? { scope } : {}) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids.set(username, r.body.id);
      const t = await s.api<{ token: string }>('POST', '/api/tokens', { name: username, userId: r.body.id });
      tokens.set(username, t.body.token);
    };
    await user('ops1', ['operations']);
    await user('ops2', ['operations']);
    await user('cs', ['customer_service']);
    await user('fin', ['finance']);
    await user('ops_gd', ['operations'], { provinces: ['广东省'] });
    await user('admin2', ['admin']);
    await user('leaver', ['read_only']);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('holds a price change until a different person approves it; the requester cannot, nor can a decider without prices.change', async () => {
    const o = await place({ lines: [{ sku: 'A1', quantity: 2, unitPrice: 1999 }], shippingFee: 500 });
    const req = await as<Pending>('ops1', 'POST', `/api/orders/${o.orderNo}/price-change`, {
      lines: [{ lineNo: 1, unitPrice: 1500 }],
      shippingFee: 0,
      reason: '老客户优惠',
    });
    expect(req.status, JSON.stringify(req.body)).toBe(202);
    const a = req.body.pendingApproval;
    expect(a).toMatchObject({ kind: 'order.price_change', state: 'pending', requestedBy: 'ops1', mine: true });
    expect(a.summary).toContain('4498 → 3000');
    // Nothing changed yet.
    expect((await order(o.orderNo)).totalAmount).toBe(4498);

    // The requester, also through another of their doors (the same person), is refused — and that is audited.
    const self = await decide('ops1', a.id, 'approve');
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('APPROVAL_SELF');
    const refusals = await audit('approval.self_refused');
    expect(refusals[0]).toMatchObject({ actor: { name: 'ops1' }, targetId: a.id });
    // Finance decides approvals but may not change prices; customer service decides nothing.
    expect((await decide('fin', a.id, 'approve')).body.error.code).toBe('FORBIDDEN');
    expect((await decide('cs', a.id, 'approve')).status).toBe(403);
    expect((await order(o.orderNo)).totalAmount).toBe(4498);

    const ok = await decide('ops2', a.id, 'approve', 'checked with the shop manager');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ state: 'approved', decidedBy: 'ops2', result: { total: { from: 4498, to: 3000 } } });
    const after = await order(o.orderNo);
    expect(after.totalAmount).toBe(3000);
    expect(after.amounts.shippingFee).toBe(0);
    expect(after.lines[0]).toMatchObject({ lineNo: 1, unitPrice: 1500 });
    expect(after.history.find((h) => h.kind === 'price_change')?.cause).toBe('ops2, approving ops1: 老客户优惠');

    // Both halves are in the audit log, with who asked, who approved, and before → after.
    expect((await audit('approval.request')).find((e) => e.detail.orderNo === o.orderNo)?.actor.name).toBe('ops1');
    const change = (await audit('order.price_change')).find((e) => e.targetId === o.orderId);
    expect(change).toMatchObject({ actor: { name: 'ops2' }, before: { total: 4498 }, after: { total: 3000 }, detail: { approval: a.id, requestedBy: 'ops1' } });
    expect((await audit('approval.approve')).find((e) => e.targetId === a.id)?.actor.name).toBe('ops2');

    const again = await decide('admin2', a.id, 'reject');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('APPROVAL_DECIDED');
    expect((await verifyAudit(s.hub.db, s.hub.keyring)).every((v) => v.ok)).toBe(true);
  });

  it('refuses bad price changes at once, with a clear error and no request stored', async () => {
    const unpaid = await place();
    const paid = await place({ status: 'paid', paidAmount: 1999 });
    const before = await approvalRows();
    const cases: [string, unknown, number, string][] = [
      [paid.orderNo, { lines: [{ lineNo: 1, unitPrice: 1 }], reason: 'x' }, 409, 'CONFLICT'],
      [unpaid.orderNo, { lines: [{ lineNo: 9, unitPrice: 1 }], reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [unpaid.orderNo, { lines: [{ lineNo: 1, discount: 5000 }], reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [unpaid.orderNo, { lines: [{ lineNo: 1, unitPrice: 1999 }], reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [unpaid.orderNo, { lines: [{ lineNo: 1, unitPrice: -5 }], reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [unpaid.orderNo, { lines: [{ lineNo: 1, unitPrice: 5 }] }, 400, 'VALIDATION_FAILED'],
      ['ORD-19990101-00001', { lines: [{ lineNo: 1, unitPrice: 5 }], reason: 'x' }, 404, 'ORDER_NOT_FOUND'],
    ];
    for (const [ref, body, status, code] of cases) {
      const r = await as<ErrorAnswer>('ops1', 'POST', `/api/orders/${ref}/price-change`, body);
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    // Customer service may not change prices at all.
    expect((await as<ErrorAnswer>('cs', 'POST', `/api/orders/${unpaid.orderNo}/price-change`, { shippingFee: 1, reason: 'x' })).status).toBe(403);
    expect(await approvalRows()).toBe(before);

    // One open request per order: a second one waits for the first to be decided.
    const first = await as<Pending>('ops1', 'POST', `/api/orders/${unpaid.orderNo}/price-change`, { shippingFee: 100, reason: 'a' });
    expect(first.status).toBe(202);
    const second = await as<ErrorAnswer>('ops2', 'POST', `/api/orders/${unpaid.orderNo}/price-change`, { shippingFee: 200, reason: 'b' });
    expect(second.status).toBe(409);
    expect(second.body.error.details?.approval).toBe(first.body.pendingApproval.id);
  });

  it('closes a price change as failed when the platform changed the prices (改价) before the approval, keeping the platform’s', async () => {
    const body = orderBody();
    const r = await s.push(shop.id, shop.secret, body);
    const orderNo = r.body.orders?.[0]?.orderNo as string;
    const req = await as<Pending>('ops1', 'POST', `/api/orders/${orderNo}/price-change`, { shippingFee: 500, reason: 'postage' });
    expect(req.status).toBe(202);
    // The seller changes the price on the platform meanwhile; the order stays unpaid, only its amounts move.
    const repriced = await s.push(shop.id, shop.secret, { ...body, lines: [{ ...body.lines[0]!, unitPrice: 1500 }], updatedAt: '2026-11-22T10:05:00+08:00' });
    expect(repriced.body.orders?.[0]).toMatchObject({ outcome: 'updated' });
    const late = await decide('ops2', req.body.pendingApproval.id, 'approve');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/changed after the request/);
    const o = await order(orderNo);
    expect([o.status, o.totalAmount]).toEqual(['pending_payment', 1500]);
  });

  it('closes a request as failed when the order changed before the approval, and changes nothing', async () => {
    const body = orderBody();
    const r = await s.push(shop.id, shop.secret, body);
    const orderNo = r.body.orders?.[0]?.orderNo as string;
    const req = await as<Pending>('ops1', 'POST', `/api/orders/${orderNo}/price-change`, { lines: [{ lineNo: 1, unitPrice: 999 }], reason: 'promo' });
    expect(req.status).toBe(202);
    // The buyer pays the old price meanwhile.
    const paid = await s.push(shop.id, shop.secret, { ...body, status: 'paid', paidAmount: 1999, updatedAt: '2026-11-22T10:05:00+08:00' });
    expect(paid.status).toBe(200);
    const late = await decide('ops2', req.body.pendingApproval.id, 'approve');
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('CONFLICT');
    expect(late.body.error.message).toMatch(/changed after the request/);
    const a = await as<ApprovalBody>('ops1', 'GET', `/api/approvals/${req.body.pendingApproval.id}`);
    expect(a.body).toMatchObject({ state: 'failed', result: { error: { code: 'CONFLICT' } } });
    const o = await order(orderNo);
    expect([o.status, o.totalAmount]).toEqual(['paid', 1999]);
  });

  it('cancels a paid order only with orders.cancel_paid and a second approval; a rejection leaves it paid', async () => {
    const o = await place({ status: 'paid', paidAmount: 1999 });
    expect((await order(o.orderNo)).reservationState).toBe('deducted');
    const stockBefore = (await s.api<{ onHand: number; reserved: number }>('GET', '/api/stock/A1')).body;

    const cs = await as<ErrorAnswer>('cs', 'POST', `/api/orders/${o.orderNo}/transitions`, { to: 'cancelled', reason: 'buyer asked' });
    expect(cs.status).toBe(403);
    expect(cs.body.error.details?.permission).toBe('orders.cancel_paid');

    const first = await as<Pending>('ops1', 'POST', `/api/orders/${o.orderNo}/transitions`, { to: 'cancelled', reason: 'buyer asked' });
    expect(first.status).toBe(202);
    expect(first.body.pendingApproval.kind).toBe('order.cancel_paid');
    expect((await order(o.orderNo)).status).toBe('paid');
    const no = await decide('ops2', first.body.pendingApproval.id, 'reject', 'ship it, the buyer changed their mind');
    expect(no.body).toMatchObject({ state: 'rejected', decidedBy: 'ops2' });
    expect((await order(o.orderNo)).status).toBe('paid');
    expect((await audit('approval.reject')).find((e) => e.targetId === first.body.pendingApproval.id)?.detail.reason).toBe(
      'ship it, the buyer changed their mind',
    );

    const second = await as<Pending>('ops1', 'POST', `/api/orders/${o.orderNo}/transitions`, { to: 'cancelled', reason: 'buyer asked again' });
    expect(second.status).toBe(202);
    expect((await decide('ops2', second.body.pendingApproval.id, 'approve')).status).toBe(200);
    const done = await order(o.orderNo);
    expect([done.status, done.reservationState]).toEqual(['cancelled', 'restocked']);
    // Its unit never left the shelf: it is free again.
    expect((await s.api<{ onHand: number; reserved: number }>('GET', '/api/stock/A1')).body).toMatchObject({ onHand: stockBefore.onHand, reserved: stockBefore.reserved - 1 });

    // An unpaid order is cancelled at once, by anyone with orders.modify.
    const unpaid = await place();
    const direct = await as<OrderAnswer>('cs', 'POST', `/api/orders/${unpaid.orderNo}/transitions`, { to: 'cancelled', reason: 'duplicate' });
    expect([direct.status, direct.body.status]).toEqual([200, 'cancelled']);
  });

  it('applies an approved bulk stock adjustment all or none', async () => {
    const req = await as<Pending>('ops1', 'POST', '/api/stock/adjustments', {
      items: [
        { sku: 'A1', warehouse: 'WH1', onHand: 80 },
        { sku: 'B1', warehouse: 'WH2', delta: 5, safetyStock: 2 },
        { sku: 'C1', warehouse: 'WH2', onHand: 7 },
      ],
      reason: '月度盘点',
    });
    expect(req.status, JSON.stringify(req.body)).toBe(202);
    expect((await s.api<{ onHand: number }>('GET', '/api/stock/B1')).body.onHand).toBe(10);
    const ok = await decide('ops2', req.body.pendingApproval.id, 'approve');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const b1 = (await s.api<{ onHand: number; safetyStock: number }>('GET', '/api/stock/B1')).body;
    expect([b1.onHand, b1.safetyStock]).toEqual([15, 2]);
    expect((await s.api<{ onHand: number }>('GET', '/api/stock/C1')).body.onHand).toBe(7);
    const logged = (await audit('stock.bulk_adjust'))[0];
    expect(logged).toMatchObject({ actor: { name: 'ops2' }, detail: { approval: req.body.pendingApproval.id, requestedBy: 'ops1' } });

    // One row would go below zero: nothing of the batch applies, and the request closes as failed.
    const bad = await as<Pending>('ops1', 'POST', '/api/stock/adjustments', {
      items: [
        { sku: 'B1', warehouse: 'WH2', delta: 1 },
        { sku: 'C1', warehouse: 'WH2', delta: -8 },
      ],
      reason: 'wrong count',
    });
    const refused = await decide('ops2', bad.body.pendingApproval.id, 'approve');
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('STOCK_BELOW_RESERVED');
    expect((await s.api<{ onHand: number }>('GET', '/api/stock/B1')).body.onHand).toBe(15);
    expect((await s.api<{ onHand: number }>('GET', '/api/stock/C1')).body.onHand).toBe(7);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });

    for (const items of [
      [{ sku: 'A1', warehouse: 'WH1', onHand: 1, delta: 1 }],
      [{ sku: 'A1', warehouse: 'WH1' }],
      [
        { sku: 'A1', warehouse: 'WH1', onHand: 1 },
        { sku: 'A1', warehouse: 'WH1', onHand: 2 },
      ],
      [],
    ]) {
      const r = await as<ErrorAnswer>('ops1', 'POST', '/api/stock/adjustments', { items, reason: 'x' });
      expect(r.status, JSON.stringify(items)).toBe(400);
    }
  });

  it('deletes a channel account only after approval: pushes are refused after, credentials erased, orders kept', async () => {
    const other = await createShop(s, 'doomed-shop-secret-012345');
    const kept = await s.push(other.id, other.secret, orderBody());
    expect(kept.status).toBe(200);
    const req = await as<Pending>('ops1', 'DELETE', `/api/channel-accounts/${other.id}?reason=shop closed`);
    expect(req.status).toBe(202);
    expect((await s.push(other.id, other.secret, orderBody())).status).toBe(200);
    expect((await decide('ops2', req.body.pendingApproval.id, 'approve')).status).toBe(200);
    const refused = await s.push(other.id, other.secret, orderBody());
    expect(refused.status).toBe(404);
    expect((await s.api('GET', `/api/channel-accounts/${other.id}`)).status).toBe(404);
    const listed = await s.api<{ items: { id: string }[] }>('GET', '/api/channel-accounts');
    expect(listed.body.items.map((a) => a.id)).not.toContain(other.id);
    const row = await s.hub.db.read.get<{ credentials: string; deleted_at: number | null }>('SELECT credentials, deleted_at FROM channel_accounts WHERE id = ?', [other.id]);
    expect(row?.deleted_at).not.toBeNull();
    expect(s.hub.keyring.decrypt(row?.credentials as string)).toBe('{}');
    expect((await s.api('GET', `/api/orders/${kept.body.orders?.[0]?.orderNo}`)).status).toBe(200);
    // A reason is required.
    expect((await as<ErrorAnswer>('ops1', 'DELETE', `/api/channel-accounts/${shop.id}`)).status).toBe(400);
  });

  it('deletes a user after an admin approves: their tokens stop at once; only users.manage holders decide', async () => {
    const req = await s.api<Pending>('DELETE', `/api/users/${ids.get('leaver')}?reason=left the company`);
    expect(req.status).toBe(202);
    expect((await as('leaver', 'GET', '/api/orders')).status).toBe(200);
    // Operations may decide approvals, but not about users.
    expect((await decide('ops2', req.body.pendingApproval.id, 'approve')).body.error.code).toBe('FORBIDDEN');
    expect((await decide('admin2', req.body.pendingApproval.id, 'approve')).status).toBe(200);
    expect((await as('leaver', 'GET', '/api/orders')).status).toBe(401);
    expect((await s.api('GET', `/api/users/${ids.get('leaver')}`)).status).toBe(404);
    // Nor can a new API token be made to stand for them.
    const token = await s.api<ErrorAnswer>('POST', '/api/tokens', { name: 'after leaving', userId: ids.get('leaver') });
    expect([token.status, token.body.error.code]).toEqual([404, 'USER_NOT_FOUND']);
    const users = await s.api<{ items: { username: string }[] }>('GET', '/api/users');
    expect(users.body.items.map((u) => u.username)).not.toContain('leaver');
    expect((await s.api<ErrorAnswer>('POST', '/api/users', { username: 'leaver', password: PASSWORD, roles: ['read_only'] })).status).toBe(409);
  });

  it('lets the requester withdraw, shows non-deciders only their own requests, and keeps deciders inside their scope', async () => {
    const zj = await place();
    const req = await as<Pending>('ops1', 'POST', `/api/orders/${zj.orderNo}/price-change`, { shippingFee: 1, reason: 'test' });
    const id = req.body.pendingApproval.id;
    // Only the requester withdraws (ops2 may decide it, but did not ask).
    expect((await as<ErrorAnswer>('ops2', 'POST', `/api/approvals/${id}/withdraw`)).status).toBe(403);
    // A region-scoped decider cannot see, nor decide, a request about an order outside the region.
    expect((await as('ops_gd', 'GET', `/api/approvals/${id}`)).status).toBe(404);
    expect((await decide('ops_gd', id, 'approve')).status).toBe(404);
    const gdList = await as<{ items: ApprovalBody[] }>('ops_gd', 'GET', '/api/approvals?state=pending');
    expect(gdList.body.items.map((a) => a.id)).not.toContain(id);
    // Customer service (no approvals.decide) sees its own requests only.
    const csList = await as<{ items: ApprovalBody[] }>('cs', 'GET', '/api/approvals');
    expect(csList.body.items.every((a) => a.mine)).toBe(true);
    expect((await as('cs', 'GET', `/api/approvals/${id}`)).status).toBe(404);
    const w = await as<ApprovalBody>('ops1', 'POST', `/api/approvals/${id}/withdraw`);
    expect(w.body.state).toBe('withdrawn');
    expect((await decide('ops2', id, 'approve')).body.error.code).toBe('APPROVAL_DECIDED');
    expect((await audit('approval.withdraw'))[0]?.targetId).toBe(id);
  });

  it('expires a request nobody decided in time', async () => {
    if (!s.hub.local) return; // the clock is passed to the service directly; the writer thread runs the same code
    const o = await place();
    const req = await as<Pending>('ops1', 'POST', `/api/orders/${o.orderNo}/price-change`, { shippingFee: 3, reason: 'late' });
    const found = await s.hub.people.tokenPrincipal(tokens.get('ops2') as string, { ip: null, userAgent: null });
    const who = 'principal' in found ? found.principal : undefined;
    expect(who).toBeDefined();
    const later = Date.now() + (s.config.approvalHours + 1) * 3_600_000;
    await expect(s.hub.writes.decideApproval(who as never, req.body.pendingApproval.id, { decision: 'approve' }, later)).rejects.toMatchObject({ code: 'APPROVAL_EXPIRED' });
    expect((await as<ApprovalBody>('ops1', 'GET', `/api/approvals/${req.body.pendingApproval.id}`)).body.state).toBe('expired');
    expect((await order(o.orderNo)).amounts.shippingFee).toBe(0);
  });
});

describe('with approvals switched off (ORDERHUB_APPROVALS=none)', () => {
  it('runs sensitive operations at once, still audited', async () => {
    const backend = httpBackends[0] as (typeof httpBackends)[number];
    const s = await startServer(backend, { approvals: 'none' });
    try {
      const shop = await createShop(s);
      await setStock(s, 'A1', 5);
      const r = await s.push(shop.id, shop.secret, orderBody());
      const orderNo = r.body.orders?.[0]?.orderNo as string;
      const change = await s.api<{ totalAmount: number }>('POST', `/api/orders/${orderNo}/price-change`, { lines: [{ lineNo: 1, unitPrice: 1000 }], reason: 'x' });
      expect([change.status, change.body.totalAmount]).toEqual([200, 1000]);
      const bulk = await s.api<{ changes: unknown[] }>('POST', '/api/stock/adjustments', { items: [{ sku: 'A1', warehouse: 'WH1', delta: 3 }], reason: 'found' });
      expect([bulk.status, bulk.body.changes.length]).toEqual([200, 1]);
      expect((await s.api('GET', '/api/stock/A1')).body).toMatchObject({ onHand: 8 });
      expect((await s.api<{ items: unknown[] }>('GET', '/api/audit?action=order.price_change')).body.items).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});
