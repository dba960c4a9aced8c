// Pinduoduo: the second and later parcels of one order go with pdd.order.upload.extra.logistics (分包发货) after the
// first went with pdd.logistics.online.send; the seller's note and tag go with pdd.order.note.update. Every request is
// checked by the test's own PDD signer (MD5 over the sorted parameters wrapped in the client secret, from PDD's
// documentation, apart from the adapter and the simulator): a correct call accepted, a tampered byte refused.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, rules, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { pinduoduo } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';

const adapter = pinduoduo as ChannelAdapter<unknown>;
const receiver = { name: '张三', phone: '13812341234', province: '上海市', city: '上海市', district: '浦东新区', address: '世纪大道 1 号' };
let seq = 0;
const newSn = () => `261207-${String(Date.now()).slice(-10)}${String(++seq).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, lines: [string, number][]): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'CNY',
    lines: lines.map(([sku, quantity]) => ({ sku, title: sku, quantity, unitPrice: 1000, discount: 0 })),
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '999', name: '张三', phone: '13812341234' },
    receiver,
  };
}

/** PDD's rule: every parameter but sign, sorted by name, k1v1…, wrapped in the client secret, MD5, upper hex. */
function ourPddSign(params: Record<string, string>, secret: string): string {
  const body = Object.keys(params)
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  return createHash('md5').update(secret + body + secret, 'utf8').digest('hex').toUpperCase();
}

interface Recorded {
  url: string;
  params: Record<string, string>;
}

const paramsOf = (body: string): Record<string, string> =>
  body.startsWith('{') ? Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) : {};

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ url: String(input), params: paramsOf(typeof init?.body === 'string' ? init.body : '') });
    return fetch(input, init);
  };
}

function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.params.sign, x.params.type).toBe(ourPddSign(x.params, secret));
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

async function tamperedCode(r: Recorded, field: string): Promise<number | undefined> {
  const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...r.params, [field]: flip(r.params[field] ?? '', 2) }) });
  return ((await res.json()) as { error_response?: { error_code?: number } }).error_response?.error_code;
}

const parcel = (sn: string, carrier: string, trackingNo: string): ShipBackParcel => ({ platformOrderId: sn, carrier, trackingNo, shippedAt: Date.now(), lines: [], partial: true, idempotencyKey: `ship_back:${trackingNo}:${sn}` });

describe('PDD extra parcels and notes, checked by the test’s own PDD signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('sends the first parcel with online.send and the second with upload.extra.logistics; a repeat sends nothing; a tampered byte is refused', async () => {
    const sim = sims.mount('pdd-extra', pinduoduoSimulator, 'extra');
    const secret = (sim.credentials as { clientSecret: string }).clientSecret;
    const sn = newSn();
    sim.record(simOrder(sn, [['PX', 2]]), '');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    expect(await adapter.shipBack!(ctx, parcel(sn, 'zto', 'ZT7000001'))).toMatchObject({ already: false });
    expect(await adapter.shipBack!(ctx, parcel(sn, 'sf', 'SF7000002'))).toMatchObject({ already: false });
    expect(seen.map((x) => x.params.type)).toEqual(['pdd.order.information.get', 'pdd.logistics.online.send', 'pdd.order.information.get', 'pdd.order.upload.extra.logistics']);
    expect(seen[3]?.params).toMatchObject({ order_sn: sn, extra_track_type: '1' });
    expect(JSON.parse(seen[3]?.params.extra_track_list ?? '[]')).toEqual([{ shipping_id: 44, tracking_number: 'SF7000002' }]);
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT7000001', 'SF7000002']);
    expectSigned(seen, secret);
    expect(await tamperedCode(seen[3] as Recorded, 'extra_track_list')).toBe(20004);
    // Both again (a retry after a lost answer): each finds its number, nothing is sent.
    seen.length = 0;
    expect(await adapter.shipBack!(ctx, parcel(sn, 'zto', 'ZT7000001'))).toMatchObject({ already: true });
    expect(await adapter.shipBack!(ctx, parcel(sn, 'sf', 'SF7000002'))).toMatchObject({ already: true });
    expect(seen.map((x) => x.params.type)).toEqual(['pdd.order.information.get', 'pdd.order.information.get']);
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT7000001', 'SF7000002']);
  });

  it('writes the note and tag with note.update; the simulator keeps them; a tampered byte and a bad flag are refused', async () => {
    const sim = sims.mount('pdd-note', pinduoduoSimulator, 'note');
    const secret = (sim.credentials as { clientSecret: string }).clientSecret;
    const sn = newSn();
    sim.record(simOrder(sn, [['PN', 1]]), '');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    await adapter.setRemark!(ctx, { platformOrderId: sn, text: '顾客要求发顺丰', flag: 2 });
    expect(sim.remarkOf!(sn)).toEqual({ text: '顾客要求发顺丰', flag: 2 });
    expect(seen[0]?.params).toMatchObject({ type: 'pdd.order.note.update', order_sn: sn, note: '顾客要求发顺丰', tag: '2', tag_name: '黄' });
    expectSigned(seen, secret);
    expect(await tamperedCode(seen[0] as Recorded, 'note')).toBe(20004);
    await adapter.setRemark!(ctx, { platformOrderId: sn, text: '已改', flag: null });
    expect(sim.remarkOf!(sn)).toEqual({ text: '已改', flag: 0 });
    expect(seen[1]?.params.tag).toBeUndefined();
    seen.length = 0;
    await expect(adapter.setRemark!(ctx, { platformOrderId: sn, text: 'x', flag: 7 })).rejects.toMatchObject({ code: 'FLAG_INVALID', opts: { refused: true } });
    expect(seen).toEqual([]);
  });
});

interface OutboundItem {
  platformOrderId: string;
  state: string;
  trackingNo: string | null;
}

describe.each(httpBackends)('a PDD order in two parcels from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let account: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('pdd', pinduoduoSimulator, `extra-${backend.name}`);
    const handle = sim.handle.bind(sim);
    sim.handle = (req) => {
      seen.push({ url: req.path, params: paramsOf(req.body.toString('utf8')) });
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'pinduoduo', name: 'PDD shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function settled(sn: string, count: number): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === sn);
      if (mine.length === count && mine.every((x) => x.state !== 'pending' && x.state !== 'in_flight')) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-backs of ${sn} did not settle`);
  }

  async function packAndShip(sh: ShipmentBody, carrier: string, trackingNo: string): Promise<void> {
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  }

  it('sends the first parcel with online.send and the second with upload.extra.logistics; PDD holds both numbers', async () => {
    const [w1, w2] = [uniq('PD1'), uniq('PD2')];
    await warehouse(s, w1, { priority: 1, regions: ['*'] });
    await warehouse(s, w2, { priority: 2, regions: ['*'] });
    const [a, b] = [uniq('PXA'), uniq('PXB')];
    await setStock(s, a, 10, w1);
    await setStock(s, b, 10, w2);
    await rules(s, [{ kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);
    const sn = newSn();
    sim.record(simOrder(sn, [[a, 1], [b, 1]]), '');
    await pullIntoHub(s, pinduoduo as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${sn}`);
    const id = found.body.items[0]?.id as string;
    expect(id, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [id]);
    const parcels = (await order(s, id)).shipments;
    expect(parcels).toHaveLength(2);
    const tag = sn.slice(-6);
    await packAndShip(parcels.find((p) => p.warehouse === w1) as ShipmentBody, 'zto', `ZT${tag}A`);
    expect((await settled(sn, 1)).map((x) => x.state)).toEqual(['done']);
    await packAndShip(parcels.find((p) => p.warehouse === w2) as ShipmentBody, 'sf', `SF${tag}B`);
    expect((await settled(sn, 2)).map((x) => x.state)).toEqual(['done', 'done']);
    const writes = seen.filter((x) => x.params.order_sn === sn && x.params.type !== 'pdd.order.information.get');
    expect(writes.map((x) => x.params.type)).toEqual(['pdd.logistics.online.send', 'pdd.order.upload.extra.logistics']);
    expect(sim.shipmentsOf!(sn)).toEqual([`ZT${tag}A`, `SF${tag}B`]);
    expectSigned(writes, (sim.credentials as { clientSecret: string }).clientSecret);
  });
});
