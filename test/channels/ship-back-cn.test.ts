// Ship-back (发货回传) to Taobao/Tmall and Pinduoduo over real HTTP on loopback: an order pulled in, routed, packed and
// shipped in the hub is sent with taobao.logistics.offline.send / pdd.logistics.online.send by the outbound worker —
// once, even when the platform's answer is lost, and not again when it refuses (its reason kept). Every request's
// signature is checked by the tests' own TOP and PDD signers, written from the platforms' formulas apart from the
// adapters and the simulators.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import type { PlatformSimulator, SimOrder, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { taobao, type TaobaoSignMethod } from '../../src/modules/channels/connectors/taobao/index.ts';
import { pinduoduo } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
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
/** A fresh PDD order_sn (yyMMdd-15 digits). */
const newSn = () => `261207-${String(Date.now()).slice(-10)}${String(++tidSeq).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

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

/** PDD's rule: every parameter but sign, sorted by name, k1v1…, wrapped in the client secret, MD5, upper hex. */
function ourPddSign(params: Record<string, string>, secret: string): string {
  const body = Object.entries(params)
    .filter(([k]) => k !== 'sign')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => k + v)
    .join('');
  return createHash('md5').update(secret + body + secret).digest('hex').toUpperCase();
}

/** A request's parameters: PDD's JSON body or TOP's form. */
function paramsOf(body: string): Record<string, string> {
  if (body.startsWith('{')) return Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(new URLSearchParams(body));
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

interface Recorded {
  url: string;
  params: Record<string, string>;
}

/** A fetch that records every TOP request's form parameters and passes it on. */
function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ url: String(input), params: paramsOf(typeof init?.body === 'string' ? init.body : '') });
    return fetch(input, init);
  };
}

/** Every recorded request carries a sign the tests' own signer agrees with (TOP's calls name a `method`, PDD's a `type`). */
function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) {
    const want = x.params.method === undefined ? ourPddSign(x.params, secret) : ourSign(x.params, secret, (x.params.sign_method ?? 'md5') as TaobaoSignMethod);
    expect(x.params.sign, x.params.method ?? x.params.type).toBe(want);
  }
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

describe('Pinduoduo ship-back requests, checked by the tests’ own PDD signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });
  const pdd = pinduoduo as ChannelAdapter<unknown>;
  const parcel = (platformOrderId: string, carrier = 'zto', trackingNo = 'ZT1234567890'): ShipBackParcel => ({ platformOrderId, carrier, trackingNo, shippedAt: Date.now(), lines: [], idempotencyKey: `ship_back:S1:${platformOrderId}` });

  it('reads the order, then sends it with online.send, MD5-signed; a tampered byte is refused; a repeat sends nothing', async () => {
    const sim = sims.mount('pdd-sig', pinduoduoSimulator, 'sig');
    const secret = (sim.credentials as { clientSecret: string }).clientSecret;
    const sn = newSn();
    sim.record(simOrder(sn, [['PA', 1]]), 'http://127.0.0.1:9/unused');
    const seen: Recorded[] = [];
    expect(await pdd.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(sn, 'sf', 'SF9000001'))).toMatchObject({ already: false, status: 200 });
    expect(seen.map((x) => x.params.type)).toEqual(['pdd.order.information.get', 'pdd.logistics.online.send']);
    expectSigned(seen, secret);
    expect(seen[1]?.params).toMatchObject({ order_sn: sn, logistics_id: '44', tracking_number: 'SF9000001' });
    expect(sim.shipmentsOf!(sn)).toEqual(['SF9000001']);

    const send = seen[1] as Recorded;
    const before = sim.stats.refusedSignature;
    const tampered = await fetch(send.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...send.params, sign: flip(send.params.sign ?? '', 5) }) });
    expect(((await tampered.json()) as { error_response?: { error_code?: number } }).error_response?.error_code).toBe(20004);
    expect(sim.stats.refusedSignature).toBe(before + 1);

    seen.length = 0;
    expect(await pdd.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(sn, 'sf', 'SF9000001'))).toMatchObject({ already: true });
    expect(seen.map((x) => x.params.type)).toEqual(['pdd.order.information.get']);
  });

  it('maps PDD errors: a business refusal refused with PDD’s reason, limits and 系统内部错误 retried; an unknown carrier refused before any request', async () => {
    const sim = sims.mount('pdd-err', pinduoduoSimulator, 'err');
    const call = (p: ShipBackParcel) => pdd.shipBack!({ credentials: sim.credentials, fetch, now: Date.now }, p);
    const sn = newSn();
    sim.record(simOrder(sn, [['PB', 1]]), 'http://127.0.0.1:9/unused');
    sim.failNextWrite!({ status: 400, code: 'order_refunding', message: '订单售后中，不能发货' });
    await expect(call(parcel(sn))).rejects.toMatchObject({ code: 'order_refunding', message: expect.stringContaining('订单售后中') as unknown, opts: { refused: true } });
    sim.throttleNext(1);
    await expect(call(parcel(sn))).rejects.toMatchObject({ code: '70031', opts: { retryAfterMs: 10_000 } });
    sim.failNextWrite!({ status: 500, applied: true, code: 'isp.service-busy' });
    await expect(call(parcel(sn))).rejects.toMatchObject({ code: 'isp.service-busy', opts: { refused: false } });
    expect(await call(parcel(sn))).toMatchObject({ already: true });
    expect(sim.shipmentsOf!(sn)).toEqual(['ZT1234567890']);
    const seen: Recorded[] = [];
    await expect(pdd.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(sn, 'pigeon-post'))).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen).toEqual([]);
  });
});

// ---- the whole flow in the hub -------------------------------------------------------------------------------

interface Platform {
  name: string;
  /** Ends the tracking numbers: the hub refuses one number on two parcels, and both shops share one hub. */
  tag: string;
  platform: string;
  factory: SimulatorFactory;
  adapter: ChannelAdapter<never>;
  secret: (sim: PlatformSimulator) => string;
  newId: () => string;
  /** The send's name and its fields (TOP: method/tid/out_sid/company_code; PDD: type/order_sn/tracking_number/logistics_id). */
  send: { name: string; id: string; tracking: string; carrier: string };
  /** The hub's `yunda` in the platform's words, and the raw status the next pull reads. */
  yunda: string;
  shippedStatus: string;
  lost: { code: string };
  refusal: { code: string; message: string };
}

const platforms: Platform[] = [
  {
    name: 'Taobao',
    tag: 'T',
    platform: 'taobao',
    factory: taobaoSimulator,
    adapter: taobao as ChannelAdapter<never>,
    secret: (sim) => (sim.credentials as { appSecret: string }).appSecret,
    newId: newTid,
    send: { name: 'taobao.logistics.offline.send', id: 'tid', tracking: 'out_sid', carrier: 'company_code' },
    yunda: 'YUNDA',
    shippedStatus: 'WAIT_BUYER_CONFIRM_GOODS',
    lost: { code: 'isp.remote-service-timeout' },
    refusal: { code: 'isv.logistics-offline-service-error-B150', message: '买家已申请退款，不能发货' },
  },
  {
    name: 'Pinduoduo',
    tag: 'P',
    platform: 'pinduoduo',
    factory: pinduoduoSimulator,
    adapter: pinduoduo as ChannelAdapter<never>,
    secret: (sim) => (sim.credentials as { clientSecret: string }).clientSecret,
    newId: newSn,
    send: { name: 'pdd.logistics.online.send', id: 'order_sn', tracking: 'tracking_number', carrier: 'logistics_id' },
    yunda: '121',
    shippedStatus: '2/1',
    lost: { code: 'isp.service-busy' },
    refusal: { code: 'order_refunding', message: '订单售后中，不能发货' },
  },
];

describe.each(httpBackends)('ship-back to Taobao and Pinduoduo from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let wh: string;
  const seen: Recorded[] = [];
  const shops = new Map<string, { sim: PlatformSimulator; account: string }>();

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    for (const p of platforms) {
      const sim = sims.mount(p.platform, p.factory, `flow-${backend.name}`);
      // Recorded where the platform receives them: on the writer thread the hub's fetch is out of the test's reach.
      const handle = sim.handle.bind(sim);
      sim.handle = (req) => {
        seen.push({ url: req.path, params: paramsOf(req.body.toString('utf8')) });
        return handle(req);
      };
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: p.platform, name: `${p.name} shop`, credentials: sim.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      shops.set(p.platform, { sim, account: a.body.id });
    }
    wh = uniq('CN');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function settled(account: string, platformOrderId: string, states: string[]): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length && mine.every((x) => states.includes(x.state))) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-back of ${platformOrderId} did not reach ${states.join('/')}`);
  }

  /** The order pulled into the hub, routed, packed by scanning and shipped with this tracking number. */
  async function shipInHub(p: Platform, o: SimOrder, carrier: string, trackingNo: string) {
    const shop = shops.get(p.platform)!;
    for (const l of o.lines) await setStock(s, l.sku, 50, wh);
    shop.sim.record(o, 'http://127.0.0.1:9/unused');
    // PDD pulls at most 30 minutes at once.
    await pullIntoHub(s, p.adapter, shop.account, Date.now() - 600_000, Date.now() + 60_000);
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

  const sends = (p: Platform, id: string) => seen.filter((x) => (x.params.method ?? x.params.type) === p.send.name && x.params[p.send.id] === id);

  describe.each(platforms)('$name', (p) => {
    it('sends a shipped order once: shipped on the platform with our tracking number and carrier code, one done call', async () => {
      const { sim, account } = shops.get(p.platform)!;
      const id = p.newId();
      const orderId = await shipInHub(p, simOrder(id, [[uniq('CNS'), 2]]), 'yunda', `YD4101000001${p.tag}`);
      const [call] = await settled(account, id, ['done']);
      expect(call).toMatchObject({ kind: 'ship_back', orderId, state: 'done', attempts: 1, lastStatus: 200, carrier: 'yunda', trackingNo: `YD4101000001${p.tag}`, lastError: null });
      expect(sim.shipmentsOf!(id)).toEqual([`YD4101000001${p.tag}`]);
      expect(sends(p, id).map((x) => [x.params[p.send.tracking], x.params[p.send.carrier]])).toEqual([[`YD4101000001${p.tag}`, p.yunda]]);
      expectSigned(seen.filter((x) => (x.params.method === undefined ? 'pinduoduo' : 'taobao') === p.platform), p.secret(sim));
      // Closed loop: the next pull reads the order as sent.
      await pullIntoHub(s, p.adapter, account, Date.now() - 600_000, Date.now() + 60_000);
      const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
      expect((await s.api<{ platformStatus: string }>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body.platformStatus).toBe(p.shippedStatus);
    });

    it('retries a send whose answer was lost (after the platform applied it) and the platform keeps one shipment', async () => {
      const { sim, account } = shops.get(p.platform)!;
      sim.failNextWrite!({ status: 500, applied: true, code: p.lost.code });
      const id = p.newId();
      await shipInHub(p, simOrder(id, [[uniq('CNS'), 1]]), 'sf', `SF4102000001${p.tag}`);
      expect((await settled(account, id, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
      expect(sim.shipmentsOf!(id)).toEqual([`SF4102000001${p.tag}`]);
      expect(sends(p, id)).toHaveLength(1);

      // The gateway's 5xx page after applying: the same.
      sim.failNextWrite!({ status: 502, applied: true });
      const id2 = p.newId();
      await shipInHub(p, simOrder(id2, [[uniq('CNS'), 1]]), 'sto', `ST4102000002${p.tag}`);
      expect((await settled(account, id2, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
      expect(sends(p, id2)).toHaveLength(1);
    });

    it('keeps the platform’s refusal (the buyer asked for a refund) as refused with its reason, and does not retry it', async () => {
      const { sim, account } = shops.get(p.platform)!;
      sim.failNextWrite!({ status: 400, ...p.refusal });
      const id = p.newId();
      await shipInHub(p, simOrder(id, [[uniq('CNS'), 1]]), 'zto', `ZT4103000001${p.tag}`);
      const [call] = await settled(account, id, ['refused']);
      expect(call).toMatchObject({ state: 'refused', attempts: 1, lastCode: p.refusal.code });
      expect(call?.lastError).toContain(p.refusal.message);
      const before = sim.stats.calls;
      await new Promise((r) => setTimeout(r, 400));
      expect(sim.stats.calls).toBe(before);
      expect(sim.shipmentsOf!(id)).toEqual([]);
    });
  });
});
