// Shopee's inverted shipping flow over real HTTP on loopback, against the Shopee simulator: the hub arranges an order's
// shipment (get_shipping_parameter → ship_order) and takes Shopee's tracking number (get_tracking_number) as the
// parcel's waybill, prints Shopee's own shipping document as its label, ships with that number, and the ship-back
// confirms Shopee has it; a parcel shipped with another courier's number goes as ship_order's non_integrated number.
// Every request's sign is checked by the test's own Shopee signer, written from the Open Platform's formula
// (hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id)) apart from the connector and
// the simulator; a tampered byte is refused. Lost answers, Shopee's refusals and a number given late are covered.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { pullIntoHub, orderView } from '../support/channels.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { order, route, setStock, uniq, warehouse, type ErrorReply, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { decodeCode128, inkShare, pdfPages } from '../fulfilment/waybill-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { shopeeSimulator, type ShopeeSimulatorHooks } from '../../src/sandbox/simulators/shopee.ts';
import { airwayBill } from '../../src/sandbox/simulators/shopee-logistics.ts';
import type { SimOrder } from '../../src/sandbox/simulators/types.ts';
import { shopee } from '../../src/modules/channels/connectors/shopee/index.ts';
import type { CallContext, ChannelAdapter, ShipBackParcel } from '../../src/modules/channels/connectors/types.ts';
import { shopeeWaybills } from '../../src/modules/fulfilment/waybills/shopee.ts';
import type { WaybillClient, WaybillRequest } from '../../src/modules/fulfilment/waybills/types.ts';
import { ourShopeeSign } from '../support/platform-signers.ts';

type Sim = ShopeeSimulatorHooks;

let seq = 0;
/** A fresh Shopee order_sn (yyMMdd + 8 letters and digits, as Shopee's look). */
const newSn = () => `2612${String(Date.now()).slice(-6)}${String(++seq).padStart(2, '0')}${'ABCDEFGH'[seq % 8]}${'KMNPQRST'[Math.floor(Math.random() * 8)]}X`;

function simOrder(id: string, sku: string, phase: SimOrder['phase'] = 'paid', quantity = 1): SimOrder {
  const now = Date.now();
  return {
    id,
    phase,
    createdAt: now - 120_000,
    updatedAt: now - 60_000 + seq * 10,
    currency: 'MYR',
    lines: [{ sku, title: `Kemeja ${sku}`, quantity, unitPrice: 4_990, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: 'Tan Mei Ling', phone: '60123456789' },
    receiver: { name: 'Tan Mei Ling', phone: '60123456789', province: 'Selangor', city: 'Petaling Jaya', district: 'SS2', address: '12 Jalan SS2/24' },
  };
}

// ---- the test's own Shopee signer, and what the shop received ---------------------------------------------------

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

/** Records each request where the shop receives it (the hub's fetch may run in the writer thread, out of reach). */
function record(sim: Sim, out: Seen[]): void {
  const handle = sim.handle.bind(sim);
  sim.handle = (req) => {
    out.push({ method: req.method, path: req.path, query: new URLSearchParams(req.query), body: req.body.toString('utf8') });
    return handle(req);
  };
}

function expectSigned(seen: readonly Seen[], partnerKey: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.query.get('sign'), x.path).toBe(ourShopeeSign(partnerKey, x.query, x.path));
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);
const keyOf = (sim: Sim) => (sim.credentials as { partnerKey: string }).partnerKey;
const routes = (seen: readonly Seen[], sn?: string) =>
  seen.filter((x) => !sn || x.query.get('order_sn') === sn || x.query.get('order_sn_list') === sn || x.body.includes(sn)).map((x) => `${x.method} ${x.path.replace('/api/v2/', '')}`);

/** The text of a PDF (poppler's pdftotext). */
function pdfText(pdf: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'awb-'));
  try {
    writeFileSync(join(dir, 'a.pdf'), pdf);
    return execFileSync('pdftotext', [join(dir, 'a.pdf'), '-'], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sender = { name: 'Gudang PJ', phone: '0378881234', province: 'Selangor', city: 'Petaling Jaya', district: 'SS2', address: 'Lot 8 Jalan 19/1' };

const request = (orderSn: string, more: Partial<WaybillRequest> = {}): WaybillRequest => ({
  objectId: `S-${orderSn}`,
  carrier: 'shopee',
  sender,
  orders: [{ channel: 'shopee', platformOrderId: orderSn, receiverHandle: null }],
  receiver: { name: 'T** M** L***', phone: '601****6789', province: 'Selangor', city: 'Petaling Jaya', district: 'SS2', address: '12 J***' },
  items: [{ name: 'Kemeja', count: 1 }],
  weightGrams: 300,
  ...more,
});

const client = shopeeWaybills as WaybillClient<unknown>;
const adapter = shopee as ChannelAdapter<unknown>;

// ---- the connector against the simulator, requests checked ------------------------------------------------------

describe('Shopee logistics requests, checked by the test’s own signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  const ctxOf = (sim: Sim, seen: Seen[] = []): CallContext<unknown> => {
    record(sim, seen);
    return { credentials: { shop: sim.credentials, method: 'pickup' }, fetch, now: Date.now };
  };

  it('arranges the shipment and takes Shopee’s number, every call signed; a tampered byte is refused; asked again, nothing is arranged twice', async () => {
    const sim = sims.mount('sig', shopeeSimulator, 'sig') as Sim;
    const seen: Seen[] = [];
    const ctx = ctxOf(sim, seen);
    const sn = newSn();
    sim.record(simOrder(sn, uniq('SPS')), 'http://127.0.0.1:9/unused');

    const issued = await client.issue(ctx, request(sn));
    expect(issued.waybillNo).toMatch(/^SPXMY\d{11}$/);
    expect(issued.print).toMatchObject({ carrierName: 'SPX Express', networkRef: { orderSn: sn, packageNumber: expect.stringMatching(/^OFG\d{12}$/) as unknown } });
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'GET logistics/get_shipping_parameter', 'POST logistics/ship_order', 'GET logistics/get_tracking_number']);
    expectSigned(seen, keyOf(sim));
    // Pickup at Shopee's pickup address (not the default one), at the slot Shopee recommends.
    const ship = seen.find((x) => x.path.endsWith('/ship_order')) as Seen;
    const body = JSON.parse(ship.body) as { order_sn: string; package_number: string; pickup: { address_id: number; pickup_time_id: string } };
    expect(body).toMatchObject({ order_sn: sn, package_number: issued.print.networkRef?.packageNumber, pickup: { address_id: 3019 } });
    const slot = String(Math.floor(Date.now() / 86_400_000 + 1) * 86_400);
    expect(body.pickup.pickup_time_id).toBe(slot);
    expect(sim.arrangementsOf(sn)).toBe(1);
    expect(sim.shipmentsOf!(sn)).toEqual([issued.waybillNo]);

    // The same ship_order with one byte of its sign, its timestamp or its shop changed, or signed for another path:
    // Shopee refuses each (error_sign) and the order is not arranged again.
    for (const [name, change] of [
      ['sign', (u: URL) => u.searchParams.set('sign', flip(u.searchParams.get('sign') ?? '', 7))],
      ['timestamp', (u: URL) => u.searchParams.set('timestamp', flip(u.searchParams.get('timestamp') ?? '', 9))],
      ['shop_id', (u: URL) => u.searchParams.set('shop_id', flip(u.searchParams.get('shop_id') ?? '', 3))],
      ['access_token', (u: URL) => u.searchParams.set('access_token', flip(u.searchParams.get('access_token') ?? '', 0))],
    ] as const) {
      const u = new URL(`${String(sim.credentials.apiBase)}${ship.path}?${ship.query.toString()}`);
      change(u);
      const before = sim.stats.refusedSignature;
      const res = await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ship.body });
      const answer = (await res.json()) as { error: string };
      expect([res.status, answer.error], name).toEqual([403, 'error_sign']);
      expect(sim.stats.refusedSignature, name).toBe(before + 1);
    }
    // A correctly signed call for get_tracking_number sent to ship_order's path is refused too: the path is signed.
    const track = seen.find((x) => x.path.endsWith('/get_tracking_number')) as Seen;
    const moved = await fetch(`${String(sim.credentials.apiBase)}/api/v2/logistics/ship_order?${track.query.toString()}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ship.body });
    expect([moved.status, ((await moved.json()) as { error: string }).error]).toEqual([403, 'error_sign']);
    expect(sim.arrangementsOf(sn)).toBe(1);

    // Asked again (a lost answer, a second packer): read, not arranged again, the same number.
    seen.length = 0;
    expect((await client.issue(ctx, request(sn))).waybillNo).toBe(issued.waybillNo);
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'GET logistics/get_tracking_number']);
    expectSigned(seen, keyOf(sim));
    expect(sim.arrangementsOf(sn)).toBe(1);

    // Shopee's own label: the document task made, asked for until READY, downloaded — a PDF with the number on it.
    seen.length = 0;
    const doc = await client.document!(ctx, { waybillNo: issued.waybillNo, print: issued.print }, { polls: 3, pollMs: 10 });
    expect(doc?.contentType).toBe('application/pdf');
    expect(doc?.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfText(doc!.body)).toContain(issued.waybillNo);
    expect(routes(seen)).toEqual(['POST logistics/create_shipping_document', 'POST logistics/get_shipping_document_result', 'POST logistics/get_shipping_document_result', 'POST logistics/download_shipping_document']);
    expectSigned(seen, keyOf(sim));
    expect(JSON.parse(seen[0]!.body)).toEqual({ order_list: [{ order_sn: sn, package_number: issued.print.networkRef?.packageNumber, tracking_number: issued.waybillNo, shipping_document_type: 'NORMAL_AIR_WAYBILL' }] });
  });

  it('keeps a lost answer to one shipment, says when a number is not given yet, and refuses what Shopee refuses with its reason', async () => {
    const sim = sims.mount('err', shopeeSimulator, 'err') as Sim;
    const seen: Seen[] = [];
    const ctx = ctxOf(sim, seen);

    // The answer to ship_order lost after Shopee applied it: retried, read, one shipment.
    const lost = newSn();
    sim.record(simOrder(lost, uniq('SPE')), 'http://127.0.0.1:9/unused');
    sim.failNextWrite!({ status: 502, applied: true });
    await expect(client.issue(ctx, request(lost))).rejects.toMatchObject({ code: 'HTTP_502', opts: { status: 502 } });
    await expect(client.issue(ctx, request(lost))).resolves.toMatchObject({ waybillNo: sim.shipmentsOf!(lost)[0] });
    expect(sim.arrangementsOf(lost)).toBe(1);
    expect(routes(seen, lost).filter((r) => r.endsWith('ship_order'))).toHaveLength(1);

    // A number Shopee's channel has not given yet: retryable, with a time to come back; then given.
    const late = newSn();
    sim.record(simOrder(late, uniq('SPE')), 'http://127.0.0.1:9/unused');
    sim.delayTrackingNumber(1);
    const pending = client.issue(ctx, request(late));
    await expect(pending).rejects.toMatchObject({ code: 'TRACKING_NUMBER_PENDING', opts: { retryAfterMs: 10_000 } });
    await expect(pending).rejects.not.toMatchObject({ opts: { refused: true } });
    expect(sim.shipmentsOf!(late)).toEqual([]);
    const given = await client.issue(ctx, request(late));
    expect(sim.shipmentsOf!(late)).toEqual([given.waybillNo]);
    expect(sim.arrangementsOf(late)).toBe(1);

    // Cancelled on Shopee: refused with Shopee's own reason, before anything is arranged.
    const gone = newSn();
    sim.record(simOrder(gone, uniq('SPE'), 'cancelled'), 'http://127.0.0.1:9/unused');
    await expect(client.issue(ctx, request(gone))).rejects.toMatchObject({ code: 'ORDER_CANCELLED', message: expect.stringContaining('Change of mind') as unknown, opts: { refused: true } });
    expect(routes(seen, gone).filter((r) => r.includes('logistics/'))).toEqual([]);

    // Shopee refusing ship_order itself: its message kept, not retried.
    const refused = newSn();
    sim.record(simOrder(refused, uniq('SPE')), 'http://127.0.0.1:9/unused');
    sim.failNextWrite!({ status: 400, code: 'logistics.pickup_address_invalid', message: 'The pickup address is out of the service area.' });
    await expect(client.issue(ctx, request(refused))).rejects.toMatchObject({ code: 'logistics.pickup_address_invalid', message: expect.stringContaining('out of the service area') as unknown, opts: { refused: true } });
    expect(sim.arrangementsOf(refused)).toBe(0);

    // A rate limit: retried after Shopee's minute, not refused.
    sim.throttleNext(1);
    await expect(client.issue(ctx, request(newSn()))).rejects.toMatchObject({ code: 'error_rate_limit', opts: { status: 429, retryAfterMs: 60_000 } });

    // A non-integrated channel: Shopee issues no number for it.
    const own = newSn();
    sim.record(simOrder(own, uniq('SPE')), 'http://127.0.0.1:9/unused');
    sim.useNonIntegratedChannel(own);
    await expect(client.issue(ctx, request(own))).rejects.toMatchObject({ code: 'CHANNEL_NOT_INTEGRATED', opts: { refused: true } });
    expect(sim.arrangementsOf(own)).toBe(0);

    // Several orders in one parcel: Shopee numbers each order's package, so it is refused before any request.
    const before = seen.length;
    await expect(client.issue(ctx, request(newSn(), { orders: [{ channel: 'shopee', platformOrderId: newSn(), receiverHandle: null }, { channel: 'shopee', platformOrderId: newSn(), receiverHandle: null }] }))).rejects.toMatchObject({ code: 'ONE_ORDER_PER_PARCEL', opts: { refused: true } });
    expect(seen.length).toBe(before);
  });

  it('reads the numbers of arranged packages in the pull (get_mass_tracking_number, signed), kept in the raw order for a replay', async () => {
    const sim = sims.mount('pull', shopeeSimulator, 'pull') as Sim;
    const seen: Seen[] = [];
    const ctx = ctxOf(sim, seen);
    const [arranged, waiting] = [newSn(), newSn()];
    for (const sn of [arranged, waiting]) sim.record(simOrder(sn, uniq('SPP')), 'http://127.0.0.1:9/unused');
    const no = (await client.issue(ctx, request(arranged))).waybillNo;
    seen.length = 0;
    const got = await adapter.fetchOrders!({ credentials: sim.credentials, fetch, now: Date.now }, [arranged, waiting]);
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'POST payment/get_escrow_detail_batch', 'POST logistics/get_mass_tracking_number']);
    expectSigned(seen, keyOf(sim));
    // Only the arranged order's package is asked about.
    expect(JSON.parse(seen[2]!.body)).toEqual({ package_list: [{ package_number: expect.stringMatching(/^OFG\d{12}$/) as unknown }] });
    const byId = new Map(got.map((p) => [p.order.platformOrderId, p]));
    expect(byId.get(arranged)?.order).toMatchObject({ platformStatus: 'PROCESSED', status: 'paid', platformTrackingNos: [no] });
    expect(byId.get(arranged)?.eventId).toMatch(new RegExp(`^${arranged}@\\d+\\+${no}$`));
    expect(adapter.parsePulled!(byId.get(arranged)!.rawBody)[0]?.platformTrackingNos).toEqual([no]);
    expect(byId.get(waiting)?.order.platformTrackingNos).toBeUndefined();
    expect(byId.get(waiting)?.eventId).toMatch(new RegExp(`^${waiting}@\\d+$`));
  });

  it('checks a waybill account’s settings: the shop signs, so shop keys are refused; only pickup or dropoff and Shopee ids', () => {
    expect(client.credentialProblems({})).toEqual([]);
    expect(client.credentialProblems({ method: 'dropoff', pickupAddressId: 3019, documentType: 'THERMAL_AIR_WAYBILL' })).toEqual([]);
    expect(client.credentialProblems({ partnerKey: 'x'.repeat(32) })).toEqual([expect.stringContaining('credentials.partnerKey is not a Shopee shipping setting') as unknown]);
    expect(client.credentialProblems({ method: 'courier', pickupAddressId: -1, documentType: 'A4' })).toHaveLength(3);
    expect(client.credentialProblems('pickup')).toHaveLength(1);
    expect([client.carrierCode('shopee'), client.carrierCode('zto')]).toEqual(['SHOPEE', null]);
  });

  it('ships back: a Shopee number is confirmed as arranged, another courier’s goes as non_integrated once, signed; Shopee’s refusals kept with its reason', async () => {
    const sim = sims.mount('back', shopeeSimulator, 'back') as Sim;
    const seen: Seen[] = [];
    record(sim, seen);
    const ctx: CallContext<unknown> = { credentials: sim.credentials, fetch, now: Date.now };
    const parcel = (sn: string, carrier: string, trackingNo: string): ShipBackParcel => ({ platformOrderId: sn, carrier, trackingNo, shippedAt: Date.now(), lines: [], idempotencyKey: `ship_back:S1:${sn}` });

    // A Shopee-issued number: nothing to send, Shopee holds it (already); a number Shopee does not hold is refused.
    const sn = newSn();
    sim.record(simOrder(sn, uniq('SPB')), 'http://127.0.0.1:9/unused');
    const no = (await client.issue({ credentials: { shop: sim.credentials }, fetch, now: Date.now }, request(sn))).waybillNo;
    seen.length = 0;
    expect(await adapter.shipBack!(ctx, parcel(sn, 'shopee', no))).toMatchObject({ already: true, status: 200 });
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'GET logistics/get_tracking_number']);
    expectSigned(seen, keyOf(sim));
    await expect(adapter.shipBack!(ctx, parcel(sn, 'shopee', 'SPXMY00000000000'))).rejects.toMatchObject({ code: 'TRACKING_MISMATCH', opts: { refused: true } });
    // Said to be Shopee's while Shopee has not arranged it: refused, nothing arranged behind the packer's back.
    const unarranged = newSn();
    sim.record(simOrder(unarranged, uniq('SPB')), 'http://127.0.0.1:9/unused');
    await expect(adapter.shipBack!(ctx, parcel(unarranged, 'shopee', 'SPXMY12345678901'))).rejects.toMatchObject({ code: 'NOT_ARRANGED', opts: { refused: true } });
    expect(sim.arrangementsOf(unarranged)).toBe(0);

    // Another courier's number on a non-integrated channel: ship_order with non_integrated, once; any courier (Shopee
    // decides the channel, no code is sent, none refused).
    const own = newSn();
    sim.record(simOrder(own, uniq('SPB')), 'http://127.0.0.1:9/unused');
    sim.useNonIntegratedChannel(own);
    seen.length = 0;
    expect(await adapter.shipBack!(ctx, parcel(own, 'pigeon-post', 'PP4101000001'))).toMatchObject({ already: false, status: 200 });
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'GET logistics/get_shipping_parameter', 'POST logistics/ship_order']);
    expect(JSON.parse(seen[2]!.body)).toMatchObject({ order_sn: own, non_integrated: { tracking_number: 'PP4101000001' } });
    expectSigned(seen, keyOf(sim));
    expect(sim.shipmentsOf!(own)).toEqual(['PP4101000001']);
    // Again (a retry after a lost answer): read, already there, nothing sent.
    seen.length = 0;
    expect(await adapter.shipBack!(ctx, parcel(own, 'pigeon-post', 'PP4101000001'))).toMatchObject({ already: true });
    expect(routes(seen)).toEqual(['GET order/get_order_detail', 'GET logistics/get_tracking_number']);
    expect(sim.arrangementsOf(own)).toBe(1);
    // Another number for the same order: Shopee has it shipped already.
    await expect(adapter.shipBack!(ctx, parcel(own, 'zto', 'ZT4101000002'))).rejects.toMatchObject({ code: 'ALREADY_ARRANGED', opts: { refused: true } });

    // Another courier's number on a Shopee-integrated channel: refused (its number comes from Shopee).
    const integrated = newSn();
    sim.record(simOrder(integrated, uniq('SPB')), 'http://127.0.0.1:9/unused');
    await expect(adapter.shipBack!(ctx, parcel(integrated, 'zto', 'ZT4101000003'))).rejects.toMatchObject({ code: 'CHANNEL_INTEGRATED', opts: { refused: true } });
    // Cancelled by the buyer: refused with Shopee's reason; a part of an order: refused before any request.
    const cancelled = newSn();
    sim.record(simOrder(cancelled, uniq('SPB'), 'cancelled'), 'http://127.0.0.1:9/unused');
    sim.useNonIntegratedChannel(cancelled);
    await expect(adapter.shipBack!(ctx, parcel(cancelled, 'zto', 'ZT4101000004'))).rejects.toMatchObject({ code: 'ORDER_CANCELLED', message: expect.stringContaining('Change of mind') as unknown, opts: { refused: true } });
    const before = seen.length;
    await expect(adapter.shipBack!(ctx, { ...parcel(integrated, 'zto', 'ZT4101000005'), partial: true })).rejects.toMatchObject({ code: 'PARTIAL_PARCEL', opts: { refused: true } });
    await expect(adapter.shipBack!(ctx, parcel('not an sn', 'zto', 'ZT4101000006'))).rejects.toMatchObject({ code: 'ORDER_ID_INVALID' });
    expect(seen.length).toBe(before);
  });
});

// ---- the whole flow in the hub -----------------------------------------------------------------------------------

interface WaybillBody {
  shipmentId: string;
  network: string;
  carrier: string;
  state: string;
  waybillNo: string | null;
  lastError: string | null;
}
interface OutboundItem {
  id: number;
  platformOrderId: string;
  state: string;
  attempts: number;
  lastCode: string | null;
  lastError: string | null;
  trackingNo: string | null;
  carrier: string | null;
  confirmedAt: string | null;
}

describe.each(httpBackends)('Shopee’s inverted flow in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: Sim;
  let account: string;
  let wh: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('shopee', shopeeSimulator, `ship-${backend.name}`) as Sim;
    record(sim, seen);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopee', name: 'Shopee MY', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    wh = uniq('SPW');
    await warehouse(s, wh, { priority: 1 });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  const pull = () => pullIntoHub(s, shopee as ChannelAdapter<never>, account, Date.now() - 600_000, Date.now() + 60_000);
  const getWaybill = (id: string) => s.api<WaybillBody & ErrorReply>('POST', `/api/shipments/${id}/waybill`);
  const waybillRows = (shipmentId: string) => s.hub.db.read.all<{ state: string; waybill_no: string | null; next_attempt_at: number | null; error_code: string | null }>('SELECT state, waybill_no, next_attempt_at, error_code FROM waybills WHERE shipment_id = ? ORDER BY id', [shipmentId]);
  const label = async (shipmentId: string) => {
    const res = await fetch(`${s.url}/api/shipments/${shipmentId}/label.pdf`, { headers: { authorization: `Bearer ${s.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/pdf');
    return Buffer.from(await res.arrayBuffer());
  };
  const pack = async (sh: ShipmentBody) => {
    const r = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(r.body.state).toBe('packed');
  };
  async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
    for (let i = 0; i < 600; i++) {
      const v = await probe();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  }
  const outbound = async (sn: string) => (await s.api<{ items: OutboundItem[] }>('GET', `/api/channel-accounts/${account}/outbound`)).body.items.filter((x) => x.platformOrderId === sn);

  /** A Shopee order pulled into the hub and routed: its one parcel. */
  async function routedParcel(opts: { nonIntegrated?: boolean } = {}): Promise<{ sn: string; orderId: string; shipment: ShipmentBody; sku: string }> {
    const sku = uniq('SPH');
    await setStock(s, sku, 50, wh);
    const sn = newSn();
    sim.record(simOrder(sn, sku), 'http://127.0.0.1:9/unused');
    if (opts.nonIntegrated) sim.useNonIntegratedChannel(sn);
    await pull();
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${sn}`);
    const orderId = found.body.items[0]?.id as string;
    expect(orderId, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [orderId]);
    return { sn, orderId, sku, shipment: (await order(s, orderId)).shipments[0] as ShipmentBody };
  }

  it('refuses a Shopee waybill account that carries shop keys or another carrier, with nothing written; takes one with settings only', async () => {
    const count = async () => Number((await s.hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM waybill_accounts WHERE network = 'shopee'`))?.c ?? 0);
    const before = await count();
    const keys = await s.api<ErrorReply>('POST', '/api/waybill-accounts', { network: 'shopee', name: 'Shopee', carrier: 'shopee', credentials: { partnerKey: keyOf(sim) }, sender });
    expect([keys.status, keys.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(keys.body.error.message).toContain('not a Shopee shipping setting');
    const zto = await s.api<ErrorReply>('POST', '/api/waybill-accounts', { network: 'shopee', name: 'Shopee', carrier: 'zto', credentials: {}, sender });
    expect([zto.status, zto.body.error.message]).toEqual([400, expect.stringContaining('Shopee issues no waybills for carrier zto') as unknown]);
    expect(await count()).toBe(before);
    const ok = await s.api<{ network: string; carrier: string; credentialKeys: string[] }>('POST', '/api/waybill-accounts', { network: 'shopee', name: 'Shopee 物流', carrier: 'shopee', credentials: { method: 'pickup' }, sender });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ network: 'shopee', carrier: 'shopee', credentialKeys: ['method'] });
  });

  it('order in → number from Shopee → on the shipment → ship-back confirmed → the next pull shows it shipped; Shopee’s document is the label', { timeout: 120_000 }, async () => {
    const { sn, orderId, shipment } = await routedParcel();
    const from = seen.length;
    const w = await getWaybill(shipment.id);
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body).toMatchObject({ shipmentId: shipment.id, network: 'shopee', carrier: 'shopee', state: 'issued' });
    const no = w.body.waybillNo as string;
    expect(no).toMatch(/^SPXMY\d{11}$/);
    expect(sim.shipmentsOf!(sn)).toEqual([no]);
    expect(sim.arrangementsOf(sn)).toBe(1);
    expectSigned(seen.slice(from), keyOf(sim));

    // The label is Shopee's own shipping document, as Shopee served it, kept for reprints.
    const pdf = await label(shipment.id);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.equals(airwayBill(sn, no, 'SPX Express'))).toBe(true);
    const [page] = pdfPages(pdf, 100);
    expect(inkShare(page!)).toBeGreaterThan(0.01);
    expect(pdfText(pdf)).toContain(no);
    const downloads = seen.filter((x) => x.path.endsWith('/download_shipping_document')).length;
    expect((await label(shipment.id)).equals(pdf)).toBe(true);
    expect(seen.filter((x) => x.path.endsWith('/download_shipping_document')).length).toBe(downloads);

    // Shipped without typing: Shopee's number is the tracking number; the ship-back finds Shopee has it.
    await pack(shipment);
    const shipped = await s.api<ShipmentBody>('POST', `/api/shipments/${shipment.id}/ship`, {});
    expect(shipped.status, JSON.stringify(shipped.body)).toBe(200);
    expect(shipped.body).toMatchObject({ state: 'shipped', carrier: 'shopee', trackingNo: no });
    const call = await until('the ship-back', async () => (await outbound(sn)).find((x) => x.state === 'done'));
    expect(call).toMatchObject({ carrier: 'shopee', trackingNo: no, attempts: 1, lastCode: 'ALREADY_THERE' });
    expect(sim.arrangementsOf(sn)).toBe(1);
    expect(seen.filter((x) => x.path.endsWith('/ship_order') && x.body.includes(sn))).toHaveLength(1);

    // Closed loop: the next pull shows the order arranged with our number (confirmed), then shipped once the 3PL has it.
    await pull();
    // PROCESSED (arranged, not yet with the 3PL) is where Shopee stands behind the hub: no hold, the order stays shipped.
    expect(await orderView(s, sn)).toMatchObject({ platformStatus: 'PROCESSED', status: 'shipped', hold: null });
    expect((await outbound(sn))[0]?.confirmedAt).not.toBeNull();
    sim.collectParcel(sn);
    await pull();
    const view = await orderView(s, sn);
    expect([view.platformStatus, view.status]).toEqual(['SHIPPED', 'shipped']);
    expect((await order(s, orderId)).shipments[0]).toMatchObject({ state: 'shipped', trackingNo: no });
    expectSigned(seen.slice(from), keyOf(sim));
  });

  it('retries after a lost answer and Shopee keeps one shipment; the number comes back the same', { timeout: 60_000 }, async () => {
    const { sn, shipment } = await routedParcel();
    sim.failNextWrite!({ status: 502, applied: true });
    const lost = await getWaybill(shipment.id);
    expect(lost.status, JSON.stringify(lost.body)).toBe(503);
    expect(lost.body.error.code).toBe('WAYBILL_UNAVAILABLE');
    expect(await waybillRows(shipment.id)).toMatchObject([{ state: 'requesting', waybill_no: null }]);
    expect(sim.arrangementsOf(sn)).toBe(1);
    const retry = await getWaybill(shipment.id);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.waybillNo).toBe(sim.shipmentsOf!(sn)[0]);
    expect(sim.arrangementsOf(sn)).toBe(1);
    expect(seen.filter((x) => x.path.endsWith('/ship_order') && x.body.includes(sn))).toHaveLength(1);
  });

  it('cancels a Shopee waybill by recording it only (Shopee has no call to give a number back); asked again, Shopee’s number returns', { timeout: 60_000 }, async () => {
    const { sn, shipment } = await routedParcel();
    const no = (await getWaybill(shipment.id)).body.waybillNo as string;
    const before = seen.length;
    const c = await s.api<WaybillBody & { cancelReason: string }>('POST', `/api/shipments/${shipment.id}/waybill/cancel`);
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    expect(c.body).toMatchObject({ state: 'cancelled', waybillNo: no, cancelReason: 'manual' });
    expect(seen.length).toBe(before);
    const again = await getWaybill(shipment.id);
    expect(again.body).toMatchObject({ state: 'issued', waybillNo: no });
    expect(sim.arrangementsOf(sn)).toBe(1);
    expect((await waybillRows(shipment.id)).map((r) => r.state)).toEqual(['cancelled', 'issued']);
  });

  it('takes a number Shopee gives late: the request says so, and it is asked again later and filled', { timeout: 60_000 }, async () => {
    const { sn, shipment } = await routedParcel();
    sim.delayTrackingNumber(1);
    const first = await getWaybill(shipment.id);
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.error).toMatchObject({ code: 'WAYBILL_UNAVAILABLE', details: { code: 'TRACKING_NUMBER_PENDING', retryAfterMs: 10_000 } });
    const [row] = await waybillRows(shipment.id);
    expect(row).toMatchObject({ state: 'requesting', waybill_no: null, error_code: 'TRACKING_NUMBER_PENDING' });
    expect(Number(row?.next_attempt_at)).toBeGreaterThan(Date.now());
    expect(sim.arrangementsOf(sn)).toBe(1);
    if (s.hub.local) {
      // The waybill worker asks again when Shopee said to (its clock stepped past that moment).
      expect((await s.hub.local.waybills.runDue(Date.now() + 11_000)).filled).toBe(1);
    } else {
      // The writer thread's worker is out of the test's reach: the packer's retry asks the same way.
      expect((await getWaybill(shipment.id)).status).toBe(200);
    }
    const filled = await s.api<WaybillBody>('GET', `/api/shipments/${shipment.id}/waybill`);
    expect(filled.body).toMatchObject({ state: 'issued', waybillNo: sim.shipmentsOf!(sn)[0], lastError: null });
    expect(sim.arrangementsOf(sn)).toBe(1);
    await pack(shipment);
    expect((await s.api<ShipmentBody>('POST', `/api/shipments/${shipment.id}/ship`, {})).body).toMatchObject({ state: 'shipped', trackingNo: filled.body.waybillNo });
  });

  it('prints the hub’s own label with Shopee’s number while Shopee’s document is not ready, and Shopee’s once it is', { timeout: 60_000 }, async () => {
    const { sn, shipment } = await routedParcel();
    sim.documentReadyAfter(100);
    const w = await getWaybill(shipment.id);
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    const ours = await label(shipment.id);
    expect(ours.equals(airwayBill(sn, w.body.waybillNo as string, 'SPX Express'))).toBe(false);
    expect(decodeCode128(pdfPages(ours, 200)[0]!)).toBe(w.body.waybillNo);
    expect(pdfText(ours)).toContain('SPX Express');
    // Asked again at the station (a reprint): Shopee has made it by now, and it is kept.
    sim.documentReadyAfter(0);
    expect((await getWaybill(shipment.id)).body.waybillNo).toBe(w.body.waybillNo);
    expect((await label(shipment.id)).equals(airwayBill(sn, w.body.waybillNo as string, 'SPX Express'))).toBe(true);
    sim.documentReadyAfter(1);
  });

  it('refuses the waybill of an order the buyer cancelled on Shopee, with Shopee’s reason and nothing written', { timeout: 60_000 }, async () => {
    const { sn, sku, shipment } = await routedParcel();
    // Cancelled on Shopee; the hub has not heard yet.
    sim.record({ ...simOrder(sn, sku, 'cancelled'), updatedAt: Date.now() }, 'http://127.0.0.1:9/unused');
    const refused = await getWaybill(shipment.id);
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body.error.code).toBe('WAYBILL_REFUSED');
    expect(refused.body.error.message).toMatch(/CANCELLED.*Change of mind/);
    expect(await waybillRows(shipment.id)).toEqual([]);
    expect(sim.arrangementsOf(sn)).toBe(0);
    expect(seen.filter((x) => x.path.endsWith('/ship_order') && x.body.includes(sn))).toEqual([]);
  });

  it('ships back another courier’s number on a non-integrated channel once; a cancelled order’s ship-back becomes an exception with Shopee’s reason', { timeout: 60_000 }, async () => {
    const { sn, shipment } = await routedParcel({ nonIntegrated: true });
    await pack(shipment);
    expect((await s.api('POST', `/api/shipments/${shipment.id}/ship`, { carrier: 'yunda', trackingNo: `YD${sn.slice(-10)}` })).status).toBe(200);
    const call = await until('the ship-back', async () => (await outbound(sn)).find((x) => x.state === 'done'));
    expect(call).toMatchObject({ carrier: 'yunda', trackingNo: `YD${sn.slice(-10)}`, attempts: 1, lastCode: null });
    expect(sim.shipmentsOf!(sn)).toEqual([`YD${sn.slice(-10)}`]);
    expect(JSON.parse(seen.find((x) => x.path.endsWith('/ship_order') && x.body.includes(sn))!.body)).toMatchObject({ non_integrated: { tracking_number: `YD${sn.slice(-10)}` } });
    await pull();
    expect((await orderView(s, sn)).platformStatus).toBe('SHIPPED');
    expect((await outbound(sn))[0]?.confirmedAt).not.toBeNull();

    const other = await routedParcel({ nonIntegrated: true });
    sim.record({ ...simOrder(other.sn, other.sku, 'cancelled'), updatedAt: Date.now() }, 'http://127.0.0.1:9/unused');
    await pack(other.shipment);
    expect((await s.api('POST', `/api/shipments/${other.shipment.id}/ship`, { carrier: 'zto', trackingNo: `ZT${other.sn.slice(-10)}` })).status).toBe(200);
    const refused = await until('the refusal', async () => (await outbound(other.sn)).find((x) => x.state === 'refused'));
    expect(refused).toMatchObject({ lastCode: 'ORDER_CANCELLED', attempts: 1 });
    expect(refused.lastError).toContain('Change of mind');
    const exceptions = await s.api<{ items: { id: number; exception: { reason: string; actions: string[] } | null }[] }>('GET', `/api/outbound-exceptions?accountId=${account}`);
    expect(exceptions.body.items.find((x) => x.id === refused.id)?.exception).toMatchObject({ reason: 'status_not_allowed', actions: ['retry', 'resend', 'handle'] });
    expect(sim.arrangementsOf(other.sn)).toBe(0);
  });
});
