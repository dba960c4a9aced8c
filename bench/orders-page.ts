// The console's orders page against a large embedded database: 1,000,000 orders (BENCH_ORDERS) in SQLite, then
// the requests the page makes — newest first, filtered, searched, sorted, deep pages — over real HTTP, each
// repeated, with p50/p95 per query. `node bin/run-ts.js bench/orders-page.ts [--json FILE]`
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { defaults } from '../src/platform/config.ts';
import { createLogger } from '../src/platform/log.ts';
import { startHub } from '../src/app/hub.ts';
import { buildApp } from '../src/app/http/app.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';

const total = Number(process.env.BENCH_ORDERS ?? 1_000_000);
const repeats = Number(process.env.BENCH_REPEATS ?? 40);
const jsonOut = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'orderhub-page-'));
const token = 'bench-admin-token-0123456789';
const config = { ...defaults, dataDir: dir, logLevel: 'silent', adminToken: token, configFile: null, sqliteWriterThread: false };

// 1. Schema and accounts through the hub, then a million orders written straight into the file (the ingest
// path would take an hour here; the page reads the same rows either way).
let hub = await startHub(config, createLogger('silent'), { workers: false });
const who = systemPrincipal('default', 'bench');
const accounts: string[] = [];
for (const name of ['官网', '小程序', '直播间', '门店']) accounts.push((await hub.writes.createAccount(who, { platform: 'ownshop', name, credentials: { secret: 'bench-secret-0123456789' } })).id);
const phoneForSearch = '13900001234';
const sealed = { phone: hub.keyring.encrypt('13800000000'), address: hub.keyring.encrypt('文三路 1 号'), hash: hub.keyring.indexHash('13800000000') };
const searchSealed = { phone: hub.keyring.encrypt(phoneForSearch), hash: hub.keyring.indexHash(phoneForSearch) };
await hub.close();

const provinces = ['浙江省', '广东省', '江苏省', '上海市', '北京市', '四川省', '湖北省', '福建省'];
const statuses = ['pending_payment', 'paid', 'paid', 'shipped', 'shipped', 'delivered', 'completed', 'cancelled'];
const t0 = performance.now();
const db = new BetterSqlite3(join(dir, 'orderhub.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
const insert = db.prepare(
  `INSERT INTO orders (id, tenant_id, order_no, channel, account_id, platform_order_id, status, platform_status, payment_status,
     fulfilment_status, aftersale_status, reservation_state, hold_code, hold_reason, currency, goods_amount, line_discount_amount, shipping_fee,
     discount_platform, discount_seller, total_amount, paid_amount, buyer_id, buyer_name, buyer_phone, buyer_phone_hash, receiver_name,
     receiver_phone, receiver_phone_hash, receiver_province, receiver_city, receiver_district, receiver_address, platform_created_at,
     source_updated_at, paid_at, created_at, updated_at, version)
   VALUES (?, 'default', ?, 'ownshop', ?, ?, ?, ?, ?, 'unfulfilled', 'none', 'deducted', ?, ?, 'CNY', ?, 0, 0, 0, 0, ?, ?, 'b', '张三', ?, ?, '张三',
     ?, ?, ?, '某市', '某区', ?, ?, ?, ?, ?, ?, 1)`,
);
const start = Date.now() - 90 * 86_400_000;
const step = (90 * 86_400_000) / total;
const batch = db.transaction((from: number, to: number) => {
  for (let i = from; i < to; i++) {
    const at = Math.floor(start + i * step);
    const status = statuses[i % statuses.length] as string;
    const amount = 1000 + ((i * 7919) % 50_000);
    const held = i % 997 === 0;
    const search = i === Math.floor(total / 2);
    insert.run(
      `bench-${String(i).padStart(8, '0')}`,
      `ORD-BENCH-${String(i).padStart(8, '0')}`,
      accounts[i % accounts.length],
      `P${i}`,
      status,
      status,
      status === 'pending_payment' ? 'unpaid' : 'paid',
      held ? 'STOCK_SHORT' : null,
      held ? 'not enough stock' : null,
      amount,
      amount,
      status === 'pending_payment' ? 0 : amount,
      search ? searchSealed.phone : sealed.phone,
      search ? searchSealed.hash : sealed.hash,
      search ? searchSealed.phone : sealed.phone,
      search ? searchSealed.hash : sealed.hash,
      provinces[i % provinces.length],
      sealed.address,
      at,
      at,
      status === 'pending_payment' ? null : at,
      at,
      at,
    );
  }
});
for (let i = 0; i < total; i += 50_000) {
  batch(i, Math.min(total, i + 50_000));
  process.stderr.write(`\r  seeding ${Math.min(total, i + 50_000).toLocaleString()} / ${total.toLocaleString()}`);
}
db.exec('ANALYZE');
db.close();
const seedSeconds = (performance.now() - t0) / 1000;
process.stderr.write(`\n  seeded ${total.toLocaleString()} orders in ${seedSeconds.toFixed(0)} s\n`);

// 2. The hub as `serve` runs it (writer thread), and the page's requests over HTTP.
hub = await startHub({ ...config, sqliteWriterThread: true }, createLogger('silent'), { workers: false, writerThread: true });
const app = await buildApp(hub);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const from = new Date(Date.now() - 7 * 86_400_000).toISOString();
const queries: [string, string][] = [
  ['newest first, page 1 (the default view)', '/api/orders?page=1&pageSize=20'],
  ['status = paid', '/api/orders?status=paid&page=1&pageSize=20'],
  ['one shop', `/api/orders?account=${accounts[1]}&page=1&pageSize=20`],
  ['last 7 days', `/api/orders?createdFrom=${encodeURIComponent(from)}&page=1&pageSize=20`],
  ['exceptions (hold=any)', '/api/orders?hold=any&page=1&pageSize=20'],
  ['search: order number', `/api/orders?q=ORD-BENCH-${String(Math.floor(total / 3)).padStart(8, '0')}&page=1&pageSize=20`],
  ['search: full phone', `/api/orders?q=${phoneForSearch}&page=1&pageSize=20`],
  ['sort by amount, descending', '/api/orders?sort=-totalAmount&page=1&pageSize=20'],
  ['page 500 (deep)', '/api/orders?page=500&pageSize=20'],
  ['status = shipped, one shop, page 50', `/api/orders?status=shipped&account=${accounts[3]}&page=50&pageSize=20`],
];
const results: { query: string; p50: number; p95: number; max: number; total: number }[] = [];
for (const [name, path] of queries) {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < repeats + 3; i++) {
    const t = performance.now();
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { total: number; items: unknown[] };
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    if (i >= 3) times.push(performance.now() - t);
    count = body.total;
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => Number((times[Math.min(times.length - 1, Math.floor(p * times.length))] as number).toFixed(1));
  results.push({ query: name, p50: q(0.5), p95: q(0.95), max: q(1), total: count });
  process.stderr.write(`  ${name.padEnd(40)} p50 ${String(q(0.5)).padStart(7)} ms   p95 ${String(q(0.95)).padStart(7)} ms   (${count.toLocaleString()} match)\n`);
}
await app.close();
await hub.close();
rmSync(dir, { recursive: true, force: true });
const report = { orders: total, repeats, seedSeconds: Math.round(seedSeconds), results };
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(report, null, 2));
console.log(JSON.stringify(report));
