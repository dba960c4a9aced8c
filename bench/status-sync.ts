// Status-sync benchmark (`npm run bench:status-sync`): how long a change on a platform (a buyer paying, cancelling, the
// shop shipping) takes to show on the hub's anchor (orders.status), for every channel, with the hub's real default
// schedules: Taobao through its message service (TMC consumer every 3 s), JD and PDD pulled every 30 s, Shopify,
// WooCommerce, Douyin and Shopee by their pushes (Douyin's and Shopee's carry only the order id: the hub fetches the
// order at once), the own shop by its signed push. A hub child process (SQLite with its writer thread); the platform
// simulators in this process, delivering each push the moment the platform changes (a real platform adds its own
// delay before it pushes, not measured here). Changes at seeded random moments over a window covering several pull
// intervals; the anchor is read every 50 ms from the database. Reports n, median, p99 and max per channel.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import { HubClient } from './lib/client.ts';
import { rng, signature } from './lib/orders.ts';
import { freePort, startServer } from './lib/server.ts';
import { sqliteStore } from './lib/store.ts';
import { startSimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import { jdSimulator } from '../src/sandbox/simulators/jd.ts';
import { pinduoduoSimulator } from '../src/sandbox/simulators/pinduoduo.ts';
import { douyinSimulator } from '../src/sandbox/simulators/douyin.ts';
import { shopeeSimulator } from '../src/sandbox/simulators/shopee.ts';
import { shopifySimulator } from '../src/sandbox/simulators/shopify.ts';
import { woocommerceSimulator } from '../src/sandbox/simulators/woocommerce.ts';
import type { PlatformSimulator, SimOrder, SimPhase, SimPush, SimulatorFactory } from '../src/sandbox/simulators/types.ts';
import { defaultPollerOptions } from '../src/modules/channels/poller.ts';
import { defaultTmcOptions } from '../src/modules/channels/tmc-consumer.ts';
import { defaults } from '../src/platform/config.ts';

const simulated: Record<string, SimulatorFactory> = {
  taobao: taobaoSimulator,
  jd: jdSimulator,
  pinduoduo: pinduoduoSimulator,
  douyin: douyinSimulator,
  shopee: shopeeSimulator,
  shopify: shopifySimulator,
  woocommerce: woocommerceSimulator,
};
const allChannels = [...Object.keys(simulated), 'ownshop'];

const { values } = parseArgs({
  options: {
    'per-channel': { type: 'string', default: '24' },
    window: { type: 'string', default: '150' },
    channels: { type: 'string', default: allChannels.join(',') },
    seed: { type: 'string', default: '17' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run bench:status-sync -- [--per-channel 24] [--window 150] [--channels taobao,jd,…] [--seed 17]
  --per-channel N  platform changes per channel (a third each: paid, cancelled, shipped; on JD and PDD, which
                   show no unpaid order, "paid" is the order's first appearance and "cancelled" cancels a paid one)
  --window S       the changes fall at random moments over S seconds (cover several 30 s pull intervals)
  --channels LIST  default: ${allChannels.join(', ')}`);
  process.exit(0);
}
const perChannel = Number(values['per-channel']);
const windowMs = Number(values.window) * 1000;
const channels = String(values.channels).split(',').map((s) => s.trim()).filter(Boolean);
for (const c of channels) if (!allChannels.includes(c)) throw new Error(`unknown channel ${c} (have ${allChannels.join(', ')})`);
if (!Number.isInteger(perChannel) || perChannel < 1) throw new Error('--per-channel must be a whole number >= 1');
const random = rng(Number(values.seed));

/** How each channel's changes reach the hub with the default settings (for the report). */
function feedOf(channel: string): string {
  const pullS = Math.min(defaults.pullIntervalSeconds * 1000, defaultPollerOptions.intervalByPlatformMs?.[channel] ?? Number.POSITIVE_INFINITY) / 1000;
  if (channel === 'taobao') return `TMC every ${defaultTmcOptions.pollMs / 1000} s`;
  if (channel === 'jd' || channel === 'pinduoduo') return `pull every ${pullS} s`;
  if (channel === 'douyin' || channel === 'shopee') return 'push (id) + fetch';
  return 'push';
}

/** The anchors that show a platform change: shipped may read as completed where the platform has no "shipped" (WooCommerce). */
const shows: Record<'paid' | 'cancelled' | 'shipped', string[]> = { paid: ['paid'], cancelled: ['cancelled'], shipped: ['shipped', 'delivered', 'completed'] };
type Target = keyof typeof shows;

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
const sku = 'SYNC-1';

function simOrder(id: string, phase: SimPhase): SimOrder {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return {
    id,
    phase,
    createdAt: now - 60_000,
    updatedAt: now - 30_000,
    currency: 'CNY',
    lines: [{ sku, title: '茶杯', quantity: 1, unitPrice: 1990, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

/** An order id the channel takes (the simulators keep numeric ids up to 15 digits as numbers). */
function orderId(channel: string, c: number, k: number): string {
  const n = `1${String(Date.now() % 1e6).padStart(6, '0')}${c}${String(k).padStart(5, '0')}`;
  if (channel === 'pinduoduo') return `261207-${n.padStart(15, '0')}`;
  if (channel === 'shopee') return `251207${n.slice(-8)}SB`;
  if (channel === 'ownshop') return `OWN-${n}`;
  return n;
}

interface Tracked {
  channel: string;
  id: string;
  order: SimOrder;
  target: Target;
  /**
   * What the hub shows before the change. JD and PDD never show a seller an unpaid order: there a buyer paying is the
   * order's first appearance (`absent` until then).
   */
  start: 'absent' | 'pending_payment' | 'paid';
  /** Offset of the change in the window (ms). */
  offset: number;
  changedAt?: number;
  seenAt?: number;
}

interface Channel {
  channel: string;
  accountId: string;
  sim: PlatformSimulator | null;
  hook: string;
  secret: string;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
function median(sorted: number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const m = sorted.length / 2;
  return sorted.length % 2 ? (sorted[Math.floor(m)] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2;
}

async function main(): Promise<void> {
  const store = sqliteStore();
  const sims = await startSimulatorServer();
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  // The hub's defaults for every schedule (pulls, TMC); only routing and the payment timeout are kept out of the way.
  const server = await startServer({ ...store.env, ORDERHUB_ADMIN_TOKEN: token, LOG_LEVEL: 'warn', ORDERHUB_AUTO_ROUTING: 'false', ORDERHUB_PAYMENT_TIMEOUT_MINUTES: '1440' }, port);
  const client = new HubClient(port, token, 8);
  const base = `http://127.0.0.1:${port}`;
  let db: BetterSqlite3.Database | null = null;
  const inFlight = new Set<Promise<void>>();
  const deliver = (url: string, headers: Record<string, string>, body: string | Buffer) => {
    const p = fetch(url, { method: 'POST', headers, body })
      .then(async (r) => {
        await r.arrayBuffer();
        if (!r.ok) console.log(`  a push to ${url} answered ${r.status}`);
      })
      .catch((e: unknown) => console.log(`  a push to ${url} failed: ${String(e)}`))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  try {
    await client.setStock(sku, 'WH1', 1_000_000);
    const tracked: Tracked[] = [];
    const byChannel = new Map<string, Channel>();
    let tmcPermitted = false;
    for (const [c, channel] of channels.entries()) {
      const orders: Tracked[] = [];
      for (let k = 0; k < perChannel; k++) {
        // A third each: created → paid, created → cancelled, paid → shipped.
        const target: Target = (['paid', 'cancelled', 'shipped'] as const)[k % 3] as Target;
        const id = orderId(channel, c, k);
        const unseenUnpaid = channel === 'jd' || channel === 'pinduoduo';
        const start = target === 'paid' ? (unseenUnpaid ? 'absent' : 'pending_payment') : target === 'cancelled' && !unseenUnpaid ? 'pending_payment' : 'paid';
        orders.push({ channel, id, order: simOrder(id, start === 'paid' ? 'paid' : 'created'), target, start, offset: Math.floor(random() * windowMs) });
      }
      tracked.push(...orders);
      let sim: PlatformSimulator | null = null;
      let secret = '';
      let credentials: unknown;
      if (channel === 'ownshop') {
        secret = randomBytes(16).toString('hex');
        credentials = { secret };
      } else {
        sim = sims.mount(`${channel}-status`, simulated[channel] as SimulatorFactory, 'status-bench');
        credentials = sim.credentials;
        if (channel === 'taobao') {
          const handle = sim.handle.bind(sim);
          sim.handle = (req) => {
            if (!tmcPermitted && /taobao\.tmc\.user\.permit/.test(`${req.query.toString()} ${req.body.toString('utf8')}`)) tmcPermitted = true;
            return handle(req);
          };
        }
      }
      // Pull-only channels keep their orders before the account exists, so the account's first pull finds them.
      const pushes: SimPush[][] = [];
      const pullOnly = channel === 'jd' || channel === 'pinduoduo' || channel === 'taobao';
      if (pullOnly && sim) for (const o of orders) if (o.start !== 'absent') sim.record(o.order, '');
      const a = await client.api<{ id: string }>('POST', '/channel-accounts', { platform: channel, name: `${channel} status bench`, credentials });
      const ch: Channel = { channel, accountId: a.id, sim, hook: `${base}/hooks/${channel}/${a.id}`, secret };
      byChannel.set(channel, ch);
      if (!pullOnly) {
        for (const o of orders) {
          if (o.start === 'absent') continue;
          if (sim) pushes.push(sim.record(o.order, ch.hook));
          else sendOwn(ch, o, o.order.phase === 'paid' ? 'paid' : 'pending_payment');
        }
        for (const ps of pushes) for (const p of ps) deliver(ch.hook, p.headers, p.body);
      }
    }

    function sendOwn(ch: Channel, o: Tracked, status: string): void {
      const now = Date.now();
      const body = Buffer.from(
        JSON.stringify({
          orderId: o.id,
          status,
          createdAt: new Date(o.order.createdAt).toISOString(),
          updatedAt: new Date(Math.max(now, o.order.updatedAt + 1)).toISOString(),
          currency: 'CNY',
          buyer: { id: 'b', name: '买家' },
          receiver,
          lines: [{ sku, title: '茶杯', quantity: 1, unitPrice: 1990, discount: 0 }],
          shippingFee: 0,
          paidAmount: status === 'pending_payment' || status === 'cancelled' ? 0 : 1990,
        }),
      );
      o.order = { ...o.order, updatedAt: Math.max(now, o.order.updatedAt + 1) };
      const ts = Math.floor(now / 1000);
      deliver(ch.hook, { 'content-type': 'application/json', 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': signature(ch.secret, ts, body), 'x-orderhub-event-id': `${o.id}@${now}` }, body);
    }

    db = new BetterSqlite3(store.location, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const statusOf = (rows: Tracked[]): Map<string, string> => {
      const out = new Map<string, string>();
      for (const [channel, ch] of byChannel) {
        const ids = rows.filter((r) => r.channel === channel).map((r) => r.id);
        if (!ids.length) continue;
        const found = (db as BetterSqlite3.Database)
          .prepare(`SELECT platform_order_id, status FROM orders WHERE account_id = ? AND platform_order_id IN (${ids.map(() => '?').join(',')})`)
          .all(ch.accountId, ...ids) as { platform_order_id: string; status: string }[];
        for (const f of found) out.set(`${channel}:${f.platform_order_id}`, f.status);
      }
      return out;
    };

    // Every order in the hub as it started (JD and PDD by their first pull), and Taobao's message queue open.
    const setupStart = performance.now();
    for (;;) {
      const s = statusOf(tracked);
      const missing = tracked.filter((t) => (s.get(`${t.channel}:${t.id}`) ?? 'absent') !== t.start);
      if (missing.length === 0 && (tmcPermitted || !byChannel.has('taobao'))) break;
      if (performance.now() - setupStart > 120_000) throw new Error(`the starting orders never all reached the hub: ${missing.slice(0, 5).map((m) => `${m.channel}:${m.id}=${s.get(`${m.channel}:${m.id}`) ?? 'absent'}`).join(', ')}; TMC permit ${tmcPermitted}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log(`status-sync: ${tracked.length} starting orders in the hub after ${((performance.now() - setupStart) / 1000).toFixed(1)} s; ${perChannel} changes per channel over ${windowMs / 1000} s`);

    // The watcher: every 50 ms, which changed orders the anchor shows.
    let stop = false;
    const watcher = (async () => {
      while (!stop) {
        const waiting = tracked.filter((t) => t.changedAt !== undefined && t.seenAt === undefined);
        if (waiting.length) {
          const s = statusOf(waiting);
          const now = Date.now();
          for (const t of waiting) if (shows[t.target].includes(s.get(`${t.channel}:${t.id}`) ?? '')) t.seenAt = now;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // The changes, at their moments.
    const schedule = [...tracked].sort((a, b) => a.offset - b.offset);
    const windowStart = performance.now();
    for (const t of schedule) {
      const wait = windowStart + t.offset - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const ch = byChannel.get(t.channel) as Channel;
      const now = Date.now();
      if (!ch.sim) {
        t.changedAt = now;
        sendOwn(ch, t, t.target);
        continue;
      }
      // The platform's modified time grows with every change (whole seconds, as most platforms keep it).
      t.order = { ...t.order, phase: t.target, updatedAt: Math.max(Math.floor(now / 1000) * 1000, t.order.updatedAt + 1000) };
      const pushes = ch.sim.record(t.order, ch.hook);
      t.changedAt = now;
      for (const p of pushes) deliver(ch.hook, p.headers, p.body);
    }
    // What is left: the last pulls after the window.
    const deadline = performance.now() + 100_000;
    while (tracked.some((t) => t.seenAt === undefined) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await watcher;
    await Promise.allSettled([...inFlight]);

    console.log('  channel      feed                 n  seen  median s  p99 s  max s   goal: median ≤ 30 s');
    let bad = false;
    for (const channel of channels) {
      const rows = tracked.filter((t) => t.channel === channel);
      const d = rows.filter((t) => t.seenAt !== undefined).map((t) => ((t.seenAt as number) - (t.changedAt as number)) / 1000).sort((a, b) => a - b);
      const m = median(d);
      const ok = d.length === rows.length && m <= 30;
      if (d.length !== rows.length) bad = true;
      console.log(
        `  ${channel.padEnd(12)} ${feedOf(channel).padEnd(20)} ${String(rows.length).padStart(2)} ${String(d.length).padStart(5)} ${m.toFixed(2).padStart(9)} ${pct(d, 99).toFixed(2).padStart(6)} ${(d.at(-1) ?? Number.NaN).toFixed(2).padStart(6)}   ${ok ? 'met' : d.length !== rows.length ? `NOT MET: ${rows.length - d.length} never seen` : 'NOT MET'}`,
      );
    }
    if (bad) {
      console.log('FAILED: some changes never reached the anchor');
      process.exitCode = 1;
    }
  } finally {
    db?.close();
    client.close();
    await server.stop();
    await sims.close();
    await store.dispose();
  }
}

await main();
