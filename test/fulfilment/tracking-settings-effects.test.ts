// A tenant's tracking settings change what the hub does, over real HTTP with the tracking worker driven here: the
// re-check schedule (count and interval), which grades deliver an order, the "not received" urgent window, and the
// alert pass's limits (no pickup, stuck) — on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { startTrackingFake, type TrackingFake } from '../../src/sandbox/fakes/tracking.ts';
import type { TrackingWorker } from '../../src/modules/tracking/worker.ts';
import { order } from './hub-support.ts';
import { kuaidi100Push, kuaidi100QueryAnswer, sendPush, shippedShipment, tracking, until } from './tracking-support.ts';

const creds = { key: 'kd100-key-s', salt: 'kd100-salt-s', customer: 'KD100CUSTS' };
const minute = 60_000;
const hour = 3_600_000;

describe.each(allBackends)('tracking settings at work on $name', (backend) => {
  let s: TestServer;
  let fake: TrackingFake;
  let shop: { id: string; secret: string };
  let accountId: string;
  let worker: TrackingWorker;
  let seq = 0;
  const number = () => `YS${Date.now()}${++seq}`;
  const hook = () => `/hooks/tracking/kuaidi100/${accountId}`;
  const save = async (body: Record<string, unknown>) => {
    const r = await s.api('PUT', '/api/tracking/settings', body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const shipmentRow = (id: string) =>
    s.hub.db.read.get<{ state: string; tracking_status: string | null; recheck_count: number; recheck_state: string | null; delivery_seen_at: number | null }>(
      'SELECT state, tracking_status, recheck_count, recheck_state, delivery_seen_at FROM shipments WHERE id = ?',
      [id],
    );
  const recheckTimer = (id: string) => s.hub.db.read.get<{ due_at: number; state: string }>(`SELECT due_at, state FROM timers WHERE kind = 'tracking_recheck' AND ref = ?`, [id]);
  const alertFor = (kind: string, shipmentId: string) => s.hub.db.read.get<{ message: string }>(`SELECT message FROM channel_alerts WHERE kind = ? AND alert_key = ?`, [kind, shipmentId]);

  beforeAll(async () => {
    fake = await startTrackingFake({ kuaidi100: { key: creds.key, customer: creds.customer } });
    s = await startServer(backend, {}, { tracking: { retryBaseMs: 30_000 } });
    shop = await createShop(s);
    const r = await s.api<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: 'Kuaidi100', credentials: creds, apiBase: fake.apiBase('kuaidi100') });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    accountId = r.body.id;
    worker = s.hub.local?.tracking as TrackingWorker;
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  it('re-checks an untrusted delivery as often and as far apart as the tenant set', async () => {
    await save({ recheckCount: 2, recheckIntervalMinutes: 10 });
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const scan = [{ at: Date.now() - minute, context: '已签收', statusCode: '3' }];
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', scan))).status).toBe(200);
    const seen = Number((await shipmentRow(shipment.id))?.delivery_seen_at);
    expect(await recheckTimer(shipment.id)).toMatchObject({ due_at: seen + 10 * minute, state: 'pending' });
    fake.setAnswer('kuaidi100', n, kuaidi100QueryAnswer(n, '3', scan));
    await worker.runDue(seen + 10 * minute);
    expect(await shipmentRow(shipment.id)).toMatchObject({ recheck_count: 1, recheck_state: 'pending' });
    expect(await recheckTimer(shipment.id)).toMatchObject({ due_at: seen + 20 * minute, state: 'pending' });
    await worker.runDue(seen + 20 * minute);
    expect(await shipmentRow(shipment.id)).toMatchObject({ recheck_count: 2, recheck_state: 'exhausted', tracking_status: 'delivered_unconfirmed' });
    await worker.runDue(seen + 60 * minute);
    expect(fake.requests.filter((q) => q.kind === 'query' && q.number === n)).toHaveLength(2);
  });

  it('a "not received" complaint is urgent only within the tenant’s window', async () => {
    await save({ notReceivedWindowHours: 1 });
    const n = number();
    const { shipment } = await shippedShipment(s, shop, 'yuantong', n);
    // Left at a station two hours ago: urgent under the default 24 h, not under this tenant's 1 h.
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', [{ at: Date.now() - 2 * hour, context: '已放入菜鸟驿站，请及时取件', statusCode: '304' }]))).status).toBe(200);
    const r = await s.api<{ items: { priority: string }[] }>('POST', `/api/shipments/${shipment.id}/not-received`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.items.map((c) => c.priority)).toEqual(['normal']);

    await save({ notReceivedWindowHours: 3 });
    const n2 = number();
    const second = await shippedShipment(s, shop, 'yuantong', n2);
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n2, '3', [{ at: Date.now() - 2 * hour, context: '已放入菜鸟驿站，请及时取件', statusCode: '304' }]))).status).toBe(200);
    const urgent = await s.api<{ items: { priority: string }[] }>('POST', `/api/shipments/${second.shipment.id}/not-received`, {});
    expect(urgent.body.items.map((c) => c.priority)).toEqual(['urgent']);
  });

  it('a tenant that trusts lockers has a locker delivery deliver the order, and its trust board counts it trusted', async () => {
    const n = number();
    const first = await shippedShipment(s, shop, 'zto', n);
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', [{ at: Date.now() - hour, context: '您的快件已投递至丰巢快递柜', statusCode: '304' }], 'zto'))).status).toBe(200);
    expect((await tracking(s, first.shipment.id)).shipment.trackingStatus).toBe('delivered_unconfirmed');
    const board = async () => (await s.api<{ carriers: { carrier: string; delivered: number; trusted: number }[] }>('GET', '/api/tracking/trust-board?days=30')).body.carriers.find((c) => c.carrier === 'zto');
    expect(await board()).toMatchObject({ delivered: 1, trusted: 0 });

    await save({ trustedGrades: ['signature_or_otp', 'photo', 'locker_or_station'] });
    expect(await board()).toMatchObject({ delivered: 1, trusted: 1 });
    const n2 = number();
    const second = await shippedShipment(s, shop, 'zto', n2);
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n2, '3', [{ at: Date.now() - hour, context: '您的快件已投递至丰巢快递柜', statusCode: '304' }], 'zto'))).status).toBe(200);
    expect((await tracking(s, second.shipment.id)).shipment).toMatchObject({ trackingStatus: 'delivered', trustGrade: 'locker_or_station' });
    expect((await order(s, second.orderId)).status).toBe('delivered');
    expect(await recheckTimer(second.shipment.id)).toBeUndefined();
    await save({ trustedGrades: ['signature_or_otp', 'photo'] });
  });

  it('a delivery waiting for its re-check is delivered at that re-check once the tenant trusts its grade', async () => {
    await save({ recheckCount: 3, recheckIntervalMinutes: 30 });
    const n = number();
    const { orderId, shipment } = await shippedShipment(s, shop, 'yuantong', n);
    const locker = [{ at: Date.now() - minute, context: '快件已存放至丰巢智能柜', statusCode: '304' }];
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '3', locker))).status).toBe(200);
    expect(await shipmentRow(shipment.id)).toMatchObject({ tracking_status: 'delivered_unconfirmed', recheck_state: 'pending' });
    const seen = Number((await shipmentRow(shipment.id))?.delivery_seen_at);
    await save({ trustedGrades: ['signature_or_otp', 'photo', 'locker_or_station'] });
    // The source is down at the re-check: no new word on the parcel, only what the tenant accepts has changed.
    await until(async () => (await s.hub.db.read.get<{ at: number | null }>('SELECT subscribed_at AS at FROM shipments WHERE id = ?', [shipment.id]))?.at != null);
    // Earlier tests' re-checks that fall due first are run first, so the outage lands on this one.
    for (let i = 0; i < 5 && (await worker.runDue(seen + 29 * minute)) > 0; i++);
    fake.failNext(1);
    await worker.runDue(seen + 30 * minute);
    expect(fake.requests.filter((q) => q.kind === 'query' && q.number === n).map((q) => q.status)).toEqual([500]);
    expect(await shipmentRow(shipment.id)).toMatchObject({ state: 'delivered', tracking_status: 'delivered', recheck_state: 'confirmed', recheck_count: 1 });
    expect((await order(s, orderId)).status).toBe('delivered');
    expect((await recheckTimer(shipment.id))?.state).not.toBe('pending');
    await save({ trustedGrades: ['signature_or_otp', 'photo'] });
  });

  it('the alert pass uses the tenant’s no-pickup and stuck limits', async () => {
    await save({ noPickupHours: 2, stuckHours: { in_transit: 5 } });
    const quiet = await shippedShipment(s, shop, 'yuantong', number());
    await worker.alertPass(Date.now() + hour);
    expect(await alertFor('NO_PICKUP_SCAN', quiet.shipment.id)).toBeUndefined();
    await worker.alertPass(Date.now() + 3 * hour);
    expect((await alertFor('NO_PICKUP_SCAN', quiet.shipment.id))?.message).toContain('no pickup scan');

    const n = number();
    const moving = await shippedShipment(s, shop, 'yuantong', n);
    expect((await sendPush(s, hook(), kuaidi100Push(creds.salt, n, '0', [{ at: Date.now() - minute, context: '【杭州转运中心】已发出', statusCode: '1002' }]))).status).toBe(200);
    await worker.alertPass(Date.now() + 4 * hour);
    expect(await alertFor('STUCK_IN_STATE', moving.shipment.id)).toBeUndefined();
    await worker.alertPass(Date.now() + 6 * hour);
    expect((await alertFor('STUCK_IN_STATE', moving.shipment.id))?.message).toContain('limit 5 h');
  });
});
