// What encrypting personal data costs the ingest path per order: the same calls, the same sizes, without the
// database. Compare with bench/ingest-core.ts (CPU µs per order through the whole write path).
import { Keyring, newDataKey } from '../src/platform/security/keyring.ts';

const orders = Number(process.env.BENCH_ORDERS ?? 50_000);
const keyring = new Keyring([newDataKey('bench')]);
const body = JSON.stringify({
  orderId: 'C1',
  status: 'paid',
  createdAt: '2026-11-22T10:00:00+08:00',
  updatedAt: '2026-11-22T10:00:00+08:00',
  currency: 'CNY',
  buyer: { id: 'b', name: '张三', phone: '13812341234' },
  receiver: { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' },
  lines: [
    { sku: 'S1', title: '杯子', quantity: 1, unitPrice: 1999 },
    { sku: 'S7', title: '盖子', quantity: 2, unitPrice: 500 },
  ],
  paidAmount: 2999,
});

// As ingest does: the raw body, the address, and the phones (encrypted and index-hashed); a buyer phone equal to
// the receiver's (most orders) is sealed once — BENCH_DISTINCT_PHONES=1 measures orders where they differ.
const distinct = process.env.BENCH_DISTINCT_PHONES === '1';
function perOrder(i: number): number {
  const phone = `138${String(i).padStart(8, '0')}`;
  let n = keyring.encrypt(body).length + keyring.encrypt('文三路 1 号').length + keyring.encrypt(phone).length + keyring.indexHash(phone).length;
  if (distinct) n += keyring.encrypt(`139${phone.slice(3)}`).length + keyring.indexHash(`139${phone.slice(3)}`).length;
  return n;
}

for (let i = 0; i < 5_000; i++) perOrder(i); // warm-up
const runs: number[] = [];
for (let r = 0; r < 5; r++) {
  const cpu0 = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < orders; i++) sink += perOrder(i);
  const cpu = process.cpuUsage(cpu0);
  if (sink < 0) console.log(sink);
  runs.push((cpu.user + cpu.system) / orders);
}
runs.sort((a, b) => a - b);
console.log(JSON.stringify({ orders, distinctPhones: distinct, bodyBytes: Buffer.byteLength(body), cpuMicrosPerOrder: runs.map((x) => Number(x.toFixed(2))), median: Number(runs[2]?.toFixed(2)) }));
