// Split and merged parcels shipped back to Taobao/Tmall, and a number corrected: an order routed to two warehouses
// leaves in two parcels, each sent with taobao.logistics.offline.send is_split=1 and sub_tid = the oids it carries; the
// trade is 卖家部分发货 (SELLER_CONSIGNED_PART) after the first and 卖家已发货 only after both. One parcel carrying two
// trades is one send per trade. A wrong number is corrected with taobao.logistics.consign.resend. Every request is
// checked by the test's own TOP signer (written from TOP's formula, apart from the adapter and the simulator).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, rules, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { taobao } from '../../src/modules/channels/connectors/taobao/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';
import { ourTopSign } from '../support/platform-signers.ts';

const adapter = taobao as ChannelAdapter<unknown>;
const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
let seq = 0;
const newTid = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, lines: [string, number][], buyer = '777'): SimOrder {
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
    buyer: { id: buyer, name: '张三', phone: '13812341234' },
    receiver,
  };
}

interface Recorded {
  url: string;
  params: Record<string, string>;
}

function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.params.sign, x.params.method).toBe(ourTopSign(x.params, secret));
}

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ url: String(input), params: Object.fromEntries(new URLSearchParams(typeof init?.body === 'string' ? init.body : '')) });
    return fetch(input, init);
  };
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);
const oidsOf = (tid: string, n: number) => Array.from({ length: n }, (_, i) => (BigInt(tid) + BigInt(i + 1)).toString());

/** The trade as the simulated TOP shows it now (status and each sub-order's number), read with a signed fullinfo call. */
async function tradeOf(sim: PlatformSimulator, tid: string): Promise<{ status: string; orders: { oid: string; invoice: string | null; status: string }[] }> {
  const c = sim.credentials as { appKey: string; appSecret: string; session: string };
  const two = (n: number) => String(n).padStart(2, '0');
  const d = new Date(Date.now() + 8 * 3_600_000);
  const timestamp = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
  const params: Record<string, string> = { method: 'taobao.trade.fullinfo.get', app_key: c.appKey, session: c.session, timestamp, format: 'json', v: '2.0', sign_method: 'md5', tid, fields: 'tid,status,orders' };
  params.sign = ourTopSign(params, c.appSecret);
  const res = await fetch(`${String((sim.credentials as { apiBase: string }).apiBase)}/router/rest`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
  // Strings kept as they are; bare numbers too long for a double (tid, oid) quoted before parsing.
  const text = (await res.text()).replace(/"(?:[^"\\]|\\.)*"|\d{16,}/g, (m) => (m.startsWith('"') ? m : `"${m}"`));
  const t = (JSON.parse(text) as { trade_fullinfo_get_response: { trade: { status: string; orders: { order: { oid_str: string; invoice_no?: string; status: string }[] } } } }).trade_fullinfo_get_response.trade;
  return { status: t.status, orders: t.orders.order.map((o) => ({ oid: o.oid_str, invoice: o.invoice_no ?? null, status: o.status })) };
}

describe('Taobao split sends and a corrected number, checked by the test’s own TOP signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });
  const parcel = (tid: string, oids: string[], trackingNo: string, over: Partial<ShipBackParcel> = {}): ShipBackParcel => ({
    platformOrderId: tid,
    carrier: 'zto',
    trackingNo,
    shippedAt: Date.now(),
    lines: oids.map((oid) => ({ sku: `S-${oid}`, quantity: 1, platformLineId: oid })),
    partial: true,
    idempotencyKey: `ship_back:${trackingNo}:${tid}`,
    ...over,
  });

  it('sends each part with is_split and its sub_tid, the trade sent only after the last; corrects a number with consign.resend; tampered bytes refused', async () => {
    const sim = sims.mount('tb-split', taobaoSimulator, 'split');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const tid = newTid();
    const [o1, o2] = oidsOf(tid, 2) as [string, string];
    sim.record(simOrder(tid, [['SA', 1], ['SB', 1]]), '');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };

    expect(await adapter.shipBack!(ctx, parcel(tid, [o1], 'ZT600001'))).toMatchObject({ already: false });
    expect(seen.at(-1)?.params).toMatchObject({ method: 'taobao.logistics.offline.send', tid, out_sid: 'ZT600001', company_code: 'ZTO', is_split: '1', sub_tid: o1 });
    expect(await tradeOf(sim, tid)).toEqual({ status: 'SELLER_CONSIGNED_PART', orders: [{ oid: o1, invoice: 'ZT600001', status: 'WAIT_BUYER_CONFIRM_GOODS' }, { oid: o2, invoice: null, status: 'WAIT_SELLER_SEND_GOODS' }] });
    // The same part again (a retry after a lost answer): read, nothing sent.
    const before = seen.length;
    expect(await adapter.shipBack!(ctx, parcel(tid, [o1], 'ZT600001'))).toMatchObject({ already: true });
    expect(seen.slice(before).map((x) => x.params.method)).toEqual(['taobao.trade.fullinfo.get']);

    expect(await adapter.shipBack!(ctx, parcel(tid, [o2], 'ZT600002'))).toMatchObject({ already: false });
    expect(seen.at(-1)?.params).toMatchObject({ method: 'taobao.logistics.offline.send', is_split: '1', sub_tid: o2, out_sid: 'ZT600002' });
    expect((await tradeOf(sim, tid)).status).toBe('WAIT_BUYER_CONFIRM_GOODS');
    expect(sim.shipmentsOf!(tid)).toEqual(['ZT600001', 'ZT600002']);

    // The second parcel's number was wrong: consign.resend for its oid only.
    expect(await adapter.shipBack!(ctx, parcel(tid, [o2], 'ZT600009', { replacesTrackingNo: 'ZT600002' }))).toMatchObject({ already: false });
    expect(seen.at(-1)?.params).toMatchObject({ method: 'taobao.logistics.consign.resend', tid, out_sid: 'ZT600009', company_code: 'ZTO', is_split: '1', sub_tid: o2 });
    expect((await tradeOf(sim, tid)).orders.map((o) => o.invoice)).toEqual(['ZT600001', 'ZT600009']);
    expect(await adapter.shipBack!(ctx, parcel(tid, [o2], 'ZT600009', { replacesTrackingNo: 'ZT600002' }))).toMatchObject({ already: true });
    // Nothing holds the number to correct: refused before any write.
    await expect(adapter.shipBack!(ctx, parcel(tid, [o1], 'ZT600010', { replacesTrackingNo: 'NOPE' }))).rejects.toMatchObject({ code: 'NOTHING_TO_CORRECT', opts: { refused: true } });
    // A sub-order already out cannot be named again; one not in the trade is refused.
    await expect(adapter.shipBack!(ctx, parcel(tid, [o1], 'ZT600011'))).rejects.toMatchObject({ code: 'LINES_ALREADY_SENT', opts: { refused: true } });
    await expect(adapter.shipBack!(ctx, parcel(tid, ['1'], 'ZT600012'))).rejects.toMatchObject({ code: 'LINE_NOT_IN_TRADE', opts: { refused: true } });
    expectSigned(seen, secret);

    // The split send and the resend with one byte changed after signing: TOP's code 25.
    for (const m of ['taobao.logistics.offline.send', 'taobao.logistics.consign.resend']) {
      const r = seen.filter((x) => x.params.method === m).at(-1) as Recorded;
      const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...r.params, out_sid: flip(r.params.out_sid ?? '', 2) }).toString() });
      expect(((await res.json()) as { error_response?: { code?: number } }).error_response?.code, m).toBe(25);
    }
    expect(sim.shipmentsOf!(tid)).toEqual(['ZT600001', 'ZT600009']);
  });
});

interface OutboundItem {
  platformOrderId: string;
  orderId: string | null;
  state: string;
  attempts: number;
  trackingNo: string | null;
  lastError: string | null;
}

describe.each(httpBackends)('split and merged parcels to Taobao from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let account: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('taobao', taobaoSimulator, `split-${backend.name}`);
    const handle = sim.handle.bind(sim);
    sim.handle = (req) => {
      seen.push({ url: req.path, params: Object.fromEntries(new URLSearchParams(req.body.toString('utf8'))) });
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'Taobao shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function settled(platformOrderId: string, count: number): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length === count && mine.every((x) => x.state === 'done' || x.state === 'refused' || x.state === 'failed')) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-backs of ${platformOrderId} did not settle`);
  }

  async function pulledOrder(tid: string): Promise<string> {
    await pullIntoHub(s, taobao as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${tid}`);
    const id = found.body.items[0]?.id as string;
    expect(id, JSON.stringify(found.body)).toBeTruthy();
    return id;
  }

  async function packAndShip(sh: ShipmentBody, trackingNo: string): Promise<void> {
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier: 'zto', trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
  }

  const sendsOf = (tid: string) => seen.filter((x) => x.params.method === 'taobao.logistics.offline.send' && x.params.tid === tid);

  it('ships an order split over two warehouses as two split sends, each with its own oids; the trade is sent only after both', async () => {
    const [w1, w2] = [uniq('TS1'), uniq('TS2')];
    await warehouse(s, w1, { priority: 1, regions: ['*'] });
    await warehouse(s, w2, { priority: 2, regions: ['*'] });
    const [a, b] = [uniq('SPA'), uniq('SPB')];
    await setStock(s, a, 10, w1);
    await setStock(s, b, 10, w2);
    await rules(s, [{ kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);
    const tid = newTid();
    const [oa, ob] = oidsOf(tid, 2) as [string, string];
    sim.record(simOrder(tid, [[a, 1], [b, 2]]), '');
    const id = await pulledOrder(tid);
    await route(s, [id]);
    const parcels = (await order(s, id)).shipments;
    expect(parcels.map((p) => p.warehouse).sort()).toEqual([w1, w2].sort());
    const pa = parcels.find((p) => p.warehouse === w1) as ShipmentBody;
    const pb = parcels.find((p) => p.warehouse === w2) as ShipmentBody;

    await packAndShip(pa, `ZT${tid.slice(-9)}A`);
    await settled(tid, 1);
    expect(sendsOf(tid).map((x) => [x.params.out_sid, x.params.is_split, x.params.sub_tid])).toEqual([[`ZT${tid.slice(-9)}A`, '1', oa]]);
    expect((await tradeOf(sim, tid)).status).toBe('SELLER_CONSIGNED_PART');
    expect((await order(s, id)).fulfilmentStatus).toBe('partially_shipped');

    await packAndShip(pb, `ZT${tid.slice(-9)}B`);
    const calls = await settled(tid, 2);
    expect(calls.map((c) => c.state)).toEqual(['done', 'done']);
    expect(sendsOf(tid).map((x) => [x.params.out_sid, x.params.is_split, x.params.sub_tid])).toEqual([
      [`ZT${tid.slice(-9)}A`, '1', oa],
      [`ZT${tid.slice(-9)}B`, '1', ob],
    ]);
    expect(await tradeOf(sim, tid)).toMatchObject({ status: 'WAIT_BUYER_CONFIRM_GOODS' });
    expect(sim.shipmentsOf!(tid)).toEqual([`ZT${tid.slice(-9)}A`, `ZT${tid.slice(-9)}B`]);
    expectSigned(sendsOf(tid), (sim.credentials as { appSecret: string }).appSecret);
    // Closed loop: the next pull reads the trade as sent, and the order is shipped in the hub.
    await pulledOrder(tid);
    expect((await order(s, id)).status).toBe('shipped');
  });

  it('ships one parcel carrying two trades of one buyer as one whole send per trade, same number', async () => {
    const w = uniq('TM');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    const [a, b] = [uniq('MGA'), uniq('MGB')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    await rules(s, [{ kind: 'merge_related', windowMinutes: 60, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);
    const buyer = uniq('b');
    const [t1, t2] = [newTid(), newTid()];
    sim.record(simOrder(t1, [[a, 1]], buyer), '');
    sim.record(simOrder(t2, [[b, 2]], buyer), '');
    const id1 = await pulledOrder(t1);
    const id2 = await pulledOrder(t2);
    await route(s, [id1, id2]);
    const v = await order(s, id1);
    expect(v.shipments).toHaveLength(1);
    expect(v.shipments[0]?.orderIds.sort()).toEqual([id1, id2].sort());
    const no = `ZT${t1.slice(-9)}M`;
    await packAndShip(v.shipments[0] as ShipmentBody, no);
    for (const [tid, id] of [[t1, id1], [t2, id2]] as const) {
      expect((await settled(tid, 1))[0]).toMatchObject({ orderId: id, state: 'done', trackingNo: no });
      expect(sendsOf(tid).map((x) => [x.params.out_sid, x.params.is_split ?? null, x.params.sub_tid ?? null])).toEqual([[no, null, null]]);
      expect(sim.shipmentsOf!(tid)).toEqual([no]);
      expect((await tradeOf(sim, tid)).status).toBe('WAIT_BUYER_CONFIRM_GOODS');
    }
  });
});
