// The ingest write path without HTTP: what one SQLite writer takes, in orders per second and CPU microseconds per
// order through group commit. Deliveries are made before the clock starts; pass --unsealed to leave the encryption
// of personal data to the writer, as without a writer thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults } from '../src/platform/config.ts';
import { createLogger } from '../src/platform/log.ts';
import { startHub } from '../src/app/hub.ts';
import { ownshop } from '../src/modules/channels/connectors/ownshop/index.ts';
import { sealDelivery, type Delivery } from '../src/modules/orders/ingest/ingest.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';

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

// Deliveries are made (parsed, and sealed as the HTTP thread seals them under `serve`) before the clock starts, so
// the figures are the writer's work alone: what one SQLite writer can take.
const sealed = process.argv.includes('--unsealed') ? (d: Delivery) => d : (d: Delivery) => ({ ...d, sealed: sealDelivery(hub.keyring, d) });
async function run(from: number, count: number) {
  const items = Array.from({ length: count }, (_, i) => sealed(delivery(from + i)));
  let next = 0;
  const worker = async () => {
    while (next < items.length) await hub.writes.ingest(items[next++] as Delivery);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { wall: performance.now() - t0, cpu: process.cpuUsage(cpu0) };
}

await run(0, 2_000); // warm-up
const { wall, cpu } = await run(1_000_000, orders);
const cpuUs = (cpu.user + cpu.system) / orders;
console.log(
  JSON.stringify({ orders, inFlight, ordersPerSecond: Math.round((orders / wall) * 1000), cpuMicrosPerOrder: Math.round(cpuUs), batches: hub.local!.ingest.stats.batches, largestBatch: hub.local!.ingest.stats.largestBatch }),
);
await hub.close();
rmSync(dir, { recursive: true, force: true });
const prof = (globalThis as unknown as { __prof?: Map<string, [number, number]> }).__prof;
if (prof) for (const [k, [n, ns]] of [...prof].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(String(Math.round(ns / 1e3 / orders)).padStart(5), 'µs/order', String(n).padStart(7), 'calls', (ns / n / 1e3).toFixed(1).padStart(6), 'µs/call', k.replace(/\s+/g, ' ').slice(0, 110));
