// Routing and tracking benchmark (`npm run bench:routing`): paid orders (own-shop pushes over HTTP) routed to 5
// warehouses through the routing service on SQLite, in batches of up to 5,000 (the service's cap), reported as
// orders routed per second; then signed Kuaidi100 tracking pushes over HTTP to shipped shipments, reported as pushes
// per second, with how many transactions the pushes took (SQLite commits pushes that arrive together as one). The hub runs in this process (workers off), so the load generator shares its core: the push figure is
// a floor, not a ceiling.
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { defaults, type Config } from '../src/platform/config.ts';
import { createLogger } from '../src/platform/log.ts';
import { startHub } from '../src/app/hub.ts';
import { buildApp } from '../src/app/http/app.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';
import { forEachLimited } from './lib/client.ts';
import { rng } from './lib/orders.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '100000' },
    warehouses: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    'push-shipments': { type: 'string', default: '2000' },
    'push-runs': { type: 'string', default: '3' },
  },
});
const orderCount = Number(values.orders);
const warehouseCount = Number(values.warehouses);
const concurrency = Number(values.concurrency);
const pushShipments = Number(values['push-shipments']);
const pushRuns = Number(values['push-runs']);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const provinces = [
  ['浙江省', '杭州市', '西湖区'],
  ['广东省', '深圳市', '南山区'],
  ['江苏省', '南京市', '鼓楼区'],
  ['上海市', '上海市', '浦东新区'],
  ['四川省', '成都市', '武侯区'],
] as const;

const dir = mkdtempSync(join(tmpdir(), 'orderhub-bench-routing-'));
const config: Config = {
  ...defaults,
  dataDir: dir,
  port: 0,
  host: '127.0.0.1',
  adminToken: 'bench-admin-token-0123456789',
  dataKeys: `bench:${Buffer.alloc(32, 9).toString('base64')}`,
  logLevel: 'silent',
  configFile: null,
  pullIntervalSeconds: 0,
};
const hub = await startHub(config, createLogger('silent'), { workers: false });
const app = await buildApp(hub);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
const who = systemPrincipal('default', 'bench');

try {
  console.log(`routing bench: ${orderCount} paid orders over ${warehouseCount} warehouses, SQLite, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}`);
  const skus = Array.from({ length: 50 }, (_, i) => `RB-${String(i).padStart(3, '0')}`);
  const warehouses = Array.from({ length: warehouseCount }, (_, i) => `RW${i + 1}`);
  for (const [i, w] of warehouses.entries()) {
    const [province] = provinces[i % provinces.length] as readonly [string, string, string];
    await hub.writes.saveWarehouse(who, w, { priority: i + 1, regions: [province.slice(0, 2)], dailyCapacity: orderCount * 2 });
    for (const sku of skus) await hub.writes.setStock(who, { sku, warehouse: w, onHand: Math.ceil((orderCount * 4) / skus.length), cause: 'bench' });
  }
  await hub.writes.saveRoutingRules(who, [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }]);
  const secret = 'bench-shop-secret-0123456789';
  const shop = await hub.writes.createAccount(who, { platform: 'ownshop', name: 'Bench shop', credentials: { secret } });

  // Seed: paid orders over HTTP (not timed as routing).
  const random = rng(7);
  const seedStart = performance.now();
  let refused = 0;
  await forEachLimited(
    Array.from({ length: orderCount }, (_, i) => i),
    concurrency,
    async (i) => {
      const [province, city, district] = provinces[Math.floor(random() * provinces.length)] as readonly [string, string, string];
      const lines = Array.from({ length: 1 + Math.floor(random() * 2) }, (_, k) => ({ sku: skus[(i * 7 + k * 13) % skus.length] as string, title: 'Item', quantity: 1, unitPrice: 1000, discount: 0 }));
      const body = JSON.stringify({
        orderId: `RB${i}`,
        status: 'paid',
        createdAt: '2026-11-22T10:00:00+08:00',
        updatedAt: '2026-11-22T10:00:00+08:00',
        currency: 'CNY',
        buyer: { id: `b${i}`, name: '王芳', phone: `139${String(i).padStart(8, '0')}` },
        receiver: { name: '王芳', phone: `139${String(i).padStart(8, '0')}`, province, city, district, address: `文三路 ${i} 号` },
        lines,
        shippingFee: 0,
        discounts: { platform: 0, seller: 0 },
        paidAmount: lines.length * 1000,
      });
      const ts = Math.floor(Date.now() / 1000);
      const sig = `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
      const res = await fetch(`${url}/hooks/ownshop/${shop.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-orderhub-event-id': randomUUID(), 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': sig },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) refused++;
    },
  );
  console.log(`seeded ${orderCount - refused} paid orders in ${((performance.now() - seedStart) / 1000).toFixed(1)} s (${refused} refused)`);

  // Routing: batches until nothing paid is left unrouted.
  const batchRates: number[] = [];
  let routed = 0;
  const routeStart = performance.now();
  for (;;) {
    const t0 = performance.now();
    const out = await hub.writes.runRouting(who, { limit: 5000 });
    const n = out.plans.reduce((a, p) => a + p.orderIds.length, 0);
    if (n === 0) break;
    routed += n;
    batchRates.push(n / ((performance.now() - t0) / 1000));
  }
  const routeSeconds = (performance.now() - routeStart) / 1000;
  const shipments = Number((await hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM shipments'))?.c ?? 0);
  console.log(
    `routing: ${routed} orders in ${routeSeconds.toFixed(1)} s = ${Math.round(routed / routeSeconds)} orders/s overall; median batch ${Math.round(median(batchRates))} orders/s over ${batchRates.length} batches; ${shipments} shipments`,
  );

  // Tracking pushes: shipments marked shipped directly (the warehouse flow is not what is measured), then three
  // signed Kuaidi100 pushes each — in transit, out for delivery, delivered in person — over HTTP.
  const salt = 'bench-kuaidi100-salt';
  const account = await hub.writes.createTrackingAccount(who, { source: 'kuaidi100', name: 'Bench Kuaidi100', credentials: { key: 'bench-key', salt }, apiBase: 'http://127.0.0.1:9' });
  const ids = (await hub.db.read.all<{ id: string }>('SELECT id FROM shipments ORDER BY id LIMIT ?', [pushShipments * pushRuns])).map((r) => r.id);
  const now = Date.now();
  await hub.db.transaction(async (tx) => {
    for (const id of ids) await tx.run(`UPDATE shipments SET state = 'shipped', carrier = 'yuantong', tracking_no = ?, shipped_at = ? WHERE id = ?`, [`YTB${id}`, now - 86_400_000, id]);
  });
  const bj = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
  const push = (nu: string, state: string, traces: [number, string, string][]) => {
    const param = JSON.stringify({ status: 'polling', lastResult: { state, status: '200', com: 'yuantong', nu, data: traces.map(([at, context, code]) => ({ time: bj(at), ftime: bj(at), context, statusCode: code })) } });
    return `param=${encodeURIComponent(param)}&sign=${createHash('md5').update(param + salt).digest('hex').toUpperCase()}`;
  };
  const pushRates: number[] = [];
  const cpuPerPush: number[] = [];
  for (let run = 0; run < pushRuns; run++) {
    const mine = ids.slice(run * pushShipments, (run + 1) * pushShipments);
    const bodies = mine.flatMap((id) => {
      const nu = `YTB${id}`;
      const t = now - 10 * 3_600_000;
      return [
        push(nu, '0', [[t, '已发出', '1002']]),
        push(nu, '5', [[t + 3_600_000, '派件中', '5'], [t, '已发出', '1002']]),
        push(nu, '3', [[t + 7_200_000, '已签收，本人签收', '301'], [t + 3_600_000, '派件中', '5'], [t, '已发出', '1002']]),
      ];
    });
    let failed = 0;
    const t0 = performance.now();
    // CPU of this process (hub, load generator and the sync thread) per push: less at the mercy of a busy machine than
    // the wall-clock rate.
    const cpu0 = process.cpuUsage();
    // Each shipment's pushes in order (one lane per shipment), many shipments at once.
    await forEachLimited(mine, concurrency, async (_id, k) => {
      for (const body of bodies.slice(k * 3, k * 3 + 3)) {
        const res = await fetch(`${url}/hooks/tracking/kuaidi100/${account.id}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
      }
    });
    const rate = bodies.length / ((performance.now() - t0) / 1000);
    const cpu = process.cpuUsage(cpu0);
    pushRates.push(rate);
    cpuPerPush.push((cpu.user + cpu.system) / bodies.length);
    console.log(`tracking pushes run ${run + 1}: ${bodies.length} pushes, ${Math.round(rate)} pushes/s, ${Math.round(cpuPerPush.at(-1) ?? 0)} µs CPU per push, ${failed} refused`);
  }
  const delivered = Number((await hub.db.read.get<{ c: number }>(`SELECT COUNT(*) AS c FROM shipments WHERE state = 'delivered'`))?.c ?? 0);
  console.log(
    `tracking pushes: median ${Math.round(median(pushRates))} pushes/s, ${Math.round(median(cpuPerPush))} µs CPU per push, over ${pushRuns} runs; ${delivered} shipments delivered (signed in person)`,
  );
  const batches = hub.tracking.pushBatches;
  if (batches) {
    console.log(
      `tracking group commit: ${batches.items} pushes in ${batches.batches} transactions (mean ${(batches.items / Math.max(1, batches.batches)).toFixed(1)}, largest ${batches.largestBatch}), ${batches.isolatedReruns} batches re-run item by item`,
    );
  }
} finally {
  await app.close();
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}
