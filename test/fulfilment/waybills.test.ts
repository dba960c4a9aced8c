// E-waybills (电子面单) over real HTTP on loopback, against the Cainiao and PDD waybill simulators, on SQLite, the
// writer thread and PostgreSQL: a parcel of a pulled Taobao or PDD order gets its number from the network (asked with
// the platform's oaid or ciphertext, signed — checked by the tests' own signers), the number reaches the shipment,
// shipping and the ship-back row without anyone typing it; a lost answer asked again gives the same number; a stopped
// parcel's number is given back; bad input is refused with nothing written; the label PDF is rendered, turned into an
// image and its barcode read back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { pullIntoHub } from '../support/channels.ts';
import { createShop, startServer, type TestServer } from '../support/server.ts';
import { order, paidOrder, route, setStock, uniq, warehouse, type ErrorReply, type ShipmentBody } from './hub-support.ts';
import { decodeCode128, flip, inkShare, ourPddSign, ourTopSign, pdfPages, record, type Seen } from './waybill-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import { cainiaoWaybillSimulator, pddWaybillSimulator, type WaybillSimulator } from '../../src/sandbox/simulators/waybills.ts';
import type { PlatformSimulator, SimOrder, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { taobao } from '../../src/modules/channels/connectors/taobao/index.ts';
import { pinduoduo } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';
import { cainiaoWaybills } from '../../src/modules/fulfilment/waybills/cainiao.ts';
import { pinduoduoWaybills } from '../../src/modules/fulfilment/waybills/pinduoduo.ts';
import type { WaybillClient, WaybillRequest } from '../../src/modules/fulfilment/waybills/types.ts';
import { renderLabels } from '../../src/modules/fulfilment/waybills/label.ts';

interface WaybillBody {
  shipmentId: string;
  network: string;
  carrier: string;
  state: string;
  waybillNo: string | null;
  sortCode: string | null;
  cancelReason: string | null;
}
interface OutboundItem {
  platformOrderId: string;
  state: string;
  trackingNo: string | null;
  carrier: string | null;
}

const receiver = { name: '张三丰', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
const sender = { name: '杭州仓', phone: '057188886666', province: '浙江省', city: '杭州市', district: '余杭区', address: '仓前街道 8 号' };

let seq = 0;
const newTid = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;
const newSn = () => `261207-${String(Date.now()).slice(-10)}${String(++seq).padStart(2, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, sku: string, quantity = 1, phase: SimOrder['phase'] = 'paid'): SimOrder {
  const now = Date.now();
  return {
    id,
    phase,
    createdAt: now - 120_000,
    updatedAt: now - 60_000 + seq * 10,
    currency: 'CNY',
    lines: [{ sku, title: `蓝色T恤 ${sku}`, quantity, unitPrice: 1000, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三丰', phone: '13812341234' },
    receiver,
  };
}

/** A request as the test re-signs it: TOP's calls name a `method`, PDD's a `type`. */
function expectSignedByUs(seen: readonly Seen[], secret: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) {
    const want = x.params.method === undefined ? ourPddSign(x.params, secret) : ourTopSign(x.params, secret, x.params.sign_method ?? 'md5');
    expect(x.params.sign, x.params.method ?? x.params.type).toBe(want);
  }
}

/** The waybill request's one trade_order_info_dto, as the network received it. */
function dtoOf(x: Seen): { object_id: string; order_info: { trade_order_list: string[] }; recipient: Record<string, unknown> } {
  const body = JSON.parse(x.params.param_waybill_cloud_print_apply_new_request ?? x.params.param_waybill_apply_new_request ?? '{}') as { trade_order_info_dtos: never[] };
  return body.trade_order_info_dtos[0] as never;
}

// ---- the clients against the simulators, requests checked ----------------------------------------------------

const baseRequest = (objectId: string, channel: string, platformOrderId: string, handle: string | null): WaybillRequest => ({
  objectId,
  carrier: 'zto',
  sender,
  orders: [{ channel, platformOrderId, receiverHandle: handle }],
  receiver: { ...receiver, name: '张**', phone: '138****1234', address: '文三***' },
  items: [{ name: 'T恤', count: 1 }],
  weightGrams: 300,
});

describe.each([
  { name: 'Cainiao', factory: cainiaoWaybillSimulator, client: cainiaoWaybills as WaybillClient<unknown>, channel: 'taobao', secret: (c: Record<string, unknown>) => String(c.appSecret), signError: (b: unknown) => (b as { error_response?: { code?: number } }).error_response?.code, signCode: 25 },
  { name: 'PDD', factory: pddWaybillSimulator, client: pinduoduoWaybills as WaybillClient<unknown>, channel: 'pinduoduo', secret: (c: Record<string, unknown>) => String(c.clientSecret), signError: (b: unknown) => (b as { error_response?: { error_code?: number } }).error_response?.error_code, signCode: 20004 },
])('$name waybill requests, checked by the tests’ own signer', (n) => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('issues a number signed as the network checks it; a tampered byte is refused; the same object id answers the same number', async () => {
    const sim = sims.mount(`sig-${n.name}`, n.factory) as WaybillSimulator;
    const seen: Seen[] = [];
    record(sim, seen);
    const ctx = { credentials: sim.credentials, fetch, now: Date.now };
    const a = await n.client.issue(ctx, baseRequest('S-1', n.channel, '123456789', 'oaid-1'));
    expect(a.waybillNo).toMatch(/^7\d{12}$/);
    expect(a.print.sortCode).toMatch(/^杭州 /);
    expectSignedByUs(seen, n.secret(sim.credentials));
    const dto = dtoOf(seen[0] as Seen);
    expect(dto.object_id).toBe('S-1');
    if (n.channel === 'taobao') expect(dto.recipient).toMatchObject({ oaid: 'oaid-1', tid: '123456789', name: '张**' });

    // One byte of the sign changed: the network refuses it and counts it.
    const x = seen[0] as Seen;
    const before = sim.stats.refusedSignature;
    const tamperedParams = { ...x.params, sign: flip(x.params.sign ?? '', 4) };
    const res = await fetch(`${String(sim.credentials.apiBase)}${x.path}`, {
      method: 'POST',
      headers: { 'content-type': x.contentType },
      body: x.contentType.includes('json') ? JSON.stringify(tamperedParams) : new URLSearchParams(tamperedParams).toString(),
    });
    expect(n.signError(await res.json())).toBe(n.signCode);
    expect(sim.stats.refusedSignature).toBe(before + 1);

    // Asked again for the same parcel (a lost answer): the same number, and the network issued one.
    expect((await n.client.issue(ctx, baseRequest('S-1', n.channel, '123456789', 'oaid-1'))).waybillNo).toBe(a.waybillNo);
    expect(sim.issued().filter((w) => w.objectId === 'S-1')).toHaveLength(1);
    // Given back.
    await n.client.cancel(ctx, { carrier: 'zto', waybillNo: a.waybillNo });
    expect(sim.issued().find((w) => w.waybillNo === a.waybillNo)?.cancelled).toBe(true);
  });

  it('refuses what the network refuses, with its reason, and an unknown carrier before any request', async () => {
    const sim = sims.mount(`err-${n.name}`, n.factory) as WaybillSimulator;
    const ctx = { credentials: sim.credentials, fetch, now: Date.now };
    sim.failNextWrite!({ status: 400, message: '面单余额不足' });
    await expect(n.client.issue(ctx, baseRequest('S-2', n.channel, '1', 'oaid'))).rejects.toMatchObject({ message: expect.stringContaining('面单余额不足') as unknown, opts: { refused: true } });
    const seen: Seen[] = [];
    record(sim, seen);
    await expect(n.client.issue(ctx, { ...baseRequest('S-3', n.channel, '1', 'oaid'), carrier: 'pigeon-post' })).rejects.toMatchObject({ code: 'CARRIER_UNKNOWN', opts: { refused: true } });
    expect(seen).toEqual([]);
  });
});

it('a Taobao order without its oaid gets no Cainiao number: refused before any request (the hub does not decrypt)', async () => {
  const sims = await startSimulatorServer();
  try {
    const sim = sims.mount('no-oaid', cainiaoWaybillSimulator);
    const seen: Seen[] = [];
    record(sim, seen);
    await expect(cainiaoWaybills.issue({ credentials: sim.credentials as never, fetch, now: Date.now }, baseRequest('S-9', 'taobao', '1', null))).rejects.toMatchObject({ code: 'RECEIVER_HANDLE_MISSING' });
    expect(seen).toEqual([]);
  } finally {
    await sims.close();
  }
});

it('refuses to render a label without the Chinese font, saying which font to install', async () => {
  const label = { waybillNo: '7123', carrierName: '中通快递', sortCode: null, receiver: { name: '张*', phone: '', address: '' }, sender: { name: '', phone: '', address: '' }, orderNos: [], items: [] };
  await expect(renderLabels([label], '76x130', '/nonexistent/wqy-zenhei.ttc')).rejects.toMatchObject({ code: 'LABEL_FONT_MISSING', message: expect.stringContaining('fonts-wqy-zenhei') as unknown });
});

// ---- the whole flow in the hub --------------------------------------------------------------------------------

interface Network {
  name: string;
  platform: 'taobao' | 'pinduoduo';
  network: 'cainiao' | 'pinduoduo';
  shopFactory: SimulatorFactory;
  waybillFactory: SimulatorFactory;
  adapter: ChannelAdapter<never>;
  newId: () => string;
  secret: (c: Record<string, unknown>) => string;
}

const networks: Network[] = [
  { name: 'Taobao via Cainiao', platform: 'taobao', network: 'cainiao', shopFactory: taobaoSimulator, waybillFactory: cainiaoWaybillSimulator, adapter: taobao as ChannelAdapter<never>, newId: newTid, secret: (c) => String(c.appSecret) },
  { name: 'PDD via PDD waybills', platform: 'pinduoduo', network: 'pinduoduo', shopFactory: pinduoduoSimulator, waybillFactory: pddWaybillSimulator, adapter: pinduoduo as ChannelAdapter<never>, newId: newSn, secret: (c) => String(c.clientSecret) },
];

describe.each(httpBackends)('e-waybills in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let wh: string;
  const shops = new Map<string, { shop: PlatformSimulator; account: string; waybills: WaybillSimulator; seen: Seen[] }>();

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    for (const n of networks) {
      const shop = sims.mount(n.platform, n.shopFactory, `wb-${backend.name}`);
      const waybills = sims.mount(`${n.network}-waybill`, n.waybillFactory, `wb-${backend.name}`) as WaybillSimulator;
      const seen: Seen[] = [];
      record(waybills, seen);
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: n.platform, name: `${n.name} shop`, credentials: shop.credentials });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      const w = await s.api<{ id: string; credentialKeys: string[] }>('POST', '/api/waybill-accounts', { network: n.network, name: `${n.network} 中通`, carrier: 'zto', credentials: waybills.credentials, sender });
      expect(w.status, JSON.stringify(w.body)).toBe(201);
      // Write-only: the account shows its credentials by name.
      expect(JSON.stringify(w.body)).not.toContain(n.secret(waybills.credentials));
      shops.set(n.platform, { shop, account: a.body.id, waybills, seen });
    }
    wh = uniq('WB');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  /** A platform order pulled into the hub and routed: its one shipment. */
  async function routedParcel(n: Network, quantity = 1): Promise<{ platformOrderId: string; orderId: string; shipment: ShipmentBody }> {
    const { shop, account } = shops.get(n.platform)!;
    const sku = uniq('WBS');
    await setStock(s, sku, 50, wh);
    const id = n.newId();
    shop.record(simOrder(id, sku, quantity), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, n.adapter, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${id}`);
    const orderId = found.body.items[0]?.id as string;
    expect(orderId, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [orderId]);
    return { platformOrderId: id, orderId, shipment: (await order(s, orderId)).shipments[0] as ShipmentBody };
  }

  const getWaybill = (id: string) => s.api<WaybillBody & ErrorReply>('POST', `/api/shipments/${id}/waybill`);
  const pack = async (sh: ShipmentBody) => {
    const r = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(r.body.state).toBe('packed');
  };
  const waybillRows = async (shipmentId: string) => s.hub.db.read.all<{ state: string; waybill_no: string | null; object_id: string }>('SELECT state, waybill_no, object_id FROM waybills WHERE shipment_id = ? ORDER BY id', [shipmentId]);

  async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
    for (let i = 0; i < 600; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  describe.each(networks)('$name', (n) => {
    it('gets the parcel its number with the platform’s own receiver data; ship takes it and the ship-back sends it', async () => {
      const { shop, account, waybills, seen } = shops.get(n.platform)!;
      const { platformOrderId, shipment } = await routedParcel(n);
      const before = seen.length;
      const w = await getWaybill(shipment.id);
      expect(w.status, JSON.stringify(w.body)).toBe(200);
      expect(w.body).toMatchObject({ shipmentId: shipment.id, network: n.network, carrier: 'zto', state: 'issued' });
      expect(w.body.waybillNo).toMatch(/^7\d{12}$/);
      expect(w.body.sortCode).toMatch(/^杭州 /);
      const mine = seen.slice(before);
      expectSignedByUs(mine, n.secret(waybills.credentials));
      const dto = dtoOf(mine[0] as Seen);
      expect(dto.object_id).toBe(shipment.id);
      expect(dto.order_info.trade_order_list).toEqual([platformOrderId]);
      // Never the buyer's name or street in clear: Taobao's oaid + tid, PDD's own ciphertexts.
      expect(JSON.stringify(dto.recipient)).not.toContain('张三丰');
      expect(JSON.stringify(dto.recipient)).not.toContain('文三路 1 号');
      if (n.platform === 'taobao') expect(dto.recipient).toMatchObject({ oaid: expect.stringMatching(/^1.{20,}/) as unknown, tid: platformOrderId });
      else expect(String(dto.recipient.name)).toMatch(/^~.+~/);

      // Asked again (a reprint, a second click): the same number, no second request.
      const again = await getWaybill(shipment.id);
      expect(again.body.waybillNo).toBe(w.body.waybillNo);
      expect(waybills.issued().filter((x) => x.objectId === shipment.id)).toHaveLength(1);

      // Shipped without typing: the waybill is the tracking number, and the ship-back tells the platform.
      await pack(shipment);
      const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${shipment.id}/ship`, {});
      expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
      expect(shipped.body).toMatchObject({ state: 'shipped', carrier: 'zto', trackingNo: w.body.waybillNo });
      const call = await until('the ship-back', async () => {
        const items = (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === platformOrderId);
        return items.find((x) => x.state === 'done');
      });
      expect(call).toMatchObject({ trackingNo: w.body.waybillNo, carrier: 'zto' });
      expect(shop.shipmentsOf!(platformOrderId)).toEqual([w.body.waybillNo]);
    });

    it('asks again after a lost answer and still gets one number for the parcel', async () => {
      const { waybills } = shops.get(n.platform)!;
      const { orderId, shipment } = await routedParcel(n);
      waybills.failNextWrite!({ status: 502, applied: true });
      const lost = await getWaybill(shipment.id);
      expect(lost.status, JSON.stringify(lost.body)).toBe(503);
      expect(lost.body.error.code).toBe('WAYBILL_UNAVAILABLE');
      // The network issued it behind the lost answer; the hub kept the request open under the same object id.
      expect(await waybillRows(shipment.id)).toMatchObject([{ state: 'requesting', waybill_no: null, object_id: shipment.id }]);
      const issuedThere = waybills.issued().filter((x) => x.objectId === shipment.id);
      expect(issuedThere).toHaveLength(1);
      const retry = await getWaybill(shipment.id);
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect(retry.body.waybillNo).toBe(issuedThere[0]?.waybillNo);
      expect(waybills.issued().filter((x) => x.objectId === shipment.id)).toHaveLength(1);
      // The shop's call log has both requests under the order: the lost answer (retried), then the number.
      const { account } = shops.get(n.platform)!;
      const log = await s.api<{ items: { kind: string; op: string; subject: string; orderId: string; attempt: number; httpStatus: number | null; result: string }[] }>(
        'GET',
        `/api/channel-accounts/${account}/platform-calls?kind=waybill`,
      );
      const mine = log.body.items.filter((c) => c.orderId === orderId).reverse();
      expect(mine.map((c) => [c.attempt, c.httpStatus, c.result, c.subject])).toEqual([
        [1, 502, 'retry', shipment.id],
        [2, 200, 'ok', retry.body.waybillNo],
      ]);
      expect(mine.every((c) => c.op === (n.network === 'cainiao' ? 'cainiao.waybill.ii.get' : 'pdd.waybill.get'))).toBe(true);
    });

    it('gives the number back by hand, and a new one is asked under a new object id', async () => {
      const { waybills } = shops.get(n.platform)!;
      const { shipment } = await routedParcel(n);
      const first = (await getWaybill(shipment.id)).body.waybillNo as string;
      const c = await s.api<WaybillBody>('POST', `/api/shipments/${shipment.id}/waybill/cancel`);
      expect(c.status, JSON.stringify(c.body)).toBe(200);
      expect(c.body).toMatchObject({ state: 'cancelled', waybillNo: first, cancelReason: 'manual' });
      expect(waybills.issued().find((x) => x.waybillNo === first)?.cancelled).toBe(true);
      const second = await getWaybill(shipment.id);
      expect(second.body.waybillNo).not.toBe(first);
      expect((await waybillRows(shipment.id)).map((r) => [r.state, r.object_id])).toEqual([
        ['cancelled', shipment.id],
        ['issued', `${shipment.id}-2`],
      ]);
      // A typed number that is not the waybill is refused: the label and the ship-back must agree.
      await pack(shipment);
      const typed = await s.api<ErrorReply>('POST', `/api/shipments/${shipment.id}/ship`, { trackingNo: 'ZT0000000001' });
      expect(typed.status).toBe(409);
      expect(typed.body.error.code).toBe('WAYBILL_MISMATCH');
    });

    it('gives back the number of a parcel stopped because the platform cancelled the order', async () => {
      const { shop, account, waybills } = shops.get(n.platform)!;
      const { platformOrderId, shipment } = await routedParcel(n);
      const no = (await getWaybill(shipment.id)).body.waybillNo as string;
      const o = simOrder(platformOrderId, shipment.lines[0]?.sku as string, 1, 'cancelled');
      shop.record({ ...o, updatedAt: Date.now() }, 'http://127.0.0.1:9/unused');
      await pullIntoHub(s, n.adapter, account, Date.now() - 600_000, Date.now() + 60_000);
      await until('the stopped parcel', async () => (await s.api<ShipmentBody>('GET', `/api/shipments/${shipment.id}`)).body.state === 'cancelled');
      await until('the number given back', async () => waybills.issued().find((x) => x.waybillNo === no)?.cancelled);
      await until('the waybill row cancelled', async () => (await waybillRows(shipment.id))[0]?.state === 'cancelled');
      // A stopped parcel gets no new number: refused, nothing written.
      const refused = await getWaybill(shipment.id);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('SHIPMENT_CANCELLED');
      expect(await waybillRows(shipment.id)).toHaveLength(1);
    });
  });

  it('refuses a parcel no waybill account serves, and one the network refuses, with nothing written', async () => {
    const own = await createShop(s);
    const sku = uniq('WBO');
    await setStock(s, sku, 5, wh);
    const o = await paidOrder(s, own, [[sku, 1]]);
    await route(s, [o.id]);
    const sh = (await order(s, o.id)).shipments[0] as ShipmentBody;
    const none = await getWaybill(sh.id);
    expect(none.status).toBe(409);
    expect(none.body.error.code).toBe('WAYBILL_ACCOUNT_MISSING');
    expect(await waybillRows(sh.id)).toEqual([]);

    const n = networks[1] as Network;
    const { waybills } = shops.get(n.platform)!;
    const { shipment } = await routedParcel(n);
    waybills.failNextWrite!({ status: 400, message: '面单余额不足' });
    const refused = await getWaybill(shipment.id);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('WAYBILL_REFUSED');
    expect(refused.body.error.message).toContain('面单余额不足');
    expect(await waybillRows(shipment.id)).toEqual([]);
    // Shipping still needs a number: nothing to take, nothing typed.
    await pack(shipment);
    const ship = await s.api<ErrorReply>('POST', `/api/shipments/${shipment.id}/ship`, {});
    expect(ship.status).toBe(400);
    expect(ship.body.error.message).toContain('no waybill');
  });

  it('prints a wave’s labels in one PDF, each with its number as a readable Code 128 barcode, in both sizes', async () => {
    const n = networks[0] as Network;
    const a = await routedParcel(n);
    const b = await routedParcel(n, 2);
    const wave = await s.api<{ id: string }>('POST', '/api/waves', { warehouse: wh, shipmentIds: [a.shipment.id, b.shipment.id] });
    expect(wave.status, JSON.stringify(wave.body)).toBe(201);
    const got = await s.api<{ items: { shipmentId: string; waybill: WaybillBody | null; error: unknown }[] }>('POST', `/api/waves/${wave.body.id}/waybills`);
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body.items.map((i) => i.error)).toEqual([null, null]);
    const numbers = new Map(got.body.items.map((i) => [i.shipmentId, i.waybill?.waybillNo as string]));
    const pdf = async (path: string) => {
      const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/pdf');
      return Buffer.from(await res.arrayBuffer());
    };
    const dpi = 200;
    for (const [size, [wMm, hMm]] of [['76x130', [76, 130]], ['100x180', [100, 180]]] as const) {
      const pages = pdfPages(await pdf(`/api/waves/${wave.body.id}/labels.pdf?size=${size}`), dpi);
      expect(pages).toHaveLength(2);
      for (const p of pages) {
        // The page is the label's size (to the pixel at this resolution) and not blank.
        expect(Math.abs(p.width - (wMm / 25.4) * dpi)).toBeLessThanOrEqual(2);
        expect(Math.abs(p.height - (hMm / 25.4) * dpi)).toBeLessThanOrEqual(2);
        expect(inkShare(p)).toBeGreaterThan(0.02);
      }
      expect(pages.map((p) => decodeCode128(p))).toEqual([...numbers.values()].filter((x) => x));
    }
    // One parcel's label (a reprint is the same call).
    const [one] = pdfPages(await pdf(`/api/shipments/${a.shipment.id}/label.pdf`), dpi);
    expect(decodeCode128(one!)).toBe(numbers.get(a.shipment.id));
    // A parcel without a number has no label.
    const c = await routedParcel(n);
    const res = await fetch(`${s.url}/api/shipments/${c.shipment.id}/label.pdf`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorReply).error.code).toBe('WAYBILL_NOT_FOUND');
  });
});
