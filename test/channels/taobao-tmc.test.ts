// Taobao's message service (TMC) over HTTP as the hub's near-real-time feed: a trade changed on the simulated TOP is
// published to the shop's queue, the hub's consumer takes it (taobao.tmc.messages.consume), reads the trade
// (taobao.trade.fullinfo.get), stores it like a pull and only then confirms it (taobao.tmc.messages.confirm). A crash
// between storing and confirming loses nothing (TMC delivers the message again) and doubles nothing (the same raw event
// id). Every TMC request is checked by the test's own TOP signer. The last block measures the status-sync delay from a
// change on the platform to the hub's anchor with the consumer at its default pace (figures in docs/benchmarks.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { createTaobaoSimulator, type TaobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { SimOrder, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { tmcConfirm, tmcConsume, tmcPermit } from '../../src/modules/channels/connectors/taobao/tmc.ts';
import type { TaobaoCredentials } from '../../src/modules/channels/connectors/taobao/index.ts';
import { TmcConsumer, defaultTmcOptions } from '../../src/modules/channels/tmc-consumer.ts';
import { createLogger } from '../../src/platform/log.ts';
import { ourTopSign } from '../support/platform-signers.ts';

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
let seq = 0;
const newTid = () => `${Date.now()}${String(++seq).padStart(3, '0')}${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}`;

function simOrder(id: string, phase: SimOrder['phase'], updatedAt = Date.now()): SimOrder {
  return {
    id,
    phase,
    createdAt: updatedAt - 120_000,
    updatedAt,
    currency: 'CNY',
    lines: [{ sku: 'TMC-1', title: '茶杯', quantity: 1, unitPrice: 1990, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

/** The simulated TOP with unconfirmed messages coming back after `redeliverMs`. */
const tmcSim = (redeliverMs: number): SimulatorFactory => (o) => createTaobaoSimulator({ ...o, tmcRedeliverMs: redeliverMs });

interface Recorded {
  url: string;
  params: Record<string, string>;
}

/** Records every TOP request where the simulator receives it (the hub's fetch may run in another thread). */
function recordAt(sim: TaobaoSimulator, out: Recorded[]): void {
  const handle = sim.handle.bind(sim);
  sim.handle = (req) => {
    out.push({ url: req.path, params: Object.fromEntries(new URLSearchParams(req.body.toString('utf8'))) });
    return handle(req);
  };
}

const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('TMC requests, checked by the test’s own TOP signer', () => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it('permits, consumes and confirms, each call signed; nothing is queued before the permit; a tampered byte is refused; an unconfirmed message comes back', async () => {
    const sim = sims.mount('tmc-sig', tmcSim(200), 'sig') as TaobaoSimulator;
    const secret = (sim.credentials as { appSecret: string }).appSecret;
    const seen: Recorded[] = [];
    recordAt(sim, seen);
    const ctx = { credentials: sim.credentials as unknown as TaobaoCredentials, fetch, now: Date.now };
    sim.record(simOrder(newTid(), 'paid'), '');
    expect(sim.tmcPending()).toEqual([]);

    await tmcPermit(ctx);
    const tid = newTid();
    sim.record(simOrder(tid, 'created'), '');
    sim.record(simOrder(tid, 'paid'), '');
    const got = await tmcConsume(ctx, 'default', 10);
    expect(got.map((m) => [m.topic, m.tid])).toEqual([
      ['taobao_trade_TradeCreate', tid],
      ['taobao_trade_TradeBuyerPay', tid],
    ]);
    expect(got.every((m) => /^\d{19}$/.test(m.id))).toBe(true);
    // Taken, not confirmed: not handed out again at once…
    expect(await tmcConsume(ctx, 'default', 10)).toEqual([]);
    // …but after the redelivery time.
    await until('redelivery', async () => (await tmcConsume(ctx, 'default', 10)).length === 2);
    await tmcConfirm(ctx, 'default', got.map((m) => m.id));
    expect(sim.tmcPending()).toEqual([]);

    const methods = seen.map((x) => x.params.method);
    expect([methods[0], methods.at(-1)]).toEqual(['taobao.tmc.user.permit', 'taobao.tmc.messages.confirm']);
    expect(new Set(methods.slice(1, -1))).toEqual(new Set(['taobao.tmc.messages.consume']));
    for (const x of seen) expect(x.params.sign, x.params.method).toBe(ourTopSign(x.params, secret));
    expect(seen.at(-1)?.params.s_message_ids).toBe(got.map((m) => m.id).join(','));

    // A confirm with one id changed after signing: TOP's code 25, and nothing is confirmed.
    sim.record(simOrder(tid, 'shipped'), '');
    const [m] = await tmcConsume(ctx, 'default', 10);
    const confirm = seen.at(-1) as Recorded;
    const url = `${String((sim.credentials as { apiBase: string }).apiBase)}/router/rest`;
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...confirm.params, s_message_ids: m?.id ?? '' }).toString() });
    expect(((await res.json()) as { error_response?: { code?: number } }).error_response?.code).toBe(25);
    expect(sim.tmcPending().map((x) => x.topic)).toEqual(['taobao_trade_TradeSellerShip']);
  });
});

interface OrderView {
  status: string;
  platformStatus: string;
}

describe.each(httpBackends)('TMC into the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: TaobaoSimulator;
  let account: string;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    // The hub's own consumer off: each test drives consumers by hand (a crash is a consumer that never confirms).
    s = await startServer(backend, {}, { tmc: { pollMs: 0 } });
    sim = sims.mount('taobao', tmcSim(300), `tmc-${backend.name}`) as TaobaoSimulator;
    recordAt(sim, seen);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'Taobao TMC shop', credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    account = a.body.id;
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  const consumer = (f: typeof fetch = fetch) => new TmcConsumer(s.hub.db, s.hub.accounts, s.hub.writes, createLogger('silent'), { ...defaultTmcOptions, pollMs: 0 }, f);
  const view = async (tid: string): Promise<OrderView | null> => {
    const found = await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?platformOrderId=${tid}`);
    const no = found.body.items[0]?.orderNo;
    return no ? (await s.api<OrderView>('GET', `/api/orders/${no}`)).body : null;
  };
  const rawEvents = async (tid: string) =>
    s.hub.db.read.all<{ event_id: string }>('SELECT event_id FROM raw_events WHERE account_id = ? AND event_id LIKE ? ORDER BY id', [account, `pull:${tid}@%`]);

  it('brings a trade change to the hub through consume, and confirms only after it is stored', async () => {
    const c = consumer();
    await c.runDue(); // the first pass opens the shop's topics
    const tid = newTid();
    sim.record(simOrder(tid, 'paid', Date.now() - 5_000), '');
    const pass = await c.runDue();
    expect(pass).toEqual([{ accountId: account, consumed: 2, stored: 1, confirmed: 2 }]);
    expect(await view(tid)).toMatchObject({ status: 'paid', platformStatus: 'WAIT_SELLER_SEND_GOODS' });
    expect(sim.tmcPending()).toEqual([]);
    // Confirmed after the read of the trade, never before it.
    const methods = seen.map((x) => x.params.method);
    const read = methods.lastIndexOf('taobao.trade.fullinfo.get');
    expect(read).toBeGreaterThan(-1);
    expect(methods.lastIndexOf('taobao.tmc.messages.confirm')).toBeGreaterThan(read);

    sim.record(simOrder(tid, 'cancelled', Date.now()), '');
    expect((await c.runDue())[0]).toMatchObject({ consumed: 1, stored: 1, confirmed: 1 });
    expect(await view(tid)).toMatchObject({ status: 'cancelled', platformStatus: 'TRADE_CLOSED' });
    expect((await rawEvents(tid)).length).toBe(2);
  });

  it('loses nothing and doubles nothing when the consumer dies between storing and confirming', async () => {
    // The first consumer stores the trade, then its confirm never reaches TMC (the process died there).
    const dying: typeof fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (new URLSearchParams(body).get('method') === 'taobao.tmc.messages.confirm') throw new Error('the process died');
      return fetch(input, init);
    };
    await consumer().runDue();
    const tid = newTid();
    sim.record(simOrder(tid, 'paid', Date.now() - 5_000), '');
    expect(await consumer(dying).runDue()).toEqual([]);
    expect(await view(tid)).toMatchObject({ status: 'paid' });
    expect(sim.tmcPending().map((m) => [m.tid, m.delivered])).toEqual([
      [tid, true],
      [tid, true],
    ]);
    // A new consumer (the restarted process): the messages come back once TMC redelivers them, the repeat stores
    // nothing new, and they are confirmed.
    const next = consumer();
    const pass = await until('redelivered messages', async () => {
      const r = await next.runDue();
      return r[0] && r[0].consumed > 0 ? r[0] : null;
    });
    expect(pass).toMatchObject({ consumed: 2, stored: 0, confirmed: 2 });
    expect(sim.tmcPending()).toEqual([]);
    expect(await rawEvents(tid)).toHaveLength(1);
    const found = await s.api<{ items: unknown[] }>('GET', `/api/orders?platformOrderId=${tid}`);
    expect(found.body.items).toHaveLength(1);
  });
});

describe('status-sync delay through TMC, measured (the hub’s consumer at its default pace)', () => {
  let s: TestServer;
  let sims: SimulatorServer;
  let sim: TaobaoSimulator;
  const backend = httpBackends.find((b) => b.name === 'sqlite with writer thread') ?? (httpBackends[0] as (typeof httpBackends)[number]);

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { tmc: { pollMs: defaultTmcOptions.pollMs } });
    sim = sims.mount('taobao', tmcSim(60_000), 'delay') as TaobaoSimulator;
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'Taobao delay shop', credentials: sim.credentials });
    expect(a.status).toBe(201);
    // The consumer opens the shop's topics on its first pass.
    // (The simulator answers a call in the tick it counts it: a call counted means the permit is in.)
    await until('the permit', async () => sim.stats.calls > 0, 30_000);
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it(`moves the anchor within a median of 30 s of the platform's change (consumer every ${defaultTmcOptions.pollMs / 1000} s)`, async () => {
    const n = 30;
    const tids = Array.from({ length: n }, newTid);
    const changedAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    // The watcher reads every 25 ms which of the changed orders the hub shows as paid.
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        const waiting = tids.filter((t) => changedAt.has(t) && !seenAt.has(t));
        if (waiting.length) {
          const rows = await s.hub.db.read.all<{ platform_order_id: string; status: string }>(
            `SELECT platform_order_id, status FROM orders WHERE platform_order_id IN (${waiting.map(() => '?').join(',')})`,
            waiting,
          );
          const now = Date.now();
          for (const r of rows) if (r.status === 'paid') seenAt.set(r.platform_order_id, now);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    // Changes at random moments over about 20 s, each a buyer paying (TradeBuyerPay).
    for (const tid of tids) {
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 1300)));
      const at = Date.now();
      sim.record(simOrder(tid, 'paid', at), '');
      changedAt.set(tid, at);
    }
    await until('every change in the hub', async () => seenAt.size === n, 60_000);
    stop = true;
    await watcher;
    const delays = tids.map((t) => (seenAt.get(t) as number) - (changedAt.get(t) as number)).sort((a, b) => a - b);
    const pick = (q: number) => delays[Math.min(n - 1, Math.ceil(q * n) - 1)] as number;
    const median = (delays[n / 2 - 1]! + delays[n / 2]!) / 2;
    console.log(`TMC status-sync delay on ${backend.name}, n=${n}, consumer every ${defaultTmcOptions.pollMs} ms: median ${median} ms, p99 ${pick(0.99)} ms, max ${delays[n - 1]} ms`);
    expect(median).toBeLessThanOrEqual(30_000);
  }, 120_000);
});
