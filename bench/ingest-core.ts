// The ingest write path without HTTP: CPU microseconds per order through group commit, to compare changes
// to the hot path on a noisy machine (CPU time moves far less than wall time when other tenants are busy).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { startHub } from '../src/runtime/hub.ts';
import { ownshop } from '../src/channels/ownshop/index.ts';
import type { Delivery } from '../src/services/ingest.ts';
import { systemPrincipal } from '../src/domain/principal.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 20_000);
const inFlight = Number(process.env.BENCH_CONCURRENCY ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'orderhub-core-'));
const hub = await startHub({ ...defaults, dataDir: dir, logLevel: 'silent', adminToken: 'x', configFile: null }, createLogger('silent'), {
  workers: false,
});
const account = await hub.writes.createAccount(systemPrincipal('default', 'bench'), { platform: 'ownshop', name: 'bench', credentials: { secret: 'bench' } });
for (let i = 0; i < 200; i++) await hub.writes.setStock(systemPrincipal('default', 'bench'), { sku: `S${i}`, warehouse: 'WH1', onHand: 1_000_000, cause: 'bench' });

function delivery(n: number): Delivery {
  const body = Buffer.from(
    JSON.stringify({
      orderId: `C${n}`,
      status: n % 2 ? 'paid' : 'pending_payment',
      createdAt: '2026-11-22T10:00:00+08:00',
      updatedAt: '2026-11-22T10:00:00+08:00',
      currency: 'CNY',
      buyer: { id: 'b', name: '张三', phone: '13812341234' },
      receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' },
      lines: [
        { sku: `S${n % 200}`, title: '杯子', quantity: 1, unitPrice: 1999 },
        { sku: `S${(n * 7) % 200}`, title: '盖子', quantity: 2, unitPrice: 500 },
      ],
      paidAmount: n % 2 ? 2999 : 0,
    }),
  );
  return { tenantId: 'default', accountId: account.id, channel: 'ownshop', eventId: `e${n}`, receivedAt: Date.now(), headers: {}, rawBody: body, orders: ownshop.parsePush!(body, { eventId: `e${n}`, keptHeaders: {} }) };
}

async function run(from: number, count: number) {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) await hub.writes.ingest(delivery(next++));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

await run(0, 2_000); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await run(1_000_000, orders);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuUs = (cpu.user + cpu.system) / orders;
console.log(
  JSON.stringify({ orders, inFlight, ordersPerSecond: Math.round((orders / wall) * 1000), cpuMicrosPerOrder: Math.round(cpuUs), batches: hub.local!.ingest.stats.batches, largestBatch: hub.local!.ingest.stats.largestBatch }),
);
await hub.close();
rmSync(dir, { recursive: true, force: true });
const prof = (globalThis as unknown as { __prof?: Map<string, [number, number]> }).__prof;
if (prof) for (const [k, [n, ns]] of [...prof].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(String(Math.round(ns / 1e3 / orders)).padStart(5), 'µs/order', String(n).padStart(7), 'calls', (ns / n / 1e3).toFixed(1).padStart(6), 'µs/call', k.replace(/\s+/g, ' ').slice(0, 110));
