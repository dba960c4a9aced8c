// Stock sync benchmark (`npm run bench:stock-sync`): how long a reservation takes to reach the platforms (库存同步) while
// the hub ingests at full speed. A hub child process (SQLite with its writer thread, or PostgreSQL) sells one tracked SKU
// on a Taobao, a Pinduoduo and a JD shop (platform simulators in this process); background pushes of random orders keep
// the ingest path saturated; every `--every` ms one paid order takes a unit of the tracked SKU. The delay of a unit is
// from sending its order to the first write each platform accepted that no longer counts it (the quantity fell to what
// was left after it); p50/p99/max over every unit and platform. Also reports the background orders/s.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { forEachLimited, HubClient } from './lib/client.ts';
import { makeCatalogue, makeDeliveries, rng, signature } from './lib/orders.ts';
import { freePort, startServer } from './lib/server.ts';
import { postgresStore, sqliteStore, type BenchStore } from './lib/store.ts';
import { startSimulatorServer } from '../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../src/sandbox/simulators/pinduoduo.ts';
import { jdSimulator } from '../src/sandbox/simulators/jd.ts';
import type { SimulatorFactory } from '../src/sandbox/simulators/types.ts';

const { values } = parseArgs({
  options: {
    store: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '30' },
    every: { type: 'string', default: '250' },
    concurrency: { type: 'string', default: '32' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`usage: npm run bench:stock-sync -- [--store sqlite|postgres] [--seconds 30] [--every 250] [--concurrency 32] [--pg-url URL]
  --seconds N      how long the tracked orders and the background load run
  --every MS       one tracked order (1 unit of the tracked SKU) every MS
  --concurrency N  background pushes in flight`);
  process.exit(0);
}
const seconds = Number(values.seconds);
const everyMs = Number(values.every);
const concurrency = Number(values.concurrency);

const platforms: { platform: string; factory: SimulatorFactory }[] = [
  { platform: 'taobao', factory: taobaoSimulator },
  { platform: 'pinduoduo', factory: pinduoduoSimulator },
  { platform: 'jd', factory: jdSimulator },
];

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Writes listing rows straight into the hub's database (the listing pull's route is another part of the work). */
async function insertListings(store: BenchStore, pgUrl: string | null, rows: { accountId: string; channel: string; itemId: string; skuId: string; sku: string }[]): Promise<void> {
  const now = Date.now();
  const sql = `INSERT INTO listings (tenant_id, account_id, channel, platform_item_id, platform_sku_id, merchant_code, title, ref, sku, match_source, seen_at, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, 'code', $9, $10, $11)`;
  if (pgUrl) {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    for (const r of rows) await c.query(sql, ['default', r.accountId, r.channel, r.itemId, r.skuId, r.sku, r.sku, r.sku, now, now, now]);
    await c.end();
    return;
  }
  const db = new BetterSqlite3(store.location);
  db.pragma('busy_timeout = 5000');
  const ins = db.prepare(sql.replace(/\$\d+/g, '?'));
  for (const r of rows) ins.run('default', r.accountId, r.channel, r.itemId, r.skuId, r.sku, r.sku, r.sku, now, now, now);
  db.close();
}

async function main(): Promise<void> {
  const store = values.store === 'postgres' ? await postgresStore(values['pg-url'] as string) : sqliteStore();
  const pgUrl = values.store === 'postgres' ? (store.env.DATABASE_URL ?? null) : null;
  const sims = await startSimulatorServer();
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const server = await startServer({ ...store.env, ORDERHUB_ADMIN_TOKEN: token, LOG_LEVEL: 'warn', ORDERHUB_PAYMENT_TIMEOUT_MINUTES: '1440', ORDERHUB_PULL_INTERVAL_SECONDS: '0', ORDERHUB_AUTO_ROUTING: 'false' }, port);
  const client = new HubClient(port, token, concurrency + 4);
  try {
    const secret = 'bench-shop-secret-0123456789';
    const own = await client.api<{ id: string }>('POST', '/channel-accounts', { platform: 'ownshop', name: 'bench shop', credentials: { secret } });
    const tracked = `TRACK-${randomBytes(3).toString('hex')}`;
    const units = Math.ceil((seconds * 1000) / everyMs) + 10;
    await client.setStock(tracked, 'WH1', units);
    const shops: { platform: string; sim: ReturnType<typeof sims.mount>; itemId: string; skuId: string }[] = [];
    const listingRows = [];
    for (const [i, p] of platforms.entries()) {
      const sim = sims.mount(`${p.platform}-bench`, p.factory, 'bench');
      const a = await client.api<{ id: string }>('POST', '/channel-accounts', { platform: p.platform, name: `${p.platform} bench`, credentials: sim.credentials });
      const itemId = String(500_000_000_000 + i * 100);
      const skuId = String(500_000_000_001 + i * 100);
      sim.catalogue?.add({ itemId, title: tracked, skus: [{ skuId, outerId: tracked, quantity: 0 }] });
      shops.push({ platform: p.platform, sim, itemId, skuId });
      listingRows.push({ accountId: a.id, channel: p.platform, itemId, skuId, sku: tracked });
    }
    await insertListings(store, pgUrl, listingRows);
    // The first write: a count of the tracked SKU marks its listings.
    await client.setStock(tracked, 'WH1', units);
    const showing = () => shops.map((s) => s.sim.catalogue?.quantityOf(s.itemId, s.skuId));
    for (let i = 0; i < 400 && !showing().every((q) => q === units); i++) await new Promise((r) => setTimeout(r, 50));
    if (!showing().every((q) => q === units)) throw new Error(`the platforms never showed the first count: ${JSON.stringify(showing())}`);

    // Background load: random orders over 1,000 other SKUs with plenty of stock.
    const catalogue = makeCatalogue({ skuCount: 1000, hotCount: 5, expectedOrders: 200_000, hotLineShare: 0 });
    await forEachLimited(catalogue.skus, 16, async (sku) => void (await client.setStock(sku, 'WH1', 1_000_000)));
    const background = makeDeliveries({ count: 2_000 * seconds, prefix: `bg-${randomBytes(3).toString('hex')}`, catalogue, random: rng(7), secret });
    let stop = false;
    let backgroundDone = 0;
    const started = performance.now();
    let next = 0;
    const loaders = Array.from({ length: concurrency }, async () => {
      while (!stop && next < background.length) {
        const d = background[next++];
        if (!d) break;
        const ts = Math.floor(Date.now() / 1000);
        const r = await client.send('POST', `/hooks/ownshop/${own.id}`, { 'content-type': 'application/json', 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': signature(secret, ts, d.body), 'x-orderhub-event-id': d.eventId }, d.body);
        if (r.status >= 200 && r.status < 300) backgroundDone++;
      }
    });

    // Tracked orders: one unit each, every `everyMs`.
    const sent: number[] = [];
    const trackedAnswers: Promise<void>[] = [];
    for (let k = 0; performance.now() - started < seconds * 1000; k++) {
      const at = Date.now();
      sent.push(at);
      const body = Buffer.from(JSON.stringify({ orderId: `T-${tracked}-${k}`, status: 'paid', createdAt: new Date(at).toISOString(), updatedAt: new Date(at).toISOString(), currency: 'CNY', buyer: { id: 'b', name: '买家' }, receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' }, lines: [{ sku: tracked, title: tracked, quantity: 1, unitPrice: 1000, discount: 0 }], shippingFee: 0, paidAmount: 1000 }));
      const ts = Math.floor(at / 1000);
      trackedAnswers.push(
        client.send('POST', `/hooks/ownshop/${own.id}`, { 'content-type': 'application/json', 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': signature(secret, ts, body), 'x-orderhub-event-id': `T-${tracked}-${k}` }, body).then((r) => {
          if (r.status !== 200) throw new Error(`tracked order ${k} answered ${r.status}: ${r.body.toString('utf8').slice(0, 200)}`);
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, started + (k + 1) * everyMs - performance.now())));
    }
    stop = true;
    const wall = (performance.now() - started) / 1000;
    await Promise.all([...trackedAnswers, ...loaders]);
    const left = units - sent.length;
    for (let i = 0; i < 400 && !showing().every((q) => q === left); i++) await new Promise((r) => setTimeout(r, 50));

    const delays: number[] = [];
    const perPlatform: Record<string, number[]> = {};
    let missing = 0;
    for (const s of shops) {
      const writes = (s.sim.catalogue?.writes ?? []).filter((w) => w.itemId === s.itemId);
      const mine: number[] = [];
      sent.forEach((at, k) => {
        // The unit of order k is gone from the platform once a write shows at most units − (k + 1).
        const w = writes.find((x) => x.at >= at && x.quantity <= units - (k + 1));
        if (!w) missing++;
        else mine.push(w.at - at);
      });
      perPlatform[s.platform] = mine.sort((a, b) => a - b);
      delays.push(...mine);
    }
    delays.sort((a, b) => a - b);
    const writesPerPlatform = Object.fromEntries(shops.map((s) => [s.platform, (s.sim.catalogue?.writes ?? []).length]));
    console.log(`stock sync on ${store.name}: ${sent.length} tracked units over ${wall.toFixed(1)} s, one every ${everyMs} ms; background ${Math.round(backgroundDone / wall)} orders/s (${concurrency} in flight)`);
    console.log(`  delay from sending the order to the platform's write: p50 ${pct(delays, 50)} ms, p99 ${pct(delays, 99)} ms, max ${delays.at(-1)} ms (${delays.length} unit×platform samples, ${missing} never written)`);
    for (const [p, d] of Object.entries(perPlatform)) console.log(`  ${p}: p50 ${pct(d, 50)} ms, p99 ${pct(d, 99)} ms, writes ${writesPerPlatform[p]}`);
    console.log(`  every platform ends at ${JSON.stringify(showing())} (expected ${left})`);
    if (missing > 0 || !showing().every((q) => q === left)) process.exitCode = 1;
  } finally {
    await server.stop();
    await sims.close();
    await store.dispose();
  }
}

await main();
