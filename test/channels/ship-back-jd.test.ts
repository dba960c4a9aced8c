// Ship-back (发货回传) and seller remarks to JD over real HTTP on loopback: jingdong.pop.order.shipment after reading the
// order (jingdong.pop.order.get), jingdong.pop.order.modifyVenderRemark. Every request's signature is checked by the
// test's own JOS signer, written from JD's formula apart from the adapter and the simulator: a correct call accepted,
// a tampered byte refused. In the hub: shipped once, even when JD's answer is lost; refused with JD's reason.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { jd } from '../../src/modules/channels/connectors/jd/index.ts';
import type { ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';

const adapter = jd as ChannelAdapter<unknown>;
const receiver = { name: '张三', phone: '13812341234', province: '北京', city: '北京市', district: '朝阳区', address: '建国路 1 号' };
let seq = 0;
/** A fresh JD orderId (digits; unique across runs sharing a database). */
const newId = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;

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
    buyer: { id: '888', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the test's own JOS signer: UPPER(hex(MD5(secret + k1v1k2v2… + secret))), all but sign, sorted, empty left out --
function ourJdSign(params: Record<string, string>, secret: string): string {
  const body = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort()
    .map((k) => `${k}${params[k]}`)
    .join('');
  return createHash('md5').update(`${secret}${body}${secret}`, 'utf8').digest('hex').toUpperCase();
}

interface Recorded {
  url: string;
  /** The query's system parameters and the form body's 360buy_param_json, together (what JD signs). */
  params: Record<string, string>;
}

const paramsOf = (query: string, body: string): Record<string, string> => ({ ...Object.fromEntries(new URLSearchParams(query)), ...Object.fromEntries(new URLSearchParams(body)) });

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    const u = new URL(String(input));
    out.push({ url: String(input), params: paramsOf(u.search, typeof init?.body === 'string' ? init.body : '') });
    return fetch(input, init);
  };
}

function expectSigned(seen: Recorded[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.params.sign, x.params.method).toBe(ourJdSign(x.params, secret));
}

const business = (r: Recorded) => JSON.parse(r.params['360buy_param_json'] ?? '{}') as Record<string, string>;
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

/** Sends a recorded call again with one byte of its business JSON changed but the old sign: JOS says 12 无效签名. */
async function tampered(r: Recorded): Promise<string> {
  const u = new URL(r.url);
  const body = new URLSearchParams({ '360buy_param_json': flip(r.params['360buy_param_json'] ?? '', 3) }).toString();
  const res = await fetch(u, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, body });
  return String(((await res.json()) as { error_response?: { code?: string } }).error_response?.code);
}

const parcel = (platformOrderId: string, carrier = 'sf', trackingNo = 'SF1234567890'): ShipBackParcel => ({ platformOrderId, carrier, trackingNo, shippedAt: Date.now(), lines: [], idempotencyKey: `ship_back:S1:${platformOrderId}` });

describe('JD ship-back and remark requests, checked by the test’s own JOS signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('reads the order, then ships it with pop.order.shipment (logiCoprId from the dictionary), signed; a tampered byte is refused; a repeat sends nothing', async () => {
    const sim = sims.mount('jd-sig', jdSimulator, 'sig');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const id = newId();
    sim.record(simOrder(id, [['JA', 1]]), '');
    const seen: Recorded[] = [];
    expect(await adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, 'zto', 'ZT9000001'))).toMatchObject({ already: false, status: 200 });
    expect(seen.map((x) => x.params.method)).toEqual(['jingdong.pop.order.get', 'jingdong.pop.order.shipment']);
    expectSigned(seen, secret);
    expect(business(seen[1] as Recorded)).toEqual({ orderId: id, logiCoprId: '1499', logiNo: 'ZT9000001' });
    expect(sim.shipmentsOf!(id)).toEqual(['ZT9000001']);

    const before = sim.stats.refusedSignature;
    expect(await tampered(seen[1] as Recorded)).toBe('12');
    expect(sim.stats.refusedSignature).toBe(before + 1);
    expect(sim.shipmentsOf!(id)).toEqual(['ZT9000001']);

    seen.length = 0;
    expect(await adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, 'zto', 'ZT9000001'))).toMatchObject({ already: true });
    expect(seen.map((x) => x.params.method)).toEqual(['jingdong.pop.order.get']);
    expectSigned(seen, secret);
  });

  it('reads JD’s answers: a business refusal refused with JD’s reason, App Call Limited and a lost answer retried, an unknown carrier refused before any request', async () => {
    const sim = sims.mount('jd-err', jdSimulator, 'err');
    const call = (p: ShipBackParcel) => adapter.shipBack!({ credentials: sim.credentials, fetch, now: Date.now }, p);
    const id = newId();
    sim.record(simOrder(id, [['JB', 1]]), '');

    sim.failNextWrite!({ status: 400, code: 'order is locked', message: '订单已锁定，不能出库' });
    await expect(call(parcel(id))).rejects.toMatchObject({ code: 'order is locked', message: expect.stringContaining('订单已锁定') as unknown, opts: { refused: true } });
    sim.throttleNext(1);
    await expect(call(parcel(id))).rejects.toMatchObject({ code: '2', opts: { retryAfterMs: 60_000 } });
    sim.failNextWrite!({ status: 502, applied: true });
    await expect(call(parcel(id))).rejects.toMatchObject({ code: 'HTTP_502', opts: { refused: false } });
    // JD applied it behind the lost answer: the retry finds our number and sends nothing.
    expect(await call(parcel(id))).toMatchObject({ already: true });
    expect(sim.shipmentsOf!(id)).toEqual(['SF1234567890']);
    // Another number for an order JD has as shipped: refused with what JD holds, not sent.
    await expect(call(parcel(id, 'sf', 'SF999'))).rejects.toMatchObject({ code: 'ALREADY_SHIPPED', message: expect.stringContaining('SF1234567890') as unknown, opts: { refused: true } });

    const seen: Recorded[] = [];
    await expect(adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel(id, 'pigeon-post'))).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    await expect(adapter.shipBack!({ credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now }, parcel('JD-12', 'sf'))).rejects.toMatchObject({ code: 'ORDER_ID_INVALID', opts: { refused: true } });
    expect(seen).toEqual([]);
    // A wrong secret: the gateway's 12, refused (resending cannot help).
    await expect(adapter.shipBack!({ credentials: { ...sim.credentials, appSecret: 'wrong' }, fetch, now: Date.now }, parcel(id))).rejects.toMatchObject({ code: '12', opts: { refused: true } });
  });

  it('writes the seller remark and flag with modifyVenderRemark, signed; the simulator keeps them; a tampered byte and a bad flag are refused', async () => {
    const sim = sims.mount('jd-remark', jdSimulator, 'remark');
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const id = newId();
    sim.record(simOrder(id, [['JR', 1]]), '');
    const seen: Recorded[] = [];
    const ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    expect(await adapter.setRemark!(ctx, { platformOrderId: id, text: '顾客要求周末送达', flag: 1 })).toMatchObject({ status: 200 });
    expect(sim.remarkOf!(id)).toEqual({ text: '顾客要求周末送达', flag: 1 });
    expect(seen.map((x) => x.params.method)).toEqual(['jingdong.pop.order.modifyVenderRemark']);
    expect(business(seen[0] as Recorded)).toEqual({ order_id: id, remark: '顾客要求周末送达', flag: '1' });
    expectSigned(seen, secret);
    expect(await tampered(seen[0] as Recorded)).toBe('12');
    // The remark replaces the last one (a retry writes the same again); no flag is JD's 0.
    await adapter.setRemark!(ctx, { platformOrderId: id, text: '改为工作日', flag: null });
    expect(sim.remarkOf!(id)).toEqual({ text: '改为工作日', flag: 0 });
    seen.length = 0;
    await expect(adapter.setRemark!(ctx, { platformOrderId: id, text: 'x', flag: 9 })).rejects.toMatchObject({ code: 'FLAG_INVALID', opts: { refused: true } });
    expect(seen).toEqual([]);
    await expect(adapter.setRemark!(ctx, { platformOrderId: newId(), text: 'x', flag: 1 })).rejects.toMatchObject({ message: expect.stringContaining('订单不存在') as unknown, opts: { refused: true } });
  });
});

interface OutboundItem {
  platformOrderId: string;
  orderId: string | null;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastCode: string | null;
  lastError: string | null;
  trackingNo: string | null;
  carrier: string | null;
}

describe.each(httpBackends)('ship-back to JD from the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let account: string;
  let wh: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('jd', jdSimulator, `flow-${backend.name}`);
    // Recorded where JD receives them: on the writer thread the hub's fetch is out of the test's reach.
    const handle = sim.handle.bind(sim);
    sim.handle = (req) => {
      seen.push({ url: req.path, params: paramsOf(req.query.toString(), req.body.toString('utf8')) });
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'jd', name: 'JD shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    wh = uniq('JDW');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function settled(platformOrderId: string, states: string[]): Promise<OutboundItem[]> {
    for (let i = 0; i < 400; i++) {
      const mine = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId);
      if (mine.length && mine.every((x) => states.includes(x.state))) return mine;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the ship-back of ${platformOrderId} did not reach ${states.join('/')}`);
  }

  async function shipInHub(o: SimOrder, carrier: string, trackingNo: string): Promise<string> {
    for (const l of o.lines) await setStock(s, l.sku, 50, wh);
    sim.record(o, '');
    await pullIntoHub(s, jd as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
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

  const shipments = (id: string) => seen.filter((x) => x.params.method === 'jingdong.pop.order.shipment' && business(x).orderId === id);

  it('ships a single parcel once: shipped on JD with our number and JD’s carrier id; the next pull reads it as shipped', async () => {
    const id = newId();
    const orderId = await shipInHub(simOrder(id, [[uniq('JDS'), 2]]), 'yunda', 'YD5101000001J');
    const [call] = await settled(id, ['done']);
    expect(call).toMatchObject({ orderId, state: 'done', attempts: 1, lastStatus: 200, carrier: 'yunda', trackingNo: 'YD5101000001J', lastError: null });
    expect(sim.shipmentsOf!(id)).toEqual(['YD5101000001J']);
    expect(shipments(id).map((x) => [business(x).logiNo, business(x).logiCoprId])).toEqual([['YD5101000001J', '1327']]);
    expectSigned(seen, (sim.credentials as { appSecret: string }).appSecret);
    await pullIntoHub(s, jd as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    expect((await s.api<{ platformStatus: string; status: string }>('GET', `/api/orders/${found.body.items[0]?.orderNo}`)).body).toMatchObject({ platformStatus: 'WAIT_GOODS_RECEIVE_CONFIRM', status: 'shipped' });
  });

  it('retries a shipment whose answer was lost after JD applied it (a 5xx): JD keeps one shipment, one shipment call', async () => {
    sim.failNextWrite!({ status: 502, applied: true });
    const id = newId();
    await shipInHub(simOrder(id, [[uniq('JDS'), 1]]), 'sf', 'SF5102000001J');
    expect((await settled(id, ['done']))[0]).toMatchObject({ state: 'done', attempts: 2 });
    expect(sim.shipmentsOf!(id)).toEqual(['SF5102000001J']);
    expect(shipments(id)).toHaveLength(1);
  });

  it('keeps JD’s refusal as refused with JD’s reason and does not retry it', async () => {
    sim.failNextWrite!({ status: 400, code: 'order is locked', message: '订单已锁定，不能出库' });
    const id = newId();
    await shipInHub(simOrder(id, [[uniq('JDS'), 1]]), 'zto', 'ZT5103000001J');
    const [call] = await settled(id, ['refused']);
    expect(call).toMatchObject({ state: 'refused', attempts: 1, lastCode: 'order is locked' });
    expect(call?.lastError).toContain('订单已锁定');
    expect(sim.shipmentsOf!(id)).toEqual([]);
    // Not retried: the next outbound passes leave it (each pass is 50 ms; wait for several to have run).
    const calls = shipments(id).length;
    const passes = sim.stats.calls;
    const probe = newId();
    await shipInHub(simOrder(probe, [[uniq('JDS'), 1]]), 'zto', 'ZT5103000002J');
    await settled(probe, ['done']);
    expect(sim.stats.calls).toBeGreaterThan(passes);
    expect(shipments(id)).toHaveLength(calls);
  });
});
