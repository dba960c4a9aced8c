// Ship-back (发货回传) to Taobao/Tmall over real HTTP on loopback: a trade pulled in, routed, packed and shipped in
// the hub is sent with taobao.logistics.offline.send by the outbound worker — once, even when TOP's answer is lost,
// and not again when TOP refuses (its reason kept). Every request's TOP signature is checked by the tests' own signer,
// written from TOP's formulas apart from the adapter and the simulator.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { taobao, type TaobaoSignMethod } from '../../src/modules/channels/connectors/taobao/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';

interface OutboundItem {
  id: number;
  kind: string;
  orderId: string | null;
  platformOrderId: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastCode: string | null;
  lastError: string | null;
  trackingNo: string | null;
  carrier: string | null;
}

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };

/** A fresh 19-digit tid, as Taobao's are (unique across runs sharing a database). */
let tidSeq = 0;
const newTid = () => `${Date.now()}${String(++tidSeq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

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
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the tests' own TOP signer (as in taobao.test.ts) ------------------------------------------------------------

function ourSign(params: Record<string, string>, secret: string, method: TaobaoSignMethod): string {
  let s = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k]) s += k + params[k];
  const d =
    method === 'md5'
      ? createHash('md5').update(secret + s + secret).digest('hex')
      : createHmac(method === 'hmac' ? 'md5' : 'sha256', secret).update(s).digest('hex');
  return d.toUpperCase();
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

interface Recorded {
  url: string;
  params: Record<string, string>;
}

/** A fetch that records every TOP request's form parameters and passes it on. */
function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ url: String(input), params: Object.fromEntries(new URLSearchParams(typeof init?.body === 'string' ? init.body : '')) });
    return fetch(input, init);
  };
}

/** Every recorded request carries a sign the tests' own signer agrees with. */
function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.params.sign, x.params.method).toBe(ourSign(x.params, secret, (x.params.sign_method ?? 'md5') as TaobaoSignMethod));
}

const adapter = taobao as ChannelAdapter<unknown>;

// ---- the connector against the simulator, requests checked ------------------------------------------------------

describe('Taobao ship-back requests, checked by the tests’ own TOP signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  const parcel = (platformOrderId: string, carrier = 'sf', trackingNo = 'SF1234567890'): ShipBackParcel => ({
    platformOrderId,
    carrier,
    trackingNo,
    shippedAt: Date.now(),
    lines: [],
    idempotencyKey: `ship_back:S1:${platformOrderId}`,
  });

  it.each(['md5', 'hmac', 'hmac-sha256'] as const)('reads the trade, then sends it with offline.send, signed (%s); a tampered byte is refused', async (signMethod) => {
    const sim = sims.mount(`tb-sig-${signMethod}`, taobaoSimulator, `sig-${signMethod}`);
    const credentials = { ...sim.credentials, signMethod };
    const c = sim.credentials as { appSecret: string };
    const tid = newTid();
    sim.record(simOrder(tid, [['TA', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    const r = await adapter.shipBack!({ credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(tid, 'zto', 'ZT9000001'));
    expect(r).toMatchObject({ already: false, status: 200 });
    expect(seen.map((x) => x.params.method)).toEqual(['taobao.trade.fullinfo.get', 'taobao.logistics.offline.send']);
    expectSigned(seen, c.appSecret);
    expect(seen[1]?.params).toMatchObject({ tid, out_sid: 'ZT9000001', company_code: 'ZTO', sign_method: signMethod });
    expect(sim.shipmentsOf!(tid)).toEqual(['ZT9000001']);

    // The same send with one byte of its sign changed: TOP refuses it (code 25) and the simulator counts it.
    const send = seen[1] as Recorded;
    const before = sim.stats.refusedSignature;
    const tampered = await fetch(send.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...send.params, sign: flip(send.params.sign ?? '', 3) }).toString() });
    expect(((await tampered.json()) as { error_response?: { code?: number } }).error_response?.code).toBe(25);
    expect(sim.stats.refusedSignature).toBe(before + 1);

    // Again (a retry after a lost answer): TOP has the trade sent with our number, nothing is sent.
    seen.length = 0;
    expect(await adapter.shipBack!({ credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(tid, 'zto', 'ZT9000001'))).toMatchObject({ already: true });
    expect(seen.map((x) => x.params.method)).toEqual(['taobao.trade.fullinfo.get']);
    expectSigned(seen, c.appSecret);
  });

  it('maps TOP errors: isv.* refused with TOP’s reason, isp.* and call limits retried; an unknown carrier refused before any request', async () => {
    const sim = sims.mount('tb-err', taobaoSimulator, 'err');
    const call = (p: ShipBackParcel) => adapter.shipBack!({ credentials: sim.credentials, fetch, now: Date.now }, p);
    const tid = newTid();
    sim.record(simOrder(tid, [['TB', 1]]), 'http://127.0.0.1:9/unused');

    sim.failNextWrite!({ status: 400, code: 'isv.logistics-offline-service-error-B150', message: '买家已申请退款，不能发货' });
    await expect(call(parcel(tid))).rejects.toMatchObject({ code: 'isv.logistics-offline-service-error-B150', message: expect.stringContaining('买家已申请退款') as unknown, opts: { refused: true } });

    sim.throttleNext(1);
    await expect(call(parcel(tid))).rejects.toMatchObject({ code: 'accesscontrol.limited-by-app-access-count', opts: { retryAfterMs: 1000 } });

    sim.failNextWrite!({ status: 500, applied: true, code: 'isp.remote-service-timeout' });
    await expect(call(parcel(tid))).rejects.toMatchObject({ code: 'isp.remote-service-timeout', opts: { refused: false } });
    // The send was applied behind the lost answer: the retry finds it.
    expect(await call(parcel(tid))).toMatchObject({ already: true });
    expect(sim.shipmentsOf!(tid)).toEqual(['SF1234567890']);

    const seen: Recorded[] = [];
    await expect(adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(tid, 'pigeon-post'))).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen).toEqual([]);
  });
});

// ---- the whole flow in the hub -------------------------------------------------------------------------------

describe.each(httpBackends)('Taobao ship-back from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let tb: PlatformSimulator;
  let account: string;
  let wh: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    tb = sims.mount('tb', taobaoSimulator, `flow-${backend.name}`);
    // Recorded where TOP receives them: on the writer thread the hub's fetch is out of the test's reach.
    const handle = tb.handle.bind(tb);
    tb.handle = (req) => {
      seen.push({ url: req.path, params: Object.fromEntries(new URLSearchParams(req.body.toString('utf8'))) });
      return handle(req);
    };
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'Tmall shop', credentials: tb.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    wh = uniq('TB');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  const outbound = () => s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`);

  async function settled(platformOrderId: string, states: string[]): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await outbound()).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length && mine.every((x) => states.includes(x.state))) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-back of ${platformOrderId} did not reach ${states.join('/')}`);
  }

  /** The trade pulled into the hub, routed, packed by scanning and shipped with this tracking number. */
  async function shipInHub(o: SimOrder, carrier: string, trackingNo: string) {
    for (const l of o.lines) await setStock(s, l.sku, 50, wh);
    tb.record(o, 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, taobao as ChannelAdapter<never>, account, Date.now() - 3_600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${o.id}`);
    const id = found.body.items[0]?.id as string;
    expect(id, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [id]);
    const sh = (await order(s, id)).shipments[0] as ShipmentBody;
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/ship`, { carrier, trackingNo });
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    return id;
  }

  /** The trade as the hub sees it after pulling the window again. */
  async function pulledAgain(platformOrderId: string) {
    await pullIntoHub(s, taobao as ChannelAdapter<never>, account, Date.now() - 3_600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${platformOrderId}`);
    return (await s.api<{ platformStatus: string }>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body;
  }

  const sends = (tid: string) => seen.filter((x) => x.params.method === 'taobao.logistics.offline.send' && x.params.tid === tid);

  it('sends a shipped trade once: WAIT_BUYER_CONFIRM_GOODS with our tracking number and company code, one done call', async () => {
    const tid = newTid();
    const orderId = await shipInHub(simOrder(tid, [[uniq('TBS'), 2]]), 'yunda', 'YD4101000001');
    const [call] = await settled(tid, ['done']);
    expect(call).toMatchObject({ kind: 'ship_back', orderId, state: 'done', attempts: 1, lastStatus: 200, carrier: 'yunda', trackingNo: 'YD4101000001', lastError: null });
    expect(tb.shipmentsOf!(tid)).toEqual(['YD4101000001']);
    expect(sends(tid).map((x) => [x.params.out_sid, x.params.company_code])).toEqual([['YD4101000001', 'YUNDA']]);
    expectSigned(seen, (tb.credentials as { appSecret: string }).appSecret);
    // Closed loop: the next pull reads the trade as sent.
    expect((await pulledAgain(tid)).platformStatus).toBe('WAIT_BUYER_CONFIRM_GOODS');
  });

  it('retries a send whose answer was lost (isp.* after TOP applied it) and TOP keeps one shipment', async () => {
    tb.failNextWrite!({ status: 500, applied: true, code: 'isp.remote-service-timeout' });
    const tid = newTid();
    await shipInHub(simOrder(tid, [[uniq('TBS'), 1]]), 'sf', 'SF4102000001');
    const [call] = await settled(tid, ['done']);
    expect(call).toMatchObject({ state: 'done', attempts: 2 });
    expect(tb.shipmentsOf!(tid)).toEqual(['SF4102000001']);
    expect(sends(tid)).toHaveLength(1);

    // The gateway's 5xx page after applying: the same.
    tb.failNextWrite!({ status: 502, applied: true });
    const tid2 = newTid();
    await shipInHub(simOrder(tid2, [[uniq('TBS'), 1]]), 'sto', 'ST4102000002');
    expect((await settled(tid2, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(sends(tid2)).toHaveLength(1);
  });

  it('keeps TOP’s refusal (the buyer asked for a refund) as refused with TOP’s reason, and does not retry it', async () => {
    tb.failNextWrite!({ status: 400, code: 'isv.logistics-offline-service-error-B150', message: '买家已申请退款，不能发货' });
    const tid = newTid();
    await shipInHub(simOrder(tid, [[uniq('TBS'), 1]]), 'zto', 'ZT4103000001');
    const [call] = await settled(tid, ['refused']);
    expect(call).toMatchObject({ state: 'refused', attempts: 1, lastCode: 'isv.logistics-offline-service-error-B150' });
    expect(call?.lastError).toContain('买家已申请退款');
    const before = tb.stats.calls;
    await new Promise((r) => setTimeout(r, 400));
    expect(tb.stats.calls).toBe(before);
    expect(tb.shipmentsOf!(tid)).toEqual([]);
  });
});
