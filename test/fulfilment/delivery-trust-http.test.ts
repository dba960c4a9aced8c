// Delivery trust wired into the hub, over real HTTP on loopback (SQLite and PostgreSQL; the timers are driven here
// through the hub's tracking worker): a signed-for delivery delivers the order; a locker delivery is re-checked three
// times, 30 min apart, against the fake source, and a re-check that finds a signature upgrades it; "not received"
// within 24 h of an untrusted delivery opens an urgent case. Also the subscription on ship and the no-pickup alert.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { startTrackingFake, type TrackingFake } from '../../src/sandbox/fakes/tracking.ts';
import type { TrackingWorker } from '../../src/modules/tracking/worker.ts';
import { order } from './hub-support.ts';
import { kuaidi100Push, kuaidi100QueryAnswer, sendPush, shippedShipment, tracking, until } from './tracking-support.ts';

const creds = { key: 'kd100-key-2', salt: 'kd100-salt-2', customer: 'KD100CUST2' };
const halfHour = 30 * 60_000;

interface CaseBody {
  id: string;
  orderId: string;
  shipmentId: string;
  kind: string;
  priority: string;
  state: string;
}

describe.each(allBackends)('delivery trust over HTTP on $name', (backend) => {
  let s: TestServer;
  let fake: TrackingFake;
  let shop: { id: string; secret: string };
  let accountId: string;
  let worker: TrackingWorker;
  let seq = 0;
  const number = () => `YT${Date.now()}${++seq}`;
  const hook = () => `/hooks/tracking/kuaidi100/${accountId}`;

  beforeAll(async () => {
    fake = await startTrackingFake({ kuaidi100: { key: creds.key, customer: creds.customer } });
    // Subscription retries 30 s apart: the test moves time on by driving the worker, never by waiting.
    s = await startServer(backend, {}, { tracking: { retryBaseMs: 30_000 } });
    shop = await createShop(s);
    const r = await s.api<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: 'Kuaidi100', credentials: creds, apiBase: fake.apiBase('kuaidi100') });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    accountId = r.body.id;
    worker = s.hub.local?.tracking as TrackingWorker;
    expect(worker).toBeDefined();
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  const shipmentRow = (id: string) =>
    s.hub.db.read.get<{ state: string; tracking_status: string | null; trust_grade: string | null; recheck_count: number; recheck_state: string | null; delivery_seen_at: number | null; subscribed_at: number | null }>(
      'SELECT state, tracking_status, trust_grade, recheck_count, recheck_state, delivery_seen_at, subscribed_at FROM shipments WHERE id = ?',
      [id],
    );
  const recheckTimer = (id: string) => s.hub.db.read.get<{ due_at: number; state: string }>(`SELECT due_at, state FROM timers WHERE kind = 'tracking_recheck' AND ref = ?`, [id]);

  it('a delivery signed for in person moves the shipment and the order to delivered', async () => {
    const n = number();
    const { orderId, shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const at = Date.now() - 3_600_000;
    const r = await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', [{ at: at - 3_600_000, context: '派件中', statusCode: '5' }, { at, context: '已签收，本人签收', statusCode: '301', area: '浙江,杭州市西湖区' }]));
    expect(r.status, r.text).toBe(200);
    const v = await tracking(s, shipment.id);
    expect(v.shipment).toMatchObject({ trackingStatus: 'delivered', trustGrade: 'signature_or_otp' });
    expect(v.shipment.deliveredAt).toBe(new Date(Math.floor(at / 1000) * 1000).toISOString());
    const o = await order(s, orderId);
    expect(o.status).toBe('delivered');
    expect(o.fulfilmentStatus).toBe('delivered');
    expect(o.shipments[0]).toMatchObject({ state: 'delivered', trackingStatus: 'delivered', trustGrade: 'signature_or_otp' });
    expect(await recheckTimer(shipment.id)).toBeUndefined();
    const types = (await s.hub.db.read.all<{ type: string }>('SELECT type FROM outbox WHERE aggregate_id IN (?, ?) ORDER BY id', [shipment.id, orderId])).map((e) => e.type);
    expect(types).toContain('shipment.delivered');
  });

  it('a locker delivery is not told as delivered, is re-checked 3 times 30 min apart, and a re-check that finds a signature upgrades it', async () => {
    const n = number();
    const { orderId, shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const at = Date.now() - 600_000;
    const lockerOnly = [{ at: at - 3_600_000, context: '派件中', statusCode: '5' }, { at, context: '您的快件已投递至丰巢快递柜', statusCode: '304' }];
    const before = Date.now();
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', lockerOnly))).status).toBe(200);
    const after = Date.now();

    const v = await tracking(s, shipment.id);
    expect(v.shipment).toMatchObject({ trackingStatus: 'delivered_unconfirmed', trustGrade: 'locker_or_station' });
    expect((await order(s, orderId)).status).toBe('shipped');
    const row = await shipmentRow(shipment.id);
    expect(row).toMatchObject({ state: 'shipped', recheck_state: 'pending' });
    const seen = Number(row?.delivery_seen_at);
    expect(seen).toBeGreaterThanOrEqual(before);
    expect(seen).toBeLessThanOrEqual(after);
    expect(await recheckTimer(shipment.id)).toMatchObject({ due_at: seen + halfHour, state: 'pending' });

    // Re-checks 1 and 2: the source still says locker.
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '3', lockerOnly));
    const queries = () => fake.requests.filter((q) => q.source === 'kuaidi100' && q.kind === 'query' && q.number === n);
    await worker.runDue(seen + halfHour - 1);
    expect(queries()).toHaveLength(0);
    expect((await shipmentRow(shipment.id))?.recheck_count).toBe(0);
    await worker.runDue(seen + halfHour);
    expect(queries()).toHaveLength(1);
    expect(queries()[0]?.signed).toBe(true);
    expect(await shipmentRow(shipment.id)).toMatchObject({ recheck_count: 1, recheck_state: 'pending', tracking_status: 'delivered_unconfirmed' });
    expect(await recheckTimer(shipment.id)).toMatchObject({ due_at: seen + 2 * halfHour, state: 'pending' });
    await worker.runDue(seen + 2 * halfHour);
    expect(queries()).toHaveLength(2);
    expect(await shipmentRow(shipment.id)).toMatchObject({ recheck_count: 2, recheck_state: 'pending' });
    expect(await recheckTimer(shipment.id)).toMatchObject({ due_at: seen + 3 * halfHour, state: 'pending' });
    expect((await order(s, orderId)).status).toBe('shipped');

    // Re-check 3: the carrier now reports the customer signed in person.
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '3', [...lockerOnly, { at: at + 60_000, context: '已签收，本人签收', statusCode: '301' }]));
    await worker.runDue(seen + 3 * halfHour);
    expect(queries()).toHaveLength(3);
    expect((await tracking(s, shipment.id)).shipment).toMatchObject({ trackingStatus: 'delivered', trustGrade: 'signature_or_otp' });
    expect(await shipmentRow(shipment.id)).toMatchObject({ state: 'delivered', recheck_state: 'confirmed' });
    expect((await order(s, orderId)).status).toBe('delivered');
    expect((await recheckTimer(shipment.id))?.state).not.toBe('pending');
  });

  it('gives up after 3 re-checks without proof: the delivery stays unconfirmed', async () => {
    const n = number();
    const { orderId, shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const trace = [{ at: Date.now() - 60_000, context: '已签收', statusCode: '3' }];
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', trace))).status).toBe(200);
    expect((await tracking(s, shipment.id)).shipment.trustGrade).toBe('scan_only');
    const seen = Number((await shipmentRow(shipment.id))?.delivery_seen_at);
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '3', trace));
    for (let i = 1; i <= 3; i++) await worker.runDue(seen + i * halfHour);
    expect(await shipmentRow(shipment.id)).toMatchObject({ recheck_count: 3, recheck_state: 'exhausted', tracking_status: 'delivered_unconfirmed', state: 'shipped' });
    await worker.runDue(seen + 10 * halfHour);
    expect(fake.requests.filter((q) => q.kind === 'query' && q.number === n)).toHaveLength(3);
    expect((await shipmentRow(shipment.id))?.recheck_count).toBe(3);
    expect((await order(s, orderId)).status).toBe('shipped');
  });

  it('"not received" within 24 h of an untrusted delivery opens an urgent case; after a trusted one a normal case', async () => {
    const n = number();
    const { orderId, shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const early = await s.api<{ error: { code: string } }>('POST', `/api/shipments/${shipment.id}/not-received`, {});
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('SHIPMENT_STATE');
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', [{ at: Date.now() - 2 * 3_600_000, context: '已放入菜鸟驿站，请及时取件', statusCode: '304' }]))).status).toBe(200);
    const r = await s.api<{ items: CaseBody[] }>('POST', `/api/shipments/${shipment.id}/not-received`, { note: '柜子里没有' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.items).toEqual([expect.objectContaining({ orderId, shipmentId: shipment.id, kind: 'not_received', priority: 'urgent', state: 'open' })]);
    const again = await s.api<{ items: CaseBody[] }>('POST', `/api/shipments/${shipment.id}/not-received`, {});
    expect(again.body.items.map((c) => c.id)).toEqual(r.body.items.map((c) => c.id));
    const open = await s.api<{ items: CaseBody[] }>('GET', '/api/cases?state=open');
    expect(open.status).toBe(200);
    expect(open.body.items.find((c) => c.id === r.body.items[0]?.id)).toMatchObject({ priority: 'urgent' });
    expect((await order(s, orderId)).history.some((h) => h.cause.includes('not received'))).toBe(true);

    const n2 = number();
    const trusted = await shippedShipment(s, shop, 'yuantong', n2);
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n2, '3', [{ at: Date.now() - 3_600_000, context: '本人签收', statusCode: '301' }]))).status).toBe(200);
    const normal = await s.api<{ items: CaseBody[] }>('POST', `/api/shipments/${trusted.shipment.id}/not-received`, {});
    expect(normal.status).toBe(201);
    expect(normal.body.items[0]?.priority).toBe('normal');
  });

  it('the trust board counts deliveries per carrier and outlet by grade', async () => {
    const r = await s.api<{ carriers: { carrier: string; delivered: number; trusted: number; trustRate: number; byGrade: Record<string, number> }[]; outlets: { outlet: string; delivered: number }[] }>(
      'GET',
      '/api/tracking/trust-board?days=30',
    );
    expect(r.status).toBe(200);
    const yt = r.body.carriers.find((c) => c.carrier === 'yuantong');
    expect(yt?.delivered).toBeGreaterThanOrEqual(4);
    expect(yt?.trusted).toBe((yt?.byGrade['signature_or_otp'] ?? 0) + (yt?.byGrade['photo'] ?? 0));
    expect(yt?.trustRate).toBeCloseTo((yt?.trusted ?? 0) / (yt?.delivered ?? 1));
    expect(Object.keys(yt?.byGrade ?? {}).sort()).toEqual(['locker_or_station', 'photo', 'scan_only', 'signature_or_otp']);
    expect(r.body.outlets.reduce((a, o) => a + o.delivered, 0)).toBe(r.body.carriers.reduce((a, c) => a + c.delivered, 0));
  });

  it('shipping subscribes the number with the source (valid key); a failing source is retried', async () => {
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    await until(async () => (await shipmentRow(shipment.id))?.subscribed_at != null);
    const subs = fake.requests.filter((q) => q.kind === 'subscribe' && q.number === n);
    expect(subs).toEqual([expect.objectContaining({ source: 'kuaidi100', signed: true, status: 200 })]);

    // Nothing else waits to be subscribed, so the one failure lands on this shipment.
    await until(async () => Number((await s.hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM timers WHERE kind = 'tracking_subscribe' AND state = 'pending'`))?.c ?? 0) === 0);
    fake.failNext(1);
    const n2 = number();
    const second = await shippedShipment(s, shop, 'yuantong', n2);
    const timer = () => s.hub.db.read.get<{ state: string; attempts: number; due_at: number }>(`SELECT state, attempts, due_at FROM timers WHERE kind = 'tracking_subscribe' AND ref = ?`, [second.shipment.id]);
    await until(async () => Number((await timer())?.attempts ?? 0) === 1);
    expect(fake.requests.filter((q) => q.kind === 'subscribe' && q.number === n2).map((q) => q.status)).toEqual([500]);
    expect((await timer())?.state).toBe('pending');
    expect((await shipmentRow(second.shipment.id))?.subscribed_at).toBeNull();
    await worker.runDue(Number((await timer())?.due_at));
    expect(fake.requests.filter((q) => q.kind === 'subscribe' && q.number === n2).map((q) => q.status)).toEqual([500, 200]);
    expect((await timer())?.state).toBe('done');
    expect((await shipmentRow(second.shipment.id))?.subscribed_at).not.toBeNull();
  });

  it('asks the source again about a shipment without news for a day, and applies what it answers', async () => {
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const at = Date.now() - 3_600_000;
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '0', [{ at: at - 3_600_000, context: '已揽收', statusCode: '103' }, { at, context: '【杭州转运中心】已发出', statusCode: '1002' }]));
    await worker.requeryStale(Date.now() + 23 * 3_600_000, 1000);
    expect(fake.requests.filter((q) => q.kind === 'query' && q.number === n)).toHaveLength(0);
    await worker.requeryStale(Date.now() + 25 * 3_600_000, 1000);
    expect(fake.requests.filter((q) => q.kind === 'query' && q.number === n).map((q) => q.signed)).toEqual([true]);
    const v = await tracking(s, shipment.id);
    expect(v.shipment.trackingStatus).toBe('in_transit');
    expect(v.events.map((e) => e.status)).toEqual(['picked_up', 'in_transit']);
  });

  it('a stale shipment whose source has nothing new is asked again a day later, not on every pass', async () => {
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const at = Date.now() - 3_600_000;
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '0', [{ at, context: '【杭州转运中心】已发出', statusCode: '1002' }]));
    const asked = () => fake.requests.filter((q) => q.kind === 'query' && q.number === n).length;
    const t0 = Date.now();
    await worker.requeryStale(t0 + 25 * 3_600_000, 1000);
    expect(asked()).toBe(1);
    // A day later the same answer comes back (a lost parcel says nothing new): it still counts as checked.
    await worker.requeryStale(t0 + 50 * 3_600_000, 1000);
    expect(asked()).toBe(2);
    await worker.requeryStale(t0 + 50 * 3_600_000 + 10 * 60_000, 1000);
    expect(asked()).toBe(2);
    expect(Number((await s.hub.db.read.get<{ at: number }>('SELECT tracking_checked_at AS at FROM shipments WHERE id = ?', [shipment.id]))?.at)).toBe(t0 + 50 * 3_600_000);
  });

  it('raises an alert when there is no pickup scan 48 h after shipping', async () => {
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    await worker.alertPass(Date.now() + 47 * 3_600_000);
    const none = await s.hub.db.read.get<{ id: number }>(`SELECT id FROM channel_alerts WHERE kind = 'NO_PICKUP_SCAN' AND alert_key = ?`, [shipment.id]);
    expect(none).toBeUndefined();
    await worker.alertPass(Date.now() + 49 * 3_600_000);
    const alert = await s.hub.db.read.get<{ platform: string; message: string }>(`SELECT platform, message FROM channel_alerts WHERE kind = 'NO_PICKUP_SCAN' AND alert_key = ?`, [shipment.id]);
    expect(alert?.platform).toBe('tracking');
    expect(alert?.message).toContain('no pickup scan');
  });
});
