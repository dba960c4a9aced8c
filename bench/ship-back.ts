// Ship-back benchmark (`npm run bench:ship-back`): how many ship-backs (发货回传) a second the hub tells each platform,
// and whether it keeps within each platform's rate limit. A hub child process (production settings) owes N shipped
// parcels per platform — written straight into its database with the very function shipping calls in its transaction
// (enqueueShipBack) — and its outbound worker drains them against the platform simulators (in this process, signing
// checked) over loopback. Each simulator holds its platform to its limit (the `limit` beside each connector's write
// rate: Shopify's documented leaky bucket, 5 a second assumed for the others) and answers the platform's own limit
// error to a request that would break it. Run once with the hub's pacing at its defaults and once with pacing off,
// in the same run. Reports ship-backs/s and requests/s per platform, the most requests any one second saw, the limit
// answers, and per-request latency p50/p99 from the hub's platform call log (platform_calls).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HubClient } from './lib/client.ts';
import { freePort, startServer } from './lib/server.ts';
import { sqliteStore, postgresStore, type BenchStore, type DirectReader } from './lib/store.ts';
import { startSimulatorServer, type SimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import { jdSimulator } from '../src/sandbox/simulators/jd.ts';
import { pinduoduoSimulator } from '../src/sandbox/simulators/pinduoduo.ts';
import { douyinSimulator } from '../src/sandbox/simulators/douyin.ts';
import { shopifySimulator } from '../src/sandbox/simulators/shopify.ts';
import { woocommerceSimulator } from '../src/sandbox/simulators/woocommerce.ts';
import type { PlatformSimulator, SimOrder, SimulatorFactory } from '../src/sandbox/simulators/types.ts';
import { channelAdapters } from '../src/modules/channels/connectors/registry.ts';
import type { WriteRate } from '../src/modules/channels/connectors/types.ts';
import { openHubDatabase } from '../src/app/hub.ts';
import { defaults } from '../src/platform/config.ts';
import { enqueueShipBack } from '../src/modules/channels/store/outbound.ts';

const all: Record<string, SimulatorFactory> = {
  taobao: taobaoSimulator,
  jd: jdSimulator,
  pinduoduo: pinduoduoSimulator,
  douyin: douyinSimulator,
  shopify: shopifySimulator,
  woocommerce: woocommerceSimulator,
};

const { values } = parseArgs({
  options: {
    parcels: { type: 'string', default: '60' },
    platforms: { type: 'string', default: Object.keys(all).join(',') },
    phases: { type: 'string', default: 'paced,unpaced' },
    'max-seconds': { type: 'string', default: '150' },
    store: { type: 'string', default: 'sqlite' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run bench:ship-back -- [--parcels 60] [--platforms taobao,jd,…] [--phases paced,unpaced] [--max-seconds 150] [--store sqlite|postgres]
  --parcels N       shipped parcels owed to each platform (one order each)
  --platforms LIST  which platforms (default: every one with a ship-back: ${Object.keys(all).join(', ')})
  --phases LIST     paced: the hub's default write pacing; unpaced: ORDERHUB_PLATFORM_WRITE_RATES=<each>=off
  --max-seconds S   a phase gives up waiting for the last ship-backs after S seconds (reported as not done)`);
  process.exit(0);
}
const parcels = Number(values.parcels);
const maxMs = Number(values['max-seconds']) * 1000;
const platforms = String(values.platforms).split(',').map((s) => s.trim()).filter(Boolean);
for (const p of platforms) if (!all[p] || !channelAdapters[p]?.shipBack) throw new Error(`${p}: no ship-back to measure (have ${Object.keys(all).join(', ')})`);
const phases = String(values.phases).split(',').map((s) => s.trim()).filter(Boolean);
for (const p of phases) if (p !== 'paced' && p !== 'unpaced') throw new Error(`unknown phase ${p}`);
if (!Number.isInteger(parcels) || parcels < 1) throw new Error('--parcels must be a whole number >= 1');

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Most requests in any one-second window [t, t + 1000). */
function maxPerSecond(times: readonly number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while ((s[j] as number) <= (s[i] as number) - 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/**
 * The platform's limit as the simulator holds it: a leaky bucket (capacity `burst`, leaking `perSecond`) when the
 * limit has a burst, else at most `perSecond` requests in any one second. `admit` says whether a request arriving
 * now fits (and counts it when it does).
 */
/** The shortest time in which `n` requests went (ms): under a limit of n − 1 a second it must be 1000 or more. */
function tightest(times: readonly number[], n: number): number {
  const s = [...times].sort((a, b) => a - b);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + n - 1 < s.length; i++) best = Math.min(best, (s[i + n - 1] as number) - (s[i] as number));
  return best;
}

function limiter(limit: WriteRate): { admit(t: number): boolean; describe: string } {
  if (limit.burst > 1) {
    let level = 0;
    let last = 0;
    return {
      describe: `${limit.perSecond}/s, bucket ${limit.burst}`,
      admit(t) {
        level = Math.max(0, level - ((t - last) * limit.perSecond) / 1000);
        last = t;
        if (level + 1 > limit.burst) return false;
        level += 1;
        return true;
      },
    };
  }
  const recent: number[] = [];
  return {
    describe: `${limit.perSecond} in any second`,
    admit(t) {
      while (recent.length && (recent[0] as number) <= t - 1000) recent.shift();
      if (recent.length + 1 > limit.perSecond) return false;
      recent.push(t);
      return true;
    },
  };
}

interface Shop {
  platform: string;
  sim: PlatformSimulator;
  accountId: string;
  limit: WriteRate;
  /** Every request the simulator received (epoch ms) and how many it answered with the limit error. */
  arrivals: number[];
  throttled: number;
}

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };

function paidOrder(id: string): SimOrder {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return {
    id,
    phase: 'paid',
    createdAt: now - 3_600_000,
    updatedAt: now - 1_800_000,
    currency: 'CNY',
    lines: [{ sku: 'SHIP-1', title: '茶杯', quantity: 1, unitPrice: 1990, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

/** An order id each platform takes: 13 digits (the simulators keep up to 15 as the number itself); PDD's order_sn shape. */
function orderId(platform: string, shop: number, k: number): string {
  const n = `1${String(Date.now() % 1e6).padStart(6, '0')}${shop}${String(k).padStart(5, '0')}`;
  return platform === 'pinduoduo' ? `261207-${n.padStart(15, '0')}` : n;
}

interface PhaseResult {
  phase: string;
  rows: { platform: string; parcels: number; done: number; notDone: number; refused: number; attempts: number; requests: number; spanS: number; shipBacksPerS: number; requestsPerS: number; maxInSecond: number; maxSentInSecond: number; tightestMs: number; limit: string; limitAnswers: number; p50: number; p99: number }[];
}

async function runPhase(phase: 'paced' | 'unpaced', store: BenchStore, sims: SimulatorServer): Promise<PhaseResult> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const env: Record<string, string> = {
    ...store.env,
    ORDERHUB_ADMIN_TOKEN: token,
    LOG_LEVEL: 'warn',
    // No pulls (they would share the platforms' limits and confirm the ship-backs), no listing pulls, no routing.
    ORDERHUB_PULL_INTERVAL_SECONDS: '0',
    ORDERHUB_LISTING_PULL_INTERVAL_HOURS: '0',
    ORDERHUB_AUTO_ROUTING: 'false',
    ORDERHUB_STOCK_SYNC_FULL_PUSH_MINUTES: '0',
    ...(phase === 'unpaced' ? { ORDERHUB_PLATFORM_WRITE_RATES: platforms.map((p) => `${p}=off`).join(',') } : {}),
  };
  const server = await startServer(env, port);
  const client = new HubClient(port, token, 4);
  const shops: Shop[] = [];
  try {
    for (const platform of platforms) {
      const sim = sims.mount(`${platform}-${phase}`, all[platform] as SimulatorFactory, `bench-${phase}`);
      const limit = channelAdapters[platform]?.writeRate?.limit ?? { perSecond: 5, burst: 1 };
      const shop: Shop = { platform, sim, accountId: '', limit, arrivals: [], throttled: 0 };
      const gate = limiter(limit);
      const handle = sim.handle.bind(sim);
      sim.handle = (req) => {
        const t = Date.now();
        shop.arrivals.push(t);
        if (!gate.admit(t)) {
          shop.throttled++;
          sim.throttleNext(1);
        }
        return handle(req);
      };
      const a = await client.api<{ id: string }>('POST', '/channel-accounts', { platform, name: `${platform} ship-back bench`, credentials: sim.credentials });
      shop.accountId = a.id;
      shops.push(shop);
    }
    // The platforms' orders, paid and waiting to be shipped.
    const drafts: Parameters<typeof enqueueShipBack>[1][] = [];
    for (const [i, shop] of shops.entries()) {
      for (let k = 0; k < parcels; k++) {
        const id = orderId(shop.platform, i, k);
        shop.sim.record(paidOrder(id), '');
        const tracking = `ZTO${randomBytes(6).toString('hex').toUpperCase()}`;
        drafts.push({ tenantId: 'default', accountId: shop.accountId, channel: shop.platform, orderId: `bench-${id}`, platformOrderId: id, shipmentId: `bench-sh-${id}`, carrier: 'zto', trackingNo: tracking, shippedAt: Date.now(), lines: [{ sku: 'SHIP-1', quantity: 1 }] });
      }
    }
    // Owed the way shipping owes them: enqueueShipBack in one transaction, from a second connection to the database.
    const db = await openHubDatabase({ ...defaults, dataDir: store.env.ORDERHUB_DATA_DIR ?? defaults.dataDir, databaseUrl: store.env.DATABASE_URL ?? '', configFile: null });
    const shippedAt = Date.now();
    try {
      await db.transaction(async (tx) => {
        for (const d of drafts) await enqueueShipBack(tx, { ...d, shippedAt });
      });
    } finally {
      await db.close();
    }
    const started = performance.now();
    const reader = await store.reader();
    try {
      const owed = parcels * shops.length;
      for (;;) {
        const [row] = await reader.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM outbound_calls WHERE state IN ('done', 'refused', 'failed')`);
        if (Number(row?.n) >= owed || performance.now() - started > maxMs) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      // What a platform said to the writes it did not take (a bench that measures refusals measures nothing).
      const unsent = await reader.all<{ channel: string; state: string; last_code: string | null; last_error: string | null }>(`SELECT channel, state, last_code, last_error FROM outbound_calls WHERE state <> 'done' LIMIT 3`);
      for (const u of unsent) console.log(`  not done: ${u.channel} ${u.state} ${u.last_code ?? ''} ${(u.last_error ?? '').slice(0, 160)}`);
      return { phase, rows: await results(reader, shops) };
    } finally {
      await reader.close();
    }
  } finally {
    client.close();
    await server.stop();
  }
}

async function results(reader: DirectReader, shops: Shop[]): Promise<PhaseResult['rows']> {
  const rows: PhaseResult['rows'] = [];
  for (const s of shops) {
    const id = s.accountId.replace(/'/g, "''");
    const calls = await reader.all<{ state: string; attempts: number | string; done_at: number | string | null }>(`SELECT state, attempts, done_at FROM outbound_calls WHERE account_id = '${id}'`);
    const log = await reader.all<{ at: number | string; latency_ms: number | string }>(`SELECT at, latency_ms FROM platform_calls WHERE account_id = '${id}' AND kind = 'ship_back'`);
    const done = calls.filter((c) => c.state === 'done');
    const first = Math.min(...s.arrivals);
    const last = Math.max(...done.map((c) => Number(c.done_at)), first + 1);
    const spanS = (last - first) / 1000;
    const latencies = log.map((l) => Number(l.latency_ms)).sort((a, b) => a - b);
    rows.push({
      platform: s.platform,
      parcels: calls.length,
      done: done.length,
      notDone: calls.filter((c) => c.state === 'pending' || c.state === 'in_flight').length,
      refused: calls.filter((c) => c.state === 'refused' || c.state === 'failed').length,
      attempts: calls.reduce((a, c) => a + Number(c.attempts), 0),
      requests: s.arrivals.length,
      spanS,
      shipBacksPerS: done.length / spanS,
      requestsPerS: s.arrivals.length / spanS,
      maxInSecond: maxPerSecond(s.arrivals),
      maxSentInSecond: maxPerSecond(log.map((l) => Number(l.at))),
      tightestMs: s.limit.burst === 1 ? tightest(s.arrivals, s.limit.perSecond + 1) : Number.NaN,
      limit: limiter(s.limit).describe,
      limitAnswers: s.throttled,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
    });
  }
  return rows;
}

async function main(): Promise<void> {
  const sims = await startSimulatorServer();
  const results: PhaseResult[] = [];
  try {
    for (const phase of phases as ('paced' | 'unpaced')[]) {
      const store = values.store === 'postgres' ? await postgresStore(values['pg-url'] as string) : sqliteStore();
      try {
        results.push(await runPhase(phase, store, sims));
      } finally {
        await store.dispose();
      }
    }
  } finally {
    await sims.close();
  }
  let bad = false;
  for (const r of results) {
    console.log(`ship-back, ${r.phase === 'paced' ? 'paced at the defaults' : 'pacing off'} (${values.store}, ${parcels} parcels per platform):`);
    console.log('  platform     done  left  refused  attempts  requests  span s  ship-backs/s  requests/s  max in 1 s sent/arrived  shortest limit+1 ms  limit                   limit answers  p50 ms  p99 ms');
    for (const x of r.rows) {
      console.log(
        `  ${x.platform.padEnd(11)} ${String(x.done).padStart(5)} ${String(x.notDone).padStart(5)} ${String(x.refused).padStart(8)} ${String(x.attempts).padStart(9)} ${String(x.requests).padStart(9)} ${x.spanS.toFixed(1).padStart(7)} ${x.shipBacksPerS.toFixed(2).padStart(13)} ${x.requestsPerS.toFixed(2).padStart(11)} ${`${x.maxSentInSecond}/${x.maxInSecond}`.padStart(23)} ${(Number.isNaN(x.tightestMs) ? "-" : String(x.tightestMs)).padStart(20)}  ${x.limit.padEnd(22)} ${String(x.limitAnswers).padStart(14)} ${String(x.p50).padStart(7)} ${String(x.p99).padStart(7)}`,
      );
      // Paced, the hub must keep within every limit and finish every parcel.
      if (r.phase === 'paced' && (x.limitAnswers > 0 || x.done !== x.parcels)) bad = true;
    }
  }
  if (bad) {
    console.log('FAILED: paced, a platform answered its limit error or a parcel was not shipped back');
    process.exitCode = 1;
  }
}

await main();
