// Tracking pushes that arrive together: on SQLite they share transactions (group commit), each answered only once its
// transaction is committed; one that fails is rolled back alone and the others in its batch still land. PostgreSQL
// keeps one transaction per push. Both stores, over HTTP and through the service.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { receiveKuaidi100Push } from '../../src/modules/tracking/sources/kuaidi100/index.ts';
import type { TrackingDelivery } from '../../src/modules/tracking/service.ts';
import { kuaidi100Push, sendPush, shippedShipment, tracking } from './tracking-support.ts';

const creds = { key: 'kd100-key-g', salt: 'kd100-salt-g' };

describe.each(allBackends)('tracking pushes together on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  let accountId: string;
  let seq = 0;
  const number = () => `YG${Date.now()}${++seq}`;

  beforeAll(async () => {
    s = await startServer(backend, {}, { workers: false });
    shop = await createShop(s);
    const r = await s.api<{ id: string }>('POST', '/api/tracking-accounts', { source: 'kuaidi100', name: 'Kuaidi100', credentials: creds, apiBase: 'http://127.0.0.1:9' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    accountId = r.body.id;
  });
  afterAll(async () => {
    await s?.close();
  });

  it('many pushes at once over HTTP: every one answered 200 after it is stored, each shipment where its newest push put it', async () => {
    const parcels = [];
    for (let i = 0; i < 6; i++) {
      const n = number();
      parcels.push({ n, ...(await shippedShipment(s, shop, 'yuantong', n)) });
    }
    const t = Date.now() - 5 * 3_600_000;
    const steps = (n: string) => [
      kuaidi100Push(creds.salt, n, '0', [{ at: t, context: '已发出', statusCode: '1002' }]),
      kuaidi100Push(creds.salt, n, '5', [{ at: t, context: '已发出', statusCode: '1002' }, { at: t + 3_600_000, context: '派件中', statusCode: '5' }]),
      kuaidi100Push(creds.salt, n, '3', [{ at: t, context: '已发出', statusCode: '1002' }, { at: t + 3_600_000, context: '派件中', statusCode: '5' }, { at: t + 7_200_000, context: '已签收，本人签收', statusCode: '301' }]),
    ];
    const before = s.hub.tracking.pushBatches ? { ...s.hub.tracking.pushBatches } : null;
    // Each parcel's pushes in order, all parcels at once.
    const answers = await Promise.all(parcels.map(async (p) => {
      const out = [];
      for (const push of steps(p.n)) out.push(await sendPush(s, `/hooks/tracking/kuaidi100/${accountId}`, push));
      return out;
    }));
    for (const a of answers.flat()) expect(a.status, a.text).toBe(200);
    for (const p of parcels) {
      expect((await tracking(s, p.shipment.id)).shipment).toMatchObject({ trackingStatus: 'delivered', trustGrade: 'signature_or_otp' });
      expect(Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM tracking_pushes WHERE shipment_id = ?', [p.shipment.id]))?.c)).toBe(3);
    }
    const after = s.hub.tracking.pushBatches;
    if (backend.name === 'sqlite') {
      expect(after?.items).toBe((before?.items ?? 0) + 18);
      // Fewer transactions than pushes: pushes that arrived together were committed together.
      expect((after?.batches ?? 0) - (before?.batches ?? 0)).toBeLessThan(18);
    } else {
      expect(after).toBeNull();
    }
  });

  it('a push that fails inside a shared transaction is refused alone; the others of its batch are stored', async () => {
    const parcels = [];
    for (let i = 0; i < 3; i++) {
      const n = number();
      parcels.push({ n, ...(await shippedShipment(s, shop, 'yuantong', n)) });
    }
    const delivery = (n: string): TrackingDelivery => {
      const p = kuaidi100Push(creds.salt, n, '0', [{ at: Date.now() - 3_600_000, context: '已发出', statusCode: '1002' }]);
      const { content: _content, ...update } = receiveKuaidi100Push({ headers: p.headers, rawBody: p.body }, { salt: creds.salt });
      return {
        tenantId: 'default',
        trackingAccountId: accountId,
        source: 'kuaidi100',
        via: 'push',
        receivedAt: Date.now(),
        headers: {},
        body: p.body,
        bodySha256: createHash('sha256').update(p.body).digest('hex'),
        update,
      };
    };
    const good = parcels.map((p) => delivery(p.n));
    // A delivery the store cannot take (no body hash): its statement throws inside the batch.
    const broken = { ...delivery(number()), bodySha256: null as unknown as string };
    const isolatedBefore = s.hub.tracking.pushBatches?.isolatedReruns ?? 0;
    // Handed over in one turn of the event loop, so on SQLite they form one batch.
    const results = await Promise.allSettled([good[0], broken, good[1], good[2]].map((d) => s.hub.writes.recordTracking(d as TrackingDelivery)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    for (const r of results) if (r.status === 'fulfilled') expect(r.value.outcome).toBe('applied');
    for (const p of parcels) expect((await tracking(s, p.shipment.id)).shipment.trackingStatus).toBe('in_transit');
    if (backend.name === 'sqlite') expect(s.hub.tracking.pushBatches?.isolatedReruns).toBe(isolatedBefore + 1);
  });
});
