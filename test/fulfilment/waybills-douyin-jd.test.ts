// Douyin (抖店电子面单) and JD (京东无界电子面单) e-waybills over real HTTP on loopback, against their simulators, on
// SQLite, the writer thread and PostgreSQL. Every request is re-signed by the test's own signers, written here from the
// platforms' documentation apart from the hub's clients and the simulators: Douyin's
// hex(HMAC-SHA256 or MD5 of app_secret + "app_key"… "method"… "param_json"… "timestamp"… "v"… + app_secret) and JOS's
// upper-hex MD5(secret + sorted k1v1… + secret). A request signed by the test is accepted, a tampered byte refused. In
// the hub: a pulled Douyin or JD order's parcel gets its number with the platform's ciphertexts (never the buyer in
// clear), the number reaches shipping, the ship-back and the label's barcode; the same parcel asked twice is one
// number; a number is given back; bad credentials are refused when the account is created; a refusal carries the
// platform's reason, a limit is retried.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { pullIntoHub } from '../support/channels.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { order, route, setStock, uniq, warehouse, type ErrorReply, type ShipmentBody } from './hub-support.ts';
import { decodeCode128, flip, pdfPages } from './waybill-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { douyinSimulator } from '../../src/sandbox/simulators/douyin.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import { douyinWaybillSimulator } from '../../src/sandbox/simulators/douyin-waybills.ts';
import { jdWaybillSimulator } from '../../src/sandbox/simulators/jd-waybills.ts';
import type { WaybillSimulator } from '../../src/sandbox/simulators/waybills.ts';
import type { PlatformSimulator, SimOrder, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { douyin } from '../../src/modules/channels/connectors/douyin/index.ts';
import { jd } from '../../src/modules/channels/connectors/jd/index.ts';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { douyinPackId, douyinWaybills } from '../../src/modules/fulfilment/waybills/douyin.ts';
import { jdWaybills } from '../../src/modules/fulfilment/waybills/jd.ts';
import type { WaybillClient, WaybillRequest } from '../../src/modules/fulfilment/waybills/types.ts';
import { ourDouyinSign } from '../support/platform-signers.ts';

const receiver = { name: '张三丰', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
const sender = { name: '杭州仓', phone: '057188886666', province: '浙江省', city: '杭州市', district: '余杭区', address: '仓前街道 8 号' };

let seq = 0;
const newId = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;

// ---- the test's own signers, from the platforms' documentation ----------------------------------------------------

/** JOS: every non-empty parameter but sign, sorted by name, k1v1…, wrapped in the secret, MD5, upper-case hex. */
function ourJosSign(params: Record<string, string>, secret: string): string {
  const names = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== '')
    .sort();
  return createHash('md5')
    .update(`${secret}${names.map((k) => `${k}${params[k]}`).join('')}${secret}`, 'utf8')
    .digest('hex')
    .toUpperCase();
}

/** A PDF's text, by poppler's pdftotext. */
function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'label-text-'));
  try {
    writeFileSync(join(dir, 'l.pdf'), pdf);
    return execFileSync('pdftotext', [join(dir, 'l.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 'yyyy-MM-dd HH:mm:ss' in Beijing time, as JOS wants its timestamp. */
function beijing(ms: number): string {
  const d = new Date(ms + 8 * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

interface Seen {
  path: string;
  query: URLSearchParams;
  body: string;
}

/** Every request the simulator receives (the hub's fetch may run in the writer thread, out of the test's reach). */
function recordInto(sim: PlatformSimulator, out: Seen[]): void {
  const handle = sim.handle.bind(sim);
  sim.handle = (req) => {
    out.push({ path: req.path, query: new URLSearchParams(req.query), body: req.body.toString('utf8') });
    return handle(req);
  };
}

/** JOS's parameters of a request: the query's system parameters and the form body's 360buy_param_json. */
const josParams = (x: Seen): Record<string, string> => ({ ...Object.fromEntries(x.query), ...Object.fromEntries(new URLSearchParams(x.body)) });

function expectDouyinSigned(seen: readonly Seen[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) {
    expect(x.query.get('sign'), x.query.get('method') ?? '').toBe(ourDouyinSign(secret, x.query, x.body));
    expect(x.path).toBe(`/${(x.query.get('method') ?? '').replaceAll('.', '/')}`);
  }
}

function expectJosSigned(seen: readonly Seen[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) {
    const p = josParams(x);
    expect(p.sign, p.method).toBe(ourJosSign(p, secret));
  }
}

/** What the network received as the parcel's receiver and its own request key. */
function douyinOrderInfo(x: Seen): { order_id: string; pack_id: string; receiver_info: { contact: Record<string, string>; address: Record<string, string> } } {
  return (JSON.parse(x.body) as { order_infos: never[] }).order_infos[0] as never;
}
function jdContent(x: Seen): { vendorOrderCode: string; platformOrderNo: string; providerCode: string; toAddress: Record<string, string> } {
  return JSON.parse((JSON.parse(josParams(x)['360buy_param_json'] ?? '{}') as { content: string }).content) as never;
}

// ---- the clients against the simulators ---------------------------------------------------------------------------

interface ClientCase {
  name: string;
  factory: SimulatorFactory;
  client: WaybillClient<unknown>;
  channel: string;
  /** The receiver as the hub holds it for an encrypted order of this platform. */
  cipherReceiver: WaybillRequest['receiver'];
  /** The network's own key for the request of object id `o`. */
  keyOf: (objectId: string) => string;
  expectSigned: (seen: readonly Seen[], secret: string) => void;
  /** A request the test signs itself, untouched and then with one byte changed, and whether the network accepted it. */
  ownCall: (sim: WaybillSimulator, waybillNo: string, tamper: boolean) => Promise<boolean>;
}

const douyinCipher = (s: string) => `##${Buffer.from(s).toString('base64')}*QmFzZTY0#1##`;
const jdCipher = (s: string) => Buffer.from(`\u0000\u0004jd-tde:${s}:${'x'.repeat(16)}`).toString('base64');

const clientCases: ClientCase[] = [
  {
    name: 'Douyin',
    factory: douyinWaybillSimulator,
    client: douyinWaybills as WaybillClient<unknown>,
    channel: 'douyin',
    cipherReceiver: { ...receiver, name: douyinCipher(receiver.name), phone: `$$${Buffer.from(receiver.phone).toString('base64')}*QmFzZQ==$1$$`, address: douyinCipher(receiver.address) },
    keyOf: douyinPackId,
    expectSigned: expectDouyinSigned,
    async ownCall(sim, waybillNo, tamper) {
      const c = sim.credentials as Record<string, string>;
      const body = JSON.stringify({ logistics_code: 'zhongtong', track_no: waybillNo });
      const q = new URLSearchParams({ app_key: c.appKey as string, method: 'logistics.cancelOrder', timestamp: String(Math.floor(Date.now() / 1000)), v: '2', sign_method: 'md5', access_token: c.accessToken as string });
      q.set('sign', ourDouyinSign(c.appSecret as string, q, body));
      const res = await fetch(`${c.apiBase}/logistics/cancelOrder?${q.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tamper ? flip(body, body.length - 4) : body });
      const b = (await res.json()) as { code: number; sub_code: string };
      if (tamper) expect(b).toMatchObject({ code: 40003, sub_code: 'isv.signature-invalid' });
      return b.code === 10000;
    },
  },
  {
    name: 'JD',
    factory: jdWaybillSimulator,
    client: jdWaybills as WaybillClient<unknown>,
    channel: 'jd',
    cipherReceiver: { ...receiver, name: jdCipher(receiver.name), phone: '138******4', address: jdCipher(`浙江省杭州市西湖区${receiver.address}`) },
    keyOf: (o) => o,
    expectSigned: expectJosSigned,
    async ownCall(sim, waybillNo, tamper) {
      const c = sim.credentials as Record<string, string>;
      const system: Record<string, string> = { method: 'jingdong.ldop.alpha.vendor.bigshot.query', app_key: c.appKey as string, access_token: c.accessToken as string, timestamp: beijing(Date.now()), v: '2.0', format: 'json' };
      const paramJson = JSON.stringify({ waybillCode: waybillNo, providerCode: 'ZTO' });
      const sign = ourJosSign({ ...system, '360buy_param_json': paramJson }, c.appSecret as string);
      const res = await fetch(`${c.apiBase}/routerjson?${new URLSearchParams({ ...system, sign }).toString()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams({ '360buy_param_json': tamper ? flip(paramJson, 18) : paramJson }).toString(),
      });
      const b = (await res.json()) as { error_response?: { code: string }; jingdong_ldop_alpha_vendor_bigshot_query_responce?: { resultInfo: { statusCode: number; data: { bigShotName: string }[] } } };
      if (tamper) expect(b.error_response?.code).toBe('12');
      else expect(b.jingdong_ldop_alpha_vendor_bigshot_query_responce?.resultInfo.data[0]?.bigShotName).toBe('杭州');
      return b.jingdong_ldop_alpha_vendor_bigshot_query_responce?.resultInfo.statusCode === 0;
    },
  },
];

const request = (n: ClientCase, objectId: string, platformOrderId: string, extra: Partial<WaybillRequest> = {}): WaybillRequest => ({
  objectId,
  carrier: 'zto',
  sender,
  orders: [{ channel: n.channel, platformOrderId, receiverHandle: null }],
  receiver: n.cipherReceiver,
  items: [{ name: '蓝色T恤', count: 1 }],
  weightGrams: 300,
  ...extra,
});

describe.each(clientCases)('$name waybill requests, checked by the test’s own signer', (n) => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('issues a number signed as the network checks it; the test’s own signed request is accepted and a tampered byte refused; the same object id is one number; cancel gives it back', async () => {
    const sim = sims.mount(`sig-${n.name}`, n.factory) as WaybillSimulator;
    const seen: Seen[] = [];
    recordInto(sim, seen);
    const ctx = { credentials: sim.credentials, fetch, now: Date.now };
    const objectId = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
    const a = await n.client.issue(ctx, request(n, objectId, '6921345678901234567'));
    expect(a.waybillNo).toMatch(/^7\d{12}$/);
    expect(a.print.sortCode).toMatch(/^杭州 [0-9A-F]{3}-\d{2}$/);
    n.expectSigned(seen, String(sim.credentials.appSecret));
    if (n.name === 'Douyin') {
      const info = douyinOrderInfo(seen[0] as Seen);
      expect(info).toMatchObject({ order_id: '6921345678901234567', pack_id: '0190a1b2_c3d4_7e5f_8a9b_0c1d2e3f4a5b' });
      expect(info.receiver_info.contact.name).toBe(n.cipherReceiver.name);
      expect(info.receiver_info.address.detail_address).toBe(n.cipherReceiver.address);
    } else {
      expect(jdContent(seen[0] as Seen)).toMatchObject({ vendorOrderCode: objectId, platformOrderNo: '6921345678901234567', providerCode: 'ZTO', toAddress: { contact: n.cipherReceiver.name, address: n.cipherReceiver.address } });
    }

    // The test's own request: accepted as signed, refused with one byte changed (counted as a bad signature).
    const before = sim.stats.refusedSignature;
    expect(await n.ownCall(sim, 'no-such-number', true)).toBe(false);
    expect(sim.stats.refusedSignature).toBe(before + 1);

    // Asked again for the same parcel (a lost answer, a second click): the same number, one issued.
    expect((await n.client.issue(ctx, request(n, objectId, '6921345678901234567'))).waybillNo).toBe(a.waybillNo);
    expect(sim.issued().filter((w) => w.objectId === n.keyOf(objectId))).toHaveLength(1);
    // A second parcel of the same order is a second number.
    const b = await n.client.issue(ctx, request(n, `${objectId}-2`, '6921345678901234567'));
    expect(b.waybillNo).not.toBe(a.waybillNo);

    if (n.name === 'JD') expect(await n.ownCall(sim, a.waybillNo, false)).toBe(true);
    await n.client.cancel(ctx, { carrier: 'zto', waybillNo: a.waybillNo });
    expect(sim.issued().find((w) => w.waybillNo === a.waybillNo)?.cancelled).toBe(true);
    // Douyin's own signed cancel of the second number is accepted.
    if (n.name === 'Douyin') {
      expect(await n.ownCall(sim, b.waybillNo, false)).toBe(true);
      expect(sim.issued().find((w) => w.waybillNo === b.waybillNo)?.cancelled).toBe(true);
    }
  });

  it('maps the network’s refusal (with its reason), its rate limit and a lost answer; an unknown carrier and a receiver in clear are refused before any request', async () => {
    const sim = sims.mount(`err-${n.name}`, n.factory) as WaybillSimulator;
    const ctx = { credentials: sim.credentials, fetch, now: Date.now };
    sim.failNextWrite!({ status: 400, message: '面单余额不足' });
    await expect(n.client.issue(ctx, request(n, 'obj-1', '1001'))).rejects.toMatchObject({ message: expect.stringContaining('面单余额不足') as unknown, opts: { refused: true } });
    expect(sim.issued()).toEqual([]);

    sim.throttleNext(1);
    const limited = await n.client.issue(ctx, request(n, 'obj-1', '1001')).catch((e: unknown) => e);
    expect(limited).toMatchObject({ opts: { retryAfterMs: expect.any(Number) as unknown } });
    expect((limited as { opts: { refused?: boolean } }).opts.refused).toBeFalsy();

    sim.failNextWrite!({ status: 502, applied: true });
    const lost = await n.client.issue(ctx, request(n, 'obj-1', '1001')).catch((e: unknown) => e);
    expect((lost as { opts: { refused?: boolean } }).opts.refused).toBeFalsy();
    const issuedBehind = sim.issued();
    expect(issuedBehind).toHaveLength(1);
    expect((await n.client.issue(ctx, request(n, 'obj-1', '1001'))).waybillNo).toBe(issuedBehind[0]?.waybillNo);

    const seen: Seen[] = [];
    recordInto(sim, seen);
    await expect(n.client.issue(ctx, request(n, 'obj-2', '1001', { carrier: 'pigeon-post' }))).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    await expect(n.client.issue(ctx, request(n, 'obj-3', '1001', { receiver: { ...receiver, name: '张**', phone: '138****1234', address: '文三***' } }))).rejects.toMatchObject({
      code: 'RECEIVER_CIPHERTEXT_MISSING',
      opts: { refused: true },
    });
    expect(seen).toEqual([]);
  });

  it('says what is wrong with credentials the network cannot use', () => {
    expect(n.client.credentialProblems('secret')).toEqual(['credentials must be an object']);
    const problems = n.client.credentialProblems({ appKey: '', appSecret: 'x' });
    expect(problems.join('\n')).toMatch(/appKey/);
    expect(problems.join('\n')).toMatch(/accessToken/);
    if (n.name === 'JD') expect(problems.join('\n')).toMatch(/vendorCode[\s\S]*branchCode/);
    expect(n.client.credentialProblems(n.factory({ apiBase: 'http://127.0.0.1:9' }).credentials)).toEqual([]);
  });
});

// ---- the whole flow in the hub ------------------------------------------------------------------------------------

interface Network {
  name: string;
  platform: 'douyin' | 'jd';
  shopFactory: SimulatorFactory;
  waybillFactory: SimulatorFactory;
  adapter: ChannelAdapter<never>;
  keyOf: (objectId: string) => string;
  expectSigned: (seen: readonly Seen[], secret: string) => void;
  /** The receiver as the network received it, as text. */
  receiverSent: (x: Seen) => string;
  /** The network's own request key sent for the parcel. */
  keySent: (x: Seen) => string;
}

const networks: Network[] = [
  {
    name: 'Douyin',
    platform: 'douyin',
    shopFactory: douyinSimulator,
    waybillFactory: douyinWaybillSimulator,
    adapter: douyin as ChannelAdapter<never>,
    keyOf: douyinPackId,
    expectSigned: expectDouyinSigned,
    receiverSent: (x) => JSON.stringify(douyinOrderInfo(x).receiver_info),
    keySent: (x) => douyinOrderInfo(x).pack_id,
  },
  {
    name: 'JD',
    platform: 'jd',
    shopFactory: jdSimulator,
    waybillFactory: jdWaybillSimulator,
    adapter: jd as ChannelAdapter<never>,
    keyOf: (o) => o,
    expectSigned: expectJosSigned,
    receiverSent: (x) => JSON.stringify(jdContent(x).toAddress),
    keySent: (x) => jdContent(x).vendorOrderCode,
  },
];

function simOrder(id: string, sku: string, phase: SimOrder['phase'] = 'paid'): SimOrder {
  const now = Date.now();
  return {
    id,
    phase,
    createdAt: now - 120_000,
    updatedAt: now - 60_000 + seq * 10,
    currency: 'CNY',
    lines: [{ sku, title: `蓝色T恤 ${sku}`, quantity: 1, unitPrice: 1000, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: receiver.name, phone: receiver.phone },
    receiver,
  };
}

interface WaybillBody {
  shipmentId: string;
  network: string;
  carrier: string;
  state: string;
  waybillNo: string | null;
  sortCode: string | null;
  cancelReason: string | null;
}

describe.each(httpBackends)('Douyin and JD e-waybills in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let wh: string;
  const shops = new Map<string, { shop: PlatformSimulator; account: string; waybills: WaybillSimulator; seen: Seen[] }>();

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    for (const n of networks) {
      const shop = sims.mount(n.platform, n.shopFactory, `wbdj-${backend.name}`);
      const waybills = sims.mount(`${n.platform}-waybill`, n.waybillFactory, `wbdj-${backend.name}`) as WaybillSimulator;
      const seen: Seen[] = [];
      recordInto(waybills, seen);
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: n.platform, name: `${n.name} shop`, credentials: shop.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      const w = await s.api<{ id: string; network: string; credentialKeys: string[] }>('POST', '/api/waybill-accounts', { network: n.platform, name: `${n.name} 中通`, carrier: 'zto', credentials: waybills.credentials, sender });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      expect(w.body.network).toBe(n.platform);
      // Write-only: the account shows its credentials by name.
      expect(JSON.stringify(w.body)).not.toContain(String(waybills.credentials.appSecret));
      shops.set(n.platform, { shop, account: a.body.id, waybills, seen });
    }
    wh = uniq('WBDJ');
    await warehouse(s, wh, { priority: 1 });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  async function routedParcel(n: Network): Promise<{ platformOrderId: string; shipment: ShipmentBody }> {
    const { shop, account } = shops.get(n.platform)!;
    const sku = uniq('WBDJ');
    await setStock(s, sku, 50, wh);
    const id = newId();
    shop.record(simOrder(id, sku), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, n.adapter, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    const orderId = found.body.items[0]?.id as string;
    expect(orderId, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [orderId]);
    return { platformOrderId: id, shipment: (await order(s, orderId)).shipments[0] as ShipmentBody };
  }

  const getWaybill = (id: string) => s.api<WaybillBody & ErrorReply>('POST', `/api/shipments/${id}/waybill`);
  const waybillRows = (shipmentId: string) => s.hub.db.read.all<{ state: string; waybill_no: string | null; object_id: string }>('SELECT state, waybill_no, object_id FROM waybills WHERE shipment_id = ? ORDER BY id', [shipmentId]);

  async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
    for (let i = 0; i < 600; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('refuses a waybill account whose credentials the network cannot use, saying what is wrong, with nothing written', async () => {
    const count = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT count(*) AS n FROM waybill_accounts'))?.n);
    const before = await count();
    const dy = await s.api<ErrorReply>('POST', '/api/waybill-accounts', { network: 'douyin', name: 'x', carrier: 'zto', credentials: { appKey: 'not-digits', appSecret: 'short', accessToken: '' }, sender });
    expect(dy.status).toBe(400);
    expect(dy.body.error.code).toBe('VALIDATION_FAILED');
    expect(dy.body.error.message).toMatch(/appKey[\s\S]*appSecret[\s\S]*accessToken/);
    const { waybills } = shops.get('jd')!;
    const { vendorCode: _v, branchCode: _b, ...noContract } = waybills.credentials;
    const j = await s.api<ErrorReply>('POST', '/api/waybill-accounts', { network: 'jd', name: 'x', carrier: 'zto', credentials: noContract, sender });
    expect(j.status).toBe(400);
    expect(j.body.error.message).toContain('vendorCode');
    expect(j.body.error.message).toContain('branchCode');
    const carrier = await s.api<ErrorReply>('POST', '/api/waybill-accounts', { network: 'jd', name: 'x', carrier: 'jd', credentials: waybills.credentials, sender });
    expect(carrier.status).toBe(400);
    expect(carrier.body.error.message).toContain('issues no waybills for carrier jd');
    expect(await count()).toBe(before);
  });

  describe.each(networks)('$name', (n) => {
    it(
      'gets the parcel its number with the platform’s ciphertexts; asked twice it is one number; ship, the ship-back and the label carry it',
      async () => {
        const { shop, account, waybills, seen } = shops.get(n.platform)!;
        const { platformOrderId, shipment } = await routedParcel(n);
        const before = seen.length;
        const w = await getWaybill(shipment.id);
        expect(w.status, JSON.stringify(w.body)).toBe(200);
        expect(w.body).toMatchObject({ shipmentId: shipment.id, network: n.platform, carrier: 'zto', state: 'issued' });
        expect(w.body.waybillNo).toMatch(/^7\d{12}$/);
        expect(w.body.sortCode).toMatch(/^杭州 /);
        const mine = seen.slice(before);
        n.expectSigned(mine, String(waybills.credentials.appSecret));
        expect(n.keySent(mine[0] as Seen)).toBe(n.keyOf(shipment.id));
        // Never the buyer's name, phone or street in clear: the platform's own ciphertexts.
        const sent = n.receiverSent(mine[0] as Seen);
        for (const clear of [receiver.name, receiver.phone, receiver.address]) expect(sent).not.toContain(clear);

        // Asked again (a reprint, a second click): the same number, no second one at the network.
        const again = await getWaybill(shipment.id);
        expect(again.body.waybillNo).toBe(w.body.waybillNo);
        expect(waybills.issued().filter((x) => x.objectId === n.keyOf(shipment.id))).toHaveLength(1);

        // The label prints the number as its barcode.
        const res = await fetch(`${s.url}/api/shipments/${shipment.id}/label.pdf`, { headers: { authorization: `Bearer ${s.token}` } });
        expect(res.status).toBe(200);
        const pdf = Buffer.from(await res.arrayBuffer());
        const [page] = pdfPages(pdf, 200);
        expect(decodeCode128(page!)).toBe(w.body.waybillNo);
        // Its text: the number, the sort code, where it goes — and no ciphertext, nor a mask of one.
        const words = pdfText(pdf);
        expect(words).toContain(w.body.waybillNo);
        expect(words).toContain(String(w.body.sortCode));
        expect(words).toContain('浙江省杭州市西湖区');
        expect(words).not.toMatch(/##|\$\$|[A-Za-z0-9+/]{24,}/);

        // Shipped without typing: the waybill is the tracking number, and the ship-back tells the platform.
        const scanned = await s.api<ShipmentBody>('POST', `/api/shipments/${shipment.id}/scans`, { codes: shipment.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
        expect(scanned.body.state).toBe('packed');
        const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${shipment.id}/ship`, {});
        expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
        expect(shipped.body).toMatchObject({ state: 'shipped', carrier: 'zto', trackingNo: w.body.waybillNo });
        await until('the ship-back', async () => {
          const items = (await s.api<{ items: { platformOrderId: string; state: string }[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items;
          return items.find((x) => x.platformOrderId === platformOrderId && x.state === 'done');
        });
        expect(shop.shipmentsOf!(platformOrderId)).toEqual([w.body.waybillNo]);
      },
      120_000,
    );

    it(
      'gives the number back by hand, and the next one is asked under a new request key',
      async () => {
        const { waybills } = shops.get(n.platform)!;
        const { shipment } = await routedParcel(n);
        const first = (await getWaybill(shipment.id)).body.waybillNo as string;
        const c = await s.api<WaybillBody>('POST', `/api/shipments/${shipment.id}/waybill/cancel`);
        expect(c.status, JSON.stringify(c.body)).toBe(200);
        expect(c.body).toMatchObject({ state: 'cancelled', waybillNo: first, cancelReason: 'manual' });
        expect(waybills.issued().find((x) => x.waybillNo === first)?.cancelled).toBe(true);
        const second = await getWaybill(shipment.id);
        expect(second.status, JSON.stringify(second.body)).toBe(200);
        expect(second.body.waybillNo).not.toBe(first);
        expect(waybills.issued().filter((x) => x.objectId === n.keyOf(`${shipment.id}-2`))).toHaveLength(1);
        expect((await waybillRows(shipment.id)).map((r) => r.state)).toEqual(['cancelled', 'issued']);
      },
      120_000,
    );

    it(
      'turns the network’s refusal into WAYBILL_REFUSED with its reason, nothing kept; a lost answer asked again is the same number',
      async () => {
        const { waybills } = shops.get(n.platform)!;
        const { shipment } = await routedParcel(n);
        waybills.failNextWrite!({ status: 400, message: '电子面单余额不足，请充值' });
        const refused = await getWaybill(shipment.id);
        expect(refused.status).toBe(422);
        expect(refused.body.error.code).toBe('WAYBILL_REFUSED');
        expect(refused.body.error.message).toContain('电子面单余额不足');
        expect(await waybillRows(shipment.id)).toEqual([]);

        waybills.failNextWrite!({ status: 502, applied: true });
        const lost = await getWaybill(shipment.id);
        expect(lost.status, JSON.stringify(lost.body)).toBe(503);
        expect(lost.body.error.code).toBe('WAYBILL_UNAVAILABLE');
        expect(await waybillRows(shipment.id)).toMatchObject([{ state: 'requesting', waybill_no: null }]);
        const there = waybills.issued().filter((x) => x.objectId === n.keyOf(shipment.id));
        expect(there).toHaveLength(1);
        const retry = await getWaybill(shipment.id);
        expect(retry.status, JSON.stringify(retry.body)).toBe(200);
        expect(retry.body.waybillNo).toBe(there[0]?.waybillNo);
      },
      120_000,
    );
  });
});
