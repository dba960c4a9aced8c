// Two `orderhub serve` processes on one PostgreSQL schema for about a minute, with pulls (Taobao and JD simulators),
// payment timeouts coming due (asked of a WeChat Pay fake first), paid orders to route, refunds to send and a webhook
// endpoint: every timer fires once, every event is delivered once, no account is pulled by both at the same time,
// routing and refunds are not doubled; then one process is killed in the middle of a pull and the other takes it over
// once its lease has lapsed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { allBackends, pgUrl } from '../support/backends.ts';
import { adminApi, dropSchema, exited, openStore, spawnHub, type HubProcess, type Query } from '../support/process.ts';
import { orderBody, ownshopHeaders } from '../support/sign.ts';
import { wechatCredentials, wechatFake, type WechatSetup } from '../payments/support/hub.ts';
import { createTaobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';

const token = 'two-hubs-token-0123456789';
const api = adminApi(token);
const LOAD_MS = 60_000;
// Long enough that a process starved of CPU for a few seconds on a busy CI machine still renews in time (renewals run
// every third of it): the no-overlap check below must not depend on the machine's luck.
const LEASE_TTL_S = 6;
const PULL_INTERVAL_S = 2;

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One API request a platform simulator received: which account, which window, and when it was in flight. */
interface PullSeen {
  account: string;
  /** The API method called (TOP `method`, JOS `method`). */
  method: string;
  window: string;
  start: number;
  end: number | null;
}

/**
 * The order pull's window reads: what one process at a time may send for an account (the pull lease). The listing pull,
 * TMC and stock writes call the same APIs beside it under leases of their own.
 */
const orderPull = new Set(['taobao.trades.sold.increment.get', 'jingdong.pop.order.enSearch']);

/** The platforms' APIs on loopback, each simulator under its own prefix, every request logged and optionally slowed. */
async function platformApis() {
  const sims = new Map<string, PlatformSimulator>();
  const seen: PullSeen[] = [];
  /** Per prefix: how long to wait before answering. */
  const delay = new Map<string, number>();
  const windowOf = (q: URLSearchParams, body: string): string => {
    const p = new URLSearchParams(body);
    const from = q.get('start_modified') ?? p.get('start_modified');
    if (from) return `${from}..${q.get('end_modified') ?? p.get('end_modified') ?? ''}`;
    const jd = q.get('360buy_param_json') ?? p.get('360buy_param_json');
    if (jd) {
      const j = JSON.parse(jd) as { start_date?: string; end_date?: string; page?: string };
      return `${j.start_date ?? ''}..${j.end_date ?? ''}#${j.page ?? ''}`;
    }
    return q.get('method') ?? p.get('method') ?? '';
  };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://sim');
      const [, prefix = '', ...rest] = u.pathname.split('/');
      const sim = sims.get(prefix);
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const method = u.searchParams.get('method') ?? form.get('method') ?? '';
      const entry: PullSeen = { account: prefix, method, window: windowOf(u.searchParams, body.toString('utf8')), start: Date.now(), end: null };
      seen.push(entry);
      const answer = () => {
        if (entry.end !== null) return;
        entry.end = Date.now();
        if (!sim) return void res.writeHead(404).end();
        const a = sim.handle({ method: req.method ?? 'GET', path: `/${rest.join('/')}`, query: u.searchParams, headers: req.headers, body });
        res.writeHead(a.status, { 'content-type': 'application/json; charset=utf-8', ...a.headers }).end(a.body);
      };
      // A second per answer by default: a pull run lasts long enough that a second process looking at the account while
      // it runs would start its own, were the lease not there.
      const timer = setTimeout(answer, delay.get(prefix) ?? 1_000);
      // A caller that goes away (a killed hub) ends the request there.
      res.on('close', () => {
        clearTimeout(timer);
        entry.end ??= Date.now();
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    seen,
    delay,
    mount(prefix: string, make: (apiBase: string) => PlatformSimulator): PlatformSimulator {
      const sim = make(`${url}/${prefix}`);
      sims.set(prefix, sim);
      return sim;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A webhook endpoint that counts deliveries per event id. */
async function webhookReceiver() {
  const byEvent = new Map<string, number>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['x-orderhub-event-id']);
      byEvent.set(id, (byEvent.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    byEvent,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const SKUS = ['TH-A', 'TH-B', 'TH-C'];
let simSeq = 0;
function simOrder(id: string, phase: SimOrder['phase']): SimOrder {
  const now = Date.now() - 2_000;
  const n = simSeq++;
  return {
    id,
    phase,
    createdAt: now,
    updatedAt: now,
    currency: 'CNY',
    lines: [{ sku: SKUS[n % SKUS.length] as string, title: '保温杯', quantity: 1, unitPrice: 1999, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: `sim-buyer-${n}`, name: '李四', phone: `1390000${String(n).padStart(4, '0')}` },
    receiver: { name: '李四', phone: `1390000${String(n).padStart(4, '0')}`, province: '浙江省', city: '杭州市', district: '西湖区', address: `文一路 ${n} 号` },
  };
}

const pidOf = (holder: string) => Number(holder.split(':')[1]);

describe.skipIf(!allBackends.some((b) => b.name === 'postgres'))('two hub processes on one PostgreSQL database', () => {
  const schema = `twohubs_${randomBytes(5).toString('hex')}`;
  const dirs: string[] = [];
  const procs: HubProcess[] = [];
  let apis: Awaited<ReturnType<typeof platformApis>>;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  let wx: WechatSetup;
  let store: { query: Query; close: () => Promise<void> };

  const env = () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderhub-twohubs-'));
    dirs.push(dir);
    return {
      ORDERHUB_ADMIN_TOKEN: token,
      ORDERHUB_DATA_DIR: dir,
      // Both processes read what the other encrypted (shop credentials, payment keys): one data key.
      ORDERHUB_DATA_KEYS: `twohubs:${Buffer.alloc(32, 9).toString('base64')}`,
      DATABASE_URL: pgUrl,
      ORDERHUB_PG_SCHEMA: schema,
      ORDERHUB_DEMO: '0',
      ORDERHUB_LEASE_TTL_SECONDS: String(LEASE_TTL_S),
      ORDERHUB_PULL_INTERVAL_SECONDS: String(PULL_INTERVAL_S),
      ORDERHUB_PULL_LOOKBACK_HOURS: '1',
      ORDERHUB_PULL_OVERLAP_MINUTES: '1',
      // Every unpaid order is due for its payment timeout at once.
      ORDERHUB_PAYMENT_TIMEOUT_MINUTES: '0',
      ORDERHUB_AUTO_ROUTING: 'true',
      ORDERHUB_AUTO_ROUTING_INTERVAL_SECONDS: '1',
      ORDERHUB_AUTO_ROUTING_MERGE_WINDOW_MINUTES: '0',
      ORDERHUB_APPROVALS: 'none',
    };
  };

  beforeAll(async () => {
    apis = await platformApis();
    hooks = await webhookReceiver();
    wx = await wechatFake();
    procs.push(await spawnHub(env()));
    procs.push(await spawnHub(env()));
    store = await openStore('postgres', '', schema);
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => exited(p.child)));
    await store?.close();
    await apis?.close();
    await hooks?.close();
    await wx?.close();
    await dropSchema(schema);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('runs every job once, and hands a killed process’s pull to the other when its lease lapses', async () => {
    const [a, b] = procs as [HubProcess, HubProcess];
    const q = store.query;
    const n = async (sql: string) => Number((await q(sql))[0]?.n ?? 0);

    // Set up through the first process: a shop that pushes, a WeChat Pay account for it, stock, a warehouse, two
    // pulled platform accounts and a webhook endpoint for every event.
    const shop = await api(a.url, 'POST', '/api/channel-accounts', { platform: 'ownshop', name: 'web', credentials: { secret: 'two-hubs-secret' } });
    expect(shop.status).toBe(201);
    const shopId = shop.body.id as string;
    const pay = await api(a.url, 'POST', '/api/payment-accounts', {
      provider: 'wechatpay',
      name: 'wx',
      credentials: wechatCredentials(wx.apiBase),
      channelAccounts: [shopId],
      orderRef: 'platform_order_id',
    });
    expect(pay.status, JSON.stringify(pay.body)).toBe(201);
    expect((await api(a.url, 'PUT', '/api/warehouses/WH1', { regions: ['*'], priority: 1 })).status).toBe(200);
    for (const sku of SKUS) expect((await api(a.url, 'PUT', `/api/stock/${sku}`, { warehouse: 'WH1', onHand: 100_000, reason: 'test count' })).status).toBe(200);
    const taobao = apis.mount('taobao', (apiBase) => createTaobaoSimulator({ apiBase, seed: 'two-hubs' }));
    const jd = apis.mount('jd', (apiBase) => jdSimulator({ apiBase, seed: 'two-hubs' }));
    const tb = await api(a.url, 'POST', '/api/channel-accounts', { platform: 'taobao', name: 'tb', credentials: taobao.credentials });
    const jdAcct = await api(a.url, 'POST', '/api/channel-accounts', { platform: 'jd', name: 'jd', credentials: jd.credentials });
    expect([tb.status, jdAcct.status]).toEqual([201, 201]);
    const accounts = { taobao: tb.body.id as string, jd: jdAcct.body.id as string };
    const hook = await api(b.url, 'POST', '/api/webhooks', { url: hooks.url, events: ['*'] });
    expect(hook.status).toBe(201);
    const endpointId = hook.body.id as string;

    // Who holds each pull lease while it runs, and each watermark over time (it must never go backwards).
    const pullHolders = { taobao: new Set<number>(), jd: new Set<number>() };
    const watermarks = new Map<string, number[]>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const r of await q(`SELECT name, holder FROM job_leases WHERE name LIKE 'pull:%' AND expires_at > ${Date.now()}`)) {
          const which = r.name === `pull:${accounts.taobao}` ? 'taobao' : r.name === `pull:${accounts.jd}` ? 'jd' : null;
          if (which) pullHolders[which].add(pidOf(String(r.holder)));
        }
        for (const r of await q('SELECT account_id, watermark FROM pull_state')) {
          const list = watermarks.get(String(r.account_id)) ?? [];
          list.push(Number(r.watermark));
          watermarks.set(String(r.account_id), list);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    // About a minute of work, pushed to both processes in turn.
    const unpaid: string[] = [];
    const paidByQuery: { orderId: string; orderNo: string }[] = [];
    const paid: string[] = [];
    const push = async (url: string, body: ReturnType<typeof orderBody>) => {
      const raw = JSON.stringify(body);
      const r = await fetch(`${url}/hooks/ownshop/${shopId}`, { method: 'POST', headers: ownshopHeaders('two-hubs-secret', raw), body: raw });
      expect(r.status).toBe(200);
      return ((await r.json()) as { orders: { orderNo: string }[] }).orders[0]?.orderNo as string;
    };
    const loadStart = Date.now();
    for (let i = 0; Date.now() - loadStart < LOAD_MS; i++) {
      const url = i % 2 === 0 ? a.url : b.url;
      const sku = SKUS[i % SKUS.length] as string;
      const kind = i % 10;
      if (kind < 4) {
        const body = orderBody({ lines: [{ sku, quantity: 1, unitPrice: 1999 }] });
        await push(url, body);
        unpaid.push(body.orderId);
      } else if (kind < 7) {
        // WeChat has the payment, the notice was lost: the timeout's query finds it and the order is paid.
        const body = orderBody({ lines: [{ sku, quantity: 1, unitPrice: 1999 }] });
        wx.fake.addPayment({ outTradeNo: body.orderId, total: 1999 });
        paidByQuery.push({ orderId: body.orderId, orderNo: await push(url, body) });
      } else {
        const body = orderBody({ status: 'paid', paidAmount: 1999, lines: [{ sku, quantity: 1, unitPrice: 1999 }] });
        await push(url, body);
        paid.push(body.orderId);
      }
      if (i % 8 === 0) {
        taobao.record(simOrder(`4000000000${String(i).padStart(9, '0')}`, 'paid'), '');
        jd.record(simOrder(`30${String(i).padStart(10, '0')}`, i % 16 === 0 ? 'created' : 'paid'), '');
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const loadEnd = Date.now();

    // Refunds, asked of both processes in turn, once the timeout's query has paid their orders.
    await until('orders paid by the query', async () => (await n(`SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND platform_order_id IN (${paidByQuery.map((p) => `'${p.orderId}'`).join(', ')})`)) === paidByQuery.length);
    const refunds: string[] = [];
    for (const [i, p] of paidByQuery.entries()) {
      const r = await api(i % 2 === 0 ? a.url : b.url, 'POST', `/api/orders/${p.orderNo}/refunds`, { amount: 1, reason: 'two hubs' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      refunds.push(r.body.outRefundNo as string);
    }

    // Everything settles: no timer left, every event fanned out and delivered, every paid order routed, every refund sent.
    await until('payment timeouts all fired', async () => (await n(`SELECT COUNT(*) AS n FROM timers WHERE kind = 'payment_timeout' AND state = 'pending'`)) === 0);
    await until('every paid order routed', async () =>
      (await n(`SELECT COUNT(*) AS n FROM orders WHERE status = 'paid' AND dispatch_plan_id IS NULL AND hold_code IS NULL AND reservation_state = 'deducted'`)) === 0,
    );
    await until('every refund sent', () => refunds.every((no) => wx.fake.refunds.has(no)));
    const registeredAt = Number((await q(`SELECT created_at FROM webhook_endpoints WHERE id = '${endpointId}'`))[0]?.created_at);
    await until('every event delivered', async () => {
      const events = await n(`SELECT COUNT(*) AS n FROM outbox WHERE created_at >= ${registeredAt}`);
      const delivered = await n(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE state = 'delivered'`);
      return delivered === events && hooks.byEvent.size === events;
    });
    sampling = false;
    await sampler;

    // Every payment timeout fired once: one query to WeChat per order, one cancel per unpaid order, one payment per paid one.
    const queries = new Map<string, number>();
    for (const r of wx.fake.requests) {
      const m = /\/v3\/pay\/transactions\/out-trade-no\/([^?]+)/.exec(r.url);
      if (m) queries.set(m[1] as string, (queries.get(m[1] as string) ?? 0) + 1);
    }
    for (const id of [...unpaid, ...paidByQuery.map((p) => p.orderId)]) expect(queries.get(id), `WeChat asked about ${id}`).toBe(1);
    expect(await q(`SELECT order_id FROM order_history WHERE cause = 'timer: payment timeout' GROUP BY order_id HAVING COUNT(*) > 1`)).toEqual([]);
    expect(await n(`SELECT COUNT(*) AS n FROM orders WHERE cancel_cause = 'payment_timeout' AND platform_order_id IN (${unpaid.map((o) => `'${o}'`).join(', ')})`)).toBe(unpaid.length);
    expect(await q(`SELECT order_id FROM order_history WHERE to_status = 'paid' GROUP BY order_id HAVING COUNT(*) > 1`)).toEqual([]);
    // A fired timer was worked once; one that found its order paid was cancelled by that payment without firing.
    expect(await q(`SELECT id, attempts FROM timers WHERE kind = 'payment_timeout' AND state = 'done' AND attempts <> 1`)).toEqual([]);

    // Every event delivered once, each in one attempt.
    expect([...hooks.byEvent.values()].filter((c) => c !== 1)).toEqual([]);
    expect(await n(`SELECT COUNT(*) AS n FROM webhook_deliveries WHERE attempts <> 1`)).toBe(0);

    // Routing not doubled: every routed order is in exactly one plan, and neither process saw its batch lose a race.
    const plans = await q('SELECT order_ids FROM dispatch_plans');
    const planned = plans.flatMap((p) => JSON.parse(String(p.order_ids)) as string[]);
    expect(new Set(planned).size).toBe(planned.length);
    expect(planned.length).toBeGreaterThanOrEqual(paid.length);
    for (const p of procs) expect(p.output()).not.toContain('auto-routing batch failed');

    // Refunds not doubled: each out_refund_no was sent to WeChat once.
    const refundCalls = wx.fake.requests.filter((r) => r.method === 'POST' && r.url.startsWith('/v3/refund/domestic/refunds'));
    const perRefund = new Map<string, number>();
    for (const r of refundCalls) {
      const no = (JSON.parse(r.body) as { out_refund_no: string }).out_refund_no;
      perRefund.set(no, (perRefund.get(no) ?? 0) + 1);
    }
    for (const no of refunds) expect(perRefund.get(no), `refund ${no} sent`).toBe(1);

    // Pulls: an account's requests never overlapped in time (one process pulled it at a time), pulls ran about once per
    // interval (not once per process), at least one process pulled each account, and no watermark went backwards.
    for (const account of ['taobao', 'jd'] as const) {
      const reqs = apis.seen.filter((s) => s.account === account && s.end !== null && s.start >= loadStart && orderPull.has(s.method)).sort((x, y) => x.start - y.start);
      expect(reqs.length).toBeGreaterThan(5);
      for (let i = 1; i < reqs.length; i++) expect(reqs[i]!.start, `${account} request ${reqs[i]!.window} began before the previous one ended`).toBeGreaterThanOrEqual(reqs[i - 1]!.end!);
      const runs = await n(`SELECT COUNT(*) AS n FROM pull_log WHERE account_id = '${accounts[account]}' AND started_at >= ${loadStart} AND started_at <= ${loadEnd}`);
      // Pulls did run (how many depends on how busy the machine is), and never more often than one per interval:
      // two processes pulling the same account each on its own schedule would double that.
      expect(runs).toBeGreaterThanOrEqual(3);
      expect(runs).toBeLessThanOrEqual(Math.ceil((loadEnd - loadStart) / (PULL_INTERVAL_S * 1000)) + 2);
      expect(pullHolders[account].size).toBeGreaterThanOrEqual(1);
      for (const pid of pullHolders[account]) expect([a.child.pid, b.child.pid]).toContain(pid);
      const marks = watermarks.get(accounts[account]) ?? [];
      for (let i = 1; i < marks.length; i++) expect(marks[i]).toBeGreaterThanOrEqual(marks[i - 1]!);
    }
    console.info(
      `[two hubs] ${unpaid.length} timed out, ${paidByQuery.length} paid by query (${refunds.length} refunds), ${paid.length} paid, ${hooks.byEvent.size} webhook events; ` +
        `pull lease holders: taobao ${[...pullHolders.taobao].join(',')}, jd ${[...pullHolders.jd].join(',')} (hubs ${a.child.pid}, ${b.child.pid})`,
    );

    // Kill the process pulling Taobao while its request hangs; the other takes the pull over once the lease lapses.
    apis.delay.set('taobao', 120_000);
    const slowFrom = Date.now();
    taobao.record(simOrder('4000000000999999999', 'paid'), '');
    const hanging = await until('a Taobao pull to hang', () => apis.seen.find((s) => s.account === 'taobao' && orderPull.has(s.method) && s.end === null && s.start >= slowFrom), 30_000);
    const held = await until('the hanging pull’s lease', async () => (await q(`SELECT holder, token FROM job_leases WHERE name = 'pull:${accounts.taobao}' AND expires_at > ${Date.now()}`))[0]);
    const victim = procs.find((p) => p.child.pid === pidOf(String(held.holder))) as HubProcess;
    const survivor = victim === a ? b : a;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    await exited(victim.child);
    apis.delay.delete('taobao');
    // The dead process's connection closes with it: its request ends there, unanswered.
    await until('the hanging request to end with its caller', () => hanging.end !== null, 10_000);
    const lapsed = (await q(`SELECT holder, token, expires_at FROM job_leases WHERE name = 'pull:${accounts.taobao}'`))[0] as { holder: string; token: number; expires_at: number };
    expect(pidOf(lapsed.holder)).toBe(victim.child.pid);
    const takeover = await until(
      'the survivor to pull Taobao',
      () => apis.seen.find((s) => s.account === 'taobao' && orderPull.has(s.method) && s.start > killedAt && s.end !== null),
      30_000,
    );
    // Not before the dead process's lease ran out (same host: one clock), and under a new token held by the survivor.
    expect(takeover.start).toBeGreaterThanOrEqual(Number(lapsed.expires_at) - 50);
    const after = await until('the survivor’s pull recorded', async () => {
      const r = await q(`SELECT COUNT(*) AS n FROM pull_log WHERE account_id = '${accounts.taobao}' AND started_at > ${killedAt} AND error_code IS NULL`);
      return Number(r[0]?.n) > 0 ? r : null;
    });
    expect(after).toBeTruthy();
    console.info(`[two hubs] killed ${victim.child.pid} mid-pull; its lease lapsed ${Number(lapsed.expires_at) - killedAt} ms later; ${survivor.child.pid} pulled Taobao ${takeover.start - killedAt} ms after the kill`);
    const now = (await q(`SELECT holder, token FROM job_leases WHERE name = 'pull:${accounts.taobao}'`))[0] as { holder: string; token: number };
    expect(pidOf(now.holder)).toBe(survivor.child.pid);
    expect(Number(now.token)).toBeGreaterThan(Number(lapsed.token));
    await until('the order the hanging pull was after', async () => (await n(`SELECT COUNT(*) AS n FROM orders WHERE platform_order_id = '4000000000999999999'`)) === 1);

    // The survivor also leads what the dead process led: events of new work are delivered once, its timer fires once.
    const late = orderBody({ lines: [{ sku: 'TH-A', quantity: 1, unitPrice: 1999 }] });
    await push(survivor.url, late);
    await until('the late order timed out', async () => (await n(`SELECT COUNT(*) AS n FROM orders WHERE platform_order_id = '${late.orderId}' AND status = 'cancelled'`)) === 1);
    await until('its events delivered', async () => {
      const events = await n(`SELECT COUNT(*) AS n FROM outbox WHERE created_at >= ${registeredAt}`);
      return hooks.byEvent.size === events;
    });
    expect([...hooks.byEvent.values()].filter((c) => c !== 1)).toEqual([]);
    await until('the survivor to lead the relay and routing', async () => {
      const leaders = await q(`SELECT name, holder FROM job_leases WHERE (name LIKE 'outbox:%' OR name = 'routing') AND expires_at > ${Date.now()}`);
      return leaders.length >= 3 && leaders.every((l) => pidOf(String(l.holder)) === survivor.child.pid);
    });
  }, 300_000);
});
