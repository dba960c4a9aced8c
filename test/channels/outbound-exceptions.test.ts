// Platform writes that went wrong, and the loop that proves the right ones landed, against the Taobao simulator over
// real HTTP on loopback: a refused ship-back is an exception with the platform's reason and the actions to take (retry
// after a fix, resend corrected, mark handled), each audited; a paused account's ship-back waits for it; a ship-back no
// pull confirms in time raises one alert that the confirming pull clears (time driven by `now`, never by sleeping);
// the seller's remark reaches taobao.trade.memo.update, checked by the test's own TOP signer.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { pullIntoHub } from '../support/channels.ts';
import { order, route, setStock, uniq, warehouse, type ShipmentBody } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { taobao } from '../../src/modules/channels/connectors/taobao/index.ts';
import { taobaoCarriers } from '../../src/modules/channels/connectors/taobao/carriers.ts';
import type { ChannelAdapter } from '../../src/modules/channels/connectors/types.ts';

interface Call {
  id: number;
  kind: string;
  orderId: string | null;
  platformOrderId: string;
  state: string;
  attempts: number;
  lastCode: string | null;
  lastError: string | null;
  carrier: string | null;
  trackingNo: string | null;
  remark: string | null;
  flag: number | null;
  confirmedAt: string | null;
  handledAt: string | null;
  handledNote: string | null;
  supersededBy: number | null;
  resendOf: number | null;
  exception: { reason: string; actions: string[] } | null;
}
interface Counts {
  pending: number;
  failed: number;
  refused: number;
  unconfirmed: number;
  overdue: number;
}

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
let seq = 0;
const newTid = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, sku: string): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'CNY',
    lines: [{ sku, title: sku, quantity: 1, unitPrice: 1000, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

// ---- the test's own TOP signer, from TOP's signing rule (sorted k+v, md5 wrapped in the secret, or HMAC) -----------
function ourSign(params: Record<string, string>, secret: string): string {
  let s = '';
  for (const k of Object.keys(params).sort()) if (k !== 'sign' && params[k]) s += k + params[k];
  const method = params.sign_method ?? 'md5';
  const d = method === 'md5' ? createHash('md5').update(secret + s + secret).digest('hex') : createHmac(method === 'hmac' ? 'md5' : 'sha256', secret).update(s).digest('hex');
  return d.toUpperCase();
}
const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);
const beijingNow = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

describe.each(allBackends)('outbound exceptions, the closed loop and remarks on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let account: string;
  let wh: string;
  /** Every request the simulator received, as its form parameters. */
  const seen: Record<string, string>[] = [];
  const adapter = taobao as ChannelAdapter<never>;

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { outbound: { pollMs: 50, retryBaseMs: 100, maxAttempts: 3 } });
    sim = sims.mount('taobao', taobaoSimulator, `exc-${backend.name}`);
    const handle = sim.handle.bind(sim);
    sim.handle = (req) => {
      seen.push(Object.fromEntries(new URLSearchParams(req.body.toString('utf8'))));
      return handle(req);
    };
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'Taobao shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
    wh = uniq('EXC');
    await warehouse(s, wh, { priority: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  const log = async () => (await s.api<{ items: Call[]; counts: Counts }>('GET', `/api/channel-accounts/${account}/outbound?limit=500`)).body;
  const callsOf = async (tid: string) => (await log()).items.filter((x) => x.platformOrderId === tid).sort((a, b) => a.id - b.id);
  const queue = async () => (await s.api<{ items: (Call & { accountId: string })[] }>('GET', `/api/outbound-exceptions?accountId=${account}&limit=500`)).body.items;
  const sends = (tid: string) => seen.filter((p) => p.method === 'taobao.logistics.offline.send' && p.tid === tid);
  const audit = async (action: string) => (await s.api<{ items: { action: string; targetId: string | null; before: unknown; after: unknown; detail: unknown }[] }>('GET', `/api/audit?action=${action}&limit=200`)).body.items;

  /** Waits (the worker polls every 50 ms) until the write `pick` chooses among the order's writes is in one of `states`. */
  async function settled(tid: string, states: string[], pick: (calls: Call[]) => Call | undefined = (c) => c[c.length - 1]): Promise<Call> {
    for (let i = 0; i < 600; i++) {
      const c = pick(await callsOf(tid));
      if (c && states.includes(c.state)) return c;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the write of ${tid} did not reach ${states.join('/')}: ${JSON.stringify(await callsOf(tid))}`);
  }

  /** A paid Taobao order pulled into the hub, routed and packed: ready to ship. */
  async function packed(tid: string): Promise<{ orderId: string; shipmentId: string }> {
    const sku = uniq('EXS');
    await setStock(s, sku, 50, wh);
    sim.record(simOrder(tid, sku), 'http://127.0.0.1:9/unused');
    await pullIntoHub(s, adapter, account, Date.now() - 600_000, Date.now() + 60_000);
    const found = await s.api<{ items: { id: string }[] }>('GET', `/api/orders?platformOrderId=${tid}`);
    const orderId = found.body.items[0]?.id as string;
    expect(orderId, JSON.stringify(found.body)).toBeTruthy();
    await route(s, [orderId]);
    const sh = (await order(s, orderId)).shipments[0] as ShipmentBody;
    const scan = await s.api<ShipmentBody>('POST', `/api/shipments/${sh.id}/scans`, { codes: sh.lines.flatMap((l) => Array.from({ length: l.quantity }, () => l.sku)) });
    expect(scan.body.state).toBe('packed');
    return { orderId, shipmentId: sh.id };
  }

  async function ship(shipmentId: string, carrier: string, trackingNo: string): Promise<void> {
    const r = await s.api('POST', `/api/shipments/${shipmentId}/ship`, { carrier, trackingNo });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }

  it('keeps a refused ship-back in the queue with the platform’s reason; marking it handled needs a note, is audited and takes it out', async () => {
    const tid = newTid();
    const { orderId, shipmentId } = await packed(tid);
    sim.failNextWrite!({ status: 400, code: 'isv.logistics-offline-service-error-B150', message: '买家已申请退款，不能发货' });
    await ship(shipmentId, 'sf', `SF${tid.slice(-10)}`);
    const refused = await settled(tid, ['refused']);
    const item = (await queue()).find((x) => x.id === refused.id);
    expect(item).toMatchObject({ accountId: account, orderId, state: 'refused', exception: { reason: 'refund_requested', actions: ['retry', 'resend', 'handle'] } });
    expect(item?.lastError).toContain('买家已申请退款');
    expect((await log()).counts.refused).toBeGreaterThanOrEqual(1);

    // No note, or only spaces: refused, nothing written.
    for (const note of ['', '   ']) {
      const bad = await s.api<{ error: { code: string } }>('POST', `/api/outbound-calls/${refused.id}/handled`, { note });
      expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await callsOf(tid))[0]?.handledAt).toBeNull();
    const done = await s.api<Call>('POST', `/api/outbound-calls/${refused.id}/handled`, { note: '买家已退款，平台上已关闭' });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ handledNote: '买家已退款，平台上已关闭', exception: null });
    expect((await queue()).some((x) => x.id === refused.id)).toBe(false);
    // Handled is final: again is a conflict, as is a retry of it; an unknown write is 404.
    expect((await s.api('POST', `/api/outbound-calls/${refused.id}/handled`, { note: 'again' })).status).toBe(409);
    expect((await s.api('POST', `/api/outbound-calls/${refused.id}/retry`)).status).toBe(409);
    expect((await s.api('POST', '/api/outbound-calls/999999999/handled', { note: 'x' })).status).toBe(404);
    expect((await audit('outbound.handled')).filter((a) => a.targetId === orderId)).toHaveLength(1);
    expect(sim.shipmentsOf!(tid)).toEqual([]);
  });

  it('retries a ship-back refused for a carrier missing from the dictionary once the carrier is added, and it lands once', async () => {
    const tid = newTid();
    const { orderId, shipmentId } = await packed(tid);
    const trackingNo = `PB${tid.slice(-10)}`;
    await ship(shipmentId, 'postb', trackingNo);
    const refused = await settled(tid, ['refused']);
    expect(refused).toMatchObject({ lastCode: 'CARRIER_UNKNOWN', exception: { reason: 'carrier_unknown' } });
    expect(sends(tid)).toHaveLength(0);

    // The fix: 邮政快递包裹 added to the Taobao carrier dictionary (data), then "retry now".
    (taobaoCarriers as Record<string, string>).postb = 'POSTB';
    onTestFinished(() => {
      delete (taobaoCarriers as Record<string, string>).postb;
    });
    const retried = await s.api<Call>('POST', `/api/outbound-calls/${refused.id}/retry`);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toMatchObject({ id: refused.id, state: 'pending', exception: null });
    const done = await settled(tid, ['done']);
    expect(done).toMatchObject({ id: refused.id, attempts: 1, lastCode: null });
    expect(sim.shipmentsOf!(tid)).toEqual([trackingNo]);
    expect(sends(tid).map((p) => p.company_code)).toEqual(['POSTB']);
    expect((await audit('outbound.retry')).filter((a) => a.targetId === orderId)).toHaveLength(1);
  });

  it('resends a ship-back with a corrected carrier as a new audited write: one platform shipment, the old write replaced', async () => {
    const tid = newTid();
    const { orderId, shipmentId } = await packed(tid);
    const trackingNo = `SF${tid.slice(-10)}`;
    await ship(shipmentId, 'pigeon', trackingNo);
    const refused = await settled(tid, ['refused']);
    expect(refused.exception?.reason).toBe('carrier_unknown');

    // Bad corrections are refused and change nothing.
    for (const body of [{}, { carrier: 'not a code!' }, { trackingNo: '' }, { carrier: 'sf', extra: 1 }]) {
      const r = await s.api<{ error: { code: string } }>('POST', `/api/outbound-calls/${refused.id}/resend`, body);
      expect([r.status, r.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await callsOf(tid)).toHaveLength(1);

    const resent = await s.api<Call>('POST', `/api/outbound-calls/${refused.id}/resend`, { carrier: 'sf' });
    expect(resent.status, JSON.stringify(resent.body)).toBe(200);
    expect(resent.body).toMatchObject({ resendOf: refused.id, carrier: 'sf', trackingNo });
    // A second resend of the same write (a double click) is a conflict, not a second shipment.
    expect((await s.api('POST', `/api/outbound-calls/${refused.id}/resend`, { carrier: 'zto' })).status).toBe(409);
    const done = await settled(tid, ['done'], (c) => c.find((x) => x.id === resent.body.id));
    expect(done.carrier).toBe('sf');
    const [old] = await callsOf(tid);
    expect(old).toMatchObject({ id: refused.id, state: 'refused', supersededBy: resent.body.id, exception: null });
    expect(sim.shipmentsOf!(tid)).toEqual([trackingNo]);
    expect(sends(tid).map((p) => [p.company_code, p.out_sid])).toEqual([['SF', trackingNo]]);
    const [entry] = (await audit('outbound.resend')).filter((a) => a.targetId === orderId);
    expect(entry).toMatchObject({ before: { outbound: refused.id, carrier: 'pigeon', trackingNo }, after: { outbound: resent.body.id, carrier: 'sf', trackingNo } });
    expect((await queue()).some((x) => x.platformOrderId === tid)).toBe(false);
  });

  it('holds a paused account’s ship-back until the account is active again, then sends it (never refused for it)', async () => {
    const tid = newTid();
    const { shipmentId } = await packed(tid);
    const paused = await s.api('PATCH', `/api/channel-accounts/${account}`, { active: false });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    let resumed = false;
    onTestFinished(async () => {
      if (!resumed) await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true });
    });
    const trackingNo = `ZT${tid.slice(-10)}`;
    await ship(shipmentId, 'zto', trackingNo);
    // Worker passes run (driven here, and the 50 ms poll): the write stays pending, unattempted.
    for (let i = 0; i < 3; i++) await s.hub.local!.outbound.runDue(Date.now());
    const [waiting] = await callsOf(tid);
    expect(waiting).toMatchObject({ state: 'pending', attempts: 0, lastCode: null });
    expect(sends(tid)).toHaveLength(0);
    const counts = (await log()).counts;
    expect(counts.pending).toBeGreaterThanOrEqual(1);

    expect((await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true })).status).toBe(200);
    resumed = true;
    expect(await settled(tid, ['done'])).toMatchObject({ attempts: 1 });
    expect(sim.shipmentsOf!(tid)).toEqual([trackingNo]);
  });

  it('raises one alert for a ship-back no pull confirmed within 30 minutes, and the pull that shows our number clears it', async () => {
    const tid = newTid();
    const { orderId, shipmentId } = await packed(tid);
    const trackingNo = `YD${tid.slice(-10)}`;
    await ship(shipmentId, 'yunda', trackingNo);
    const done = await settled(tid, ['done']);
    expect(done.confirmedAt).toBeNull();
    const alertsOf = async () =>
      (await s.api<{ items: { kind: string; key: string; occurrences: number; acknowledgedAt: string | null }[] }>('GET', `/api/channel-alerts?accountId=${account}`)).body.items.filter(
        (a) => a.kind === 'ship_back_unconfirmed' && a.key === `outbound:${done.id}`,
      );
    const t0 = Date.now();
    await s.hub.local!.outbound.runDue(t0 + 29 * 60_000);
    expect(await alertsOf()).toEqual([]);
    await s.hub.local!.outbound.runDue(t0 + 31 * 60_000);
    await s.hub.local!.outbound.runDue(t0 + 45 * 60_000);
    expect(await alertsOf()).toEqual([expect.objectContaining({ occurrences: 1, acknowledgedAt: null })]);
    expect((await log()).counts.overdue).toBeGreaterThanOrEqual(1);
    expect((await queue()).find((x) => x.id === done.id)?.exception?.reason).toBe('unconfirmed');

    // The next pull reads the trade sent with our number: confirmed, the alert closed, out of the queue.
    await pullIntoHub(s, adapter, account, Date.now() - 600_000, Date.now() + 60_000);
    const [confirmed] = await callsOf(tid);
    expect(confirmed?.confirmedAt).not.toBeNull();
    expect(await alertsOf()).toEqual([expect.objectContaining({ acknowledgedAt: expect.any(String) as unknown })]);
    expect((await queue()).some((x) => x.id === done.id)).toBe(false);
    const view = (await s.api<{ platformCalls: { kind: string; confirmedAt: string | null }[] }>('GET', `/api/orders/${orderId}`)).body;
    expect(view.platformCalls).toEqual([expect.objectContaining({ kind: 'ship_back', confirmedAt: expect.any(String) as unknown })]);
    // Later passes raise nothing again.
    await s.hub.local!.outbound.runDue(t0 + 90 * 60_000);
    expect((await alertsOf())[0]?.occurrences).toBe(1);
  });

  it('writes the seller’s remark and flag to Taobao with taobao.trade.memo.update, signed as TOP documents; a tampered byte is refused', async () => {
    const tid = newTid();
    const { orderId } = await packed(tid);
    const r = await s.api<{ sellerRemark: { text: string; flag: number | null } | null; history: { kind: string }[] }>('POST', `/api/orders/${orderId}/remark`, { text: '客户要求周末送达', flag: 1 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.sellerRemark).toMatchObject({ text: '客户要求周末送达', flag: 1 });
    expect(r.body.history.some((h) => h.kind === 'remark')).toBe(true);
    const call = await settled(tid, ['done'], (c) => c.find((x) => x.kind === 'remark'));
    expect(call).toMatchObject({ kind: 'remark', remark: '客户要求周末送达', flag: 1, attempts: 1 });

    const memo = seen.filter((p) => p.method === 'taobao.trade.memo.update' && p.tid === tid);
    expect(memo).toHaveLength(1);
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    expect(memo[0]).toMatchObject({ memo: '客户要求周末送达', flag: '1' });
    expect(memo[0]?.sign).toBe(ourSign(memo[0]!, secret));

    // The simulator keeps it: taobao.trade.fullinfo.get (signed by the test) shows seller_memo and seller_flag.
    const base = (sim.credentials as { apiBase: string }).apiBase;
    const c = sim.credentials as { appKey: string; session: string };
    const read: Record<string, string> = { method: 'taobao.trade.fullinfo.get', app_key: c.appKey, session: c.session, timestamp: beijingNow(), format: 'json', v: '2.0', sign_method: 'md5', tid, fields: 'tid,seller_memo,seller_flag' };
    read.sign = ourSign(read, secret);
    const post = (p: Record<string, string>) => fetch(`${base.replace(/\/+$/, '')}/router/rest`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(p).toString() }).then((x) => x.json() as Promise<Record<string, { trade?: Record<string, unknown>; code?: number }>>);
    expect((await post(read)).trade_fullinfo_get_response?.trade).toMatchObject({ seller_memo: '客户要求周末送达', seller_flag: 1 });

    // The same memo request with one byte of its sign changed: TOP refuses it (code 25), the memo is unchanged.
    const before = sim.stats.refusedSignature;
    const tampered = await post({ ...memo[0]!, memo: '改过的备注', timestamp: beijingNow(), sign: flip(memo[0]!.sign ?? '', 4) });
    expect(tampered.error_response?.code).toBe(25);
    expect(sim.stats.refusedSignature).toBe(before + 1);
    read.timestamp = beijingNow();
    read.sign = ourSign(read, secret);
    expect((await post(read)).trade_fullinfo_get_response?.trade).toMatchObject({ seller_memo: '客户要求周末送达' });
  });

  it('sends only the latest of two remarks written while the account is paused: the older one is superseded', async () => {
    const tid = newTid();
    const { orderId } = await packed(tid);
    expect((await s.api('PATCH', `/api/channel-accounts/${account}`, { active: false })).status).toBe(200);
    let resumed = false;
    onTestFinished(async () => {
      if (!resumed) await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true });
    });
    expect((await s.api('POST', `/api/orders/${orderId}/remark`, { text: '第一次备注', flag: 2 })).status).toBe(200);
    expect((await s.api('POST', `/api/orders/${orderId}/remark`, { text: '第二次备注' })).status).toBe(200);
    const [first, second] = (await callsOf(tid)).filter((x) => x.kind === 'remark');
    expect(first).toMatchObject({ state: 'superseded', supersededBy: second?.id });
    // The flag is kept when the newer remark does not name one.
    expect(second).toMatchObject({ state: 'pending', remark: '第二次备注', flag: 2 });
    expect((await s.api('PATCH', `/api/channel-accounts/${account}`, { active: true })).status).toBe(200);
    resumed = true;
    await settled(tid, ['done'], (c) => c.find((x) => x.id === second?.id));
    expect(seen.filter((p) => p.method === 'taobao.trade.memo.update' && p.tid === tid).map((p) => p.memo)).toEqual(['第二次备注']);
  });

  it('refuses a bad remark with a clear error and writes nothing: empty, beyond Taobao’s 1000 bytes, a wrong flag, an unknown order', async () => {
    const tid = newTid();
    const { orderId } = await packed(tid);
    const cases: [unknown, number][] = [
      [{ text: '' }, 400],
      [{ text: '   ' }, 400],
      [{ text: '备'.repeat(334) }, 400], // 1002 bytes in UTF-8
      [{ text: 'ok', flag: 6 }, 400],
      [{ text: 'ok', flag: '1' }, 400],
      [{ flag: 1 }, 400],
    ];
    for (const [body, status] of cases) {
      const r = await s.api<{ error: { code: string; message: string } }>('POST', `/api/orders/${orderId}/remark`, body);
      expect([r.status, r.body.error?.code], JSON.stringify(body)).toEqual([status, 'VALIDATION_FAILED']);
    }
    const long = await s.api<{ error: { message: string } }>('POST', `/api/orders/${orderId}/remark`, { text: '备'.repeat(334) });
    expect(long.body.error.message).toContain('1000 bytes');
    expect((await s.api('POST', '/api/orders/ORD-NO-SUCH/remark', { text: 'x' })).status).toBe(404);
    const view = (await s.api<{ sellerRemark: unknown; history: { kind: string }[] }>('GET', `/api/orders/${orderId}`)).body;
    expect(view.sellerRemark).toBeNull();
    expect(view.history.some((h) => h.kind === 'remark')).toBe(false);
    expect((await callsOf(tid)).filter((x) => x.kind === 'remark')).toEqual([]);
    // Exactly at the limit (333 × 3 bytes = 999) is fine.
    expect((await s.api('POST', `/api/orders/${orderId}/remark`, { text: '备'.repeat(333) })).status).toBe(200);
  });
});
