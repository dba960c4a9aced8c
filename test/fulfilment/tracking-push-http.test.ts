// Tracking pushes over real HTTP on loopback (SQLite, PostgreSQL, the writer thread), one source at a time: a push
// signed here is stored, mapped to its shipment and applied; one byte changed is refused and stores nothing; the
// same push again changes nothing; an older push never moves a shipment backwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { startTrackingFake, type TrackingFake } from '../../src/sandbox/fakes/tracking.ts';
import { uniq } from './hub-support.ts';
import { aftershipPush, kuaidi100Push, sendPush, shippedShipment, tamper, track17Push, tracking, until, type SignedPush } from './tracking-support.ts';

const creds = {
  kuaidi100: { key: 'kd100-key-1', salt: 'kd100-salt-测试', customer: 'KD100CUSTOMER' },
  aftership: { apiKey: 'as-api-key-1', webhookSecret: 'as-webhook-secret-1' },
  track17: { securityKey: 'SEC-17TRACK-1' },
};

describe.each(httpBackends)('tracking pushes over HTTP on $name', (backend) => {
  let s: TestServer;
  let fake: TrackingFake;
  let shop: { id: string; secret: string };
  const account: Record<string, string> = {};

  beforeAll(async () => {
    fake = await startTrackingFake({ kuaidi100: creds.kuaidi100, aftership: { apiKey: creds.aftership.apiKey }, track17: creds.track17 });
    s = await startServer(backend);
    shop = await createShop(s);
    for (const source of ['kuaidi100', 'aftership', 'track17'] as const) {
      const r = await s.api<{ id: string; credentialKeys: string[]; pushUrl: string }>('POST', '/api/tracking-accounts', { source, name: source, credentials: creds[source], apiBase: fake.apiBase(source) });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(JSON.stringify(r.body)).not.toContain(Object.values(creds[source])[1] as string);
      expect(r.body.pushUrl).toContain(`/hooks/tracking/${source}/${r.body.id}`);
      account[source] = r.body.id;
    }
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  const counts = async (shipmentId: string) => ({
    pushes: Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM tracking_pushes'))?.c ?? 0),
    events: Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM tracking_events WHERE shipment_id = ?', [shipmentId]))?.c ?? 0),
    outbox: Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM outbox WHERE aggregate_id = ?', [shipmentId]))?.c ?? 0),
  });

  type Maker = (n: string, step: 'first' | 'newer' | 'older', t: Record<'t0' | 't1' | 't2', number>) => SignedPush;
  const makers: Record<'kuaidi100' | 'aftership' | 'track17', { make: Maker; okBody: (text: string) => void }> = {
    kuaidi100: {
      make: (n, step, t) =>
        step === 'first'
          ? kuaidi100Push(creds.kuaidi100.salt, n, '0', [{ at: t.t1, context: '【杭州转运中心】已发出', statusCode: '1002', area: '浙江,杭州市' }])
          : step === 'newer'
            ? kuaidi100Push(creds.kuaidi100.salt, n, '5', [{ at: t.t1, context: '【杭州转运中心】已发出', statusCode: '1002', area: '浙江,杭州市' }, { at: t.t2, context: '派件中', statusCode: '5' }])
            : kuaidi100Push(creds.kuaidi100.salt, n, '1', [{ at: t.t0, context: '已揽收', statusCode: '103' }]),
      okBody: (text) => expect(JSON.parse(text)).toEqual({ result: true, returnCode: '200', message: '成功' }),
    },
    aftership: {
      make: (n, step, t) =>
        step === 'first'
          ? aftershipPush(creds.aftership.webhookSecret, `${n}-e1`, n, 'InTransit', 'InTransit_007', [{ at: t.t1, message: 'Departure scan', subtag: 'InTransit_007', location: 'Hangzhou' }])
          : step === 'newer'
            ? aftershipPush(creds.aftership.webhookSecret, `${n}-e2`, n, 'OutForDelivery', 'OutForDelivery_001', [
                { at: t.t1, message: 'Departure scan', subtag: 'InTransit_007', location: 'Hangzhou' },
                { at: t.t2, message: 'Out for delivery', subtag: 'OutForDelivery_001' },
              ])
            : aftershipPush(creds.aftership.webhookSecret, `${n}-e0`, n, 'InTransit', 'InTransit_002', [{ at: t.t0, message: 'Picked up', subtag: 'InTransit_002' }]),
      okBody: (text) => expect(JSON.parse(text)).toEqual({ received: true }),
    },
    track17: {
      make: (n, step, t) =>
        step === 'first'
          ? track17Push(creds.track17.securityKey, n, 'InTransit', 'InTransit_Other', [{ at: t.t1, description: 'Departed', sub: 'InTransit_Other', location: 'Hangzhou' }])
          : step === 'newer'
            ? track17Push(creds.track17.securityKey, n, 'OutForDelivery', 'OutForDelivery_Other', [
                { at: t.t1, description: 'Departed', sub: 'InTransit_Other', location: 'Hangzhou' },
                { at: t.t2, description: 'Out for delivery', sub: 'OutForDelivery_Other' },
              ])
            : track17Push(creds.track17.securityKey, n, 'InTransit', 'InTransit_PickedUp', [{ at: t.t0, description: 'Picked up', sub: 'InTransit_PickedUp' }]),
      okBody: (text) => expect(JSON.parse(text)).toEqual({ code: 0 }),
    },
  };

  it.each(['kuaidi100', 'aftership', 'track17'] as const)('%s: a signed push lands on its shipment; tampered, duplicate and older pushes change nothing they must not', async (source) => {
    const { make, okBody } = makers[source];
    const other = await shippedShipment(s, shop, 'yuantong', uniq('YT').replace(/-/g, '').toUpperCase());
    const number = `YT${Date.now()}${Math.floor(Math.random() * 1000)}1`;
    const mine = await shippedShipment(s, shop, 'yuantong', number);
    const hook = `/hooks/tracking/${source}/${account[source]}`;
    // Shipping subscribes both numbers (an outbox event of their own): let that settle before counting.
    const subscribed = async (id: string) => (await s.hub.db.read.get<{ at: number | null }>('SELECT subscribed_at AS at FROM shipments WHERE id = ?', [id]))?.at != null;
    await until(async () => (await subscribed(mine.shipment.id)) && (await subscribed(other.shipment.id)));
    const now = Date.now();
    const t = { t0: now - 3 * 3_600_000, t1: now - 2 * 3_600_000, t2: now - 3_600_000 };

    const first = make(number, 'first', t);
    const before = await counts(mine.shipment.id);
    const bad = await sendPush(s, hook, tamper(first, number));
    expect(bad.status).toBe(401);
    expect(await counts(mine.shipment.id)).toEqual(before);

    const ok = await sendPush(s, hook, first);
    expect(ok.status, ok.text).toBe(200);
    okBody(ok.text);
    const view = await tracking(s, mine.shipment.id);
    expect(view.shipment).toMatchObject({ id: mine.shipment.id, carrier: 'yuantong', trackingNo: number, trackingStatus: 'in_transit', trustGrade: null, deliveredAt: null });
    expect(view.events).toHaveLength(1);
    expect(view.events[0]?.status).toBe('in_transit');
    expect(view.events[0]?.location ?? '').toMatch(/杭州|Hangzhou/);
    // The other shipment heard nothing.
    expect((await tracking(s, other.shipment.id)).events).toEqual([]);
    expect((await tracking(s, other.shipment.id)).shipment.trackingStatus).toBeNull();

    const afterFirst = await counts(mine.shipment.id);
    const again = await sendPush(s, hook, first);
    expect(again.status).toBe(200);
    okBody(again.text);
    expect(await counts(mine.shipment.id)).toEqual(afterFirst);
    expect(await tracking(s, mine.shipment.id)).toEqual(view);

    const newer = await sendPush(s, hook, make(number, 'newer', t));
    expect(newer.status).toBe(200);
    expect((await tracking(s, mine.shipment.id)).shipment.trackingStatus).toBe('out_for_delivery');

    // An older push arrives late: its event joins the history, the status stays where the newest event put it.
    const older = await sendPush(s, hook, make(number, 'older', t));
    expect(older.status).toBe(200);
    const late = await tracking(s, mine.shipment.id);
    expect(late.shipment.trackingStatus).toBe('out_for_delivery');
    expect(late.events).toHaveLength(3);
    expect(late.events[0]?.status).toMatch(/picked_up|in_transit/);
    expect(late.events.at(-1)?.status).toBe('out_for_delivery');
    const row = await s.hub.db.read.get<{ outcome: string }>(`SELECT outcome FROM tracking_pushes WHERE shipment_id = ? ORDER BY id DESC LIMIT 1`, [mine.shipment.id]);
    expect(row?.outcome).toBe('stale');

    // The order's 360° view carries the tracking status of its shipment.
    const o = await s.api<{ shipments: { id: string; trackingStatus: string | null; trustGrade: string | null }[] }>('GET', `/api/orders/${mine.orderId}`);
    expect(o.body.shipments.find((x) => x.id === mine.shipment.id)).toMatchObject({ trackingStatus: 'out_for_delivery', trustGrade: null });
  });

  it('an unconfirmed delivery restated with a newer event is not moved back by an older push that arrives next', async () => {
    const number = `YT${Date.now()}${Math.floor(Math.random() * 1000)}2`;
    const mine = await shippedShipment(s, shop, 'yuantong', number);
    const hook = `/hooks/tracking/kuaidi100/${account['kuaidi100'] ?? ''}`;
    const now = Date.now();
    const t = { dispatched: now - 4 * 3_600_000, locker: now - 3 * 3_600_000, late: now - 2 * 3_600_000, reminder: now - 3_600_000 };
    const salt = creds.kuaidi100.salt;
    const locker = { at: t.locker, context: '您的快件已投递至丰巢快递柜', statusCode: '304' };
    expect((await sendPush(s, hook, kuaidi100Push(salt, number, '3', [{ at: t.dispatched, context: '已发出', statusCode: '1002' }, locker]))).status).toBe(200);
    expect((await tracking(s, mine.shipment.id)).shipment.trackingStatus).toBe('delivered_unconfirmed');
    // Still in the locker, said again with a newer trace: nothing to trust yet, but it is the newest word.
    expect((await sendPush(s, hook, kuaidi100Push(salt, number, '3', [locker, { at: t.reminder, context: '快件在丰巢快递柜，请尽快取件', statusCode: '304' }]))).status).toBe(200);
    // A trace from between the two, delayed on its way: older than the newest word, so it must not undo the delivery.
    expect((await sendPush(s, hook, kuaidi100Push(salt, number, '5', [{ at: t.late, context: '派件中', statusCode: '5' }]))).status).toBe(200);
    const v = await tracking(s, mine.shipment.id);
    expect(v.shipment).toMatchObject({ trackingStatus: 'delivered_unconfirmed', trustGrade: 'locker_or_station' });
    const row = await s.hub.db.read.get<{ last_event_at: number; recheck_state: string }>('SELECT last_event_at, recheck_state FROM shipments WHERE id = ?', [mine.shipment.id]);
    expect(Number(row?.last_event_at)).toBe(Math.floor(t.reminder / 1000) * 1000);
    expect(row?.recheck_state).toBe('pending');
  });

  it('refuses a push for an unknown account or the wrong source, and stores nothing', async () => {
    const before = Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM tracking_pushes'))?.c ?? 0);
    const p = kuaidi100Push(creds.kuaidi100.salt, 'YT000', '0', [{ at: Date.now(), context: 'x' }]);
    expect((await sendPush(s, `/hooks/tracking/kuaidi100/nope`, p)).status).toBe(404);
    expect((await sendPush(s, `/hooks/tracking/aftership/${account['kuaidi100'] ?? ''}`, p)).status).toBe(404);
    expect(Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM tracking_pushes'))?.c ?? 0)).toBe(before);
  });
});
