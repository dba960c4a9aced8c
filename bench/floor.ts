// The floor under the ingest benchmark: the same load generator, the same signed orders and the same 64 requests in
// flight, against a server that does only what any push receiver must — read the body over keep-alive HTTP, check
// the HMAC in constant time, parse the JSON, answer with a small JSON body — and stores nothing. What it reaches on
// this machine bounds what the hub can reach here, since the hub does all of that and then stores the order.
//
//   node bin/run-ts.js bench/floor.ts [--orders N] [--concurrency N] [--runs N] [--client raw|node]
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { HubClient, pushAll } from './lib/client.ts';
import { RawPushClient } from './lib/raw-client.ts';
import { makeCatalogue, makeDeliveries, rng } from './lib/orders.ts';
import { cpuPercent, snapshot } from './lib/cpu.ts';
import { freePort } from './lib/server.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const orders = option('orders', 20_000);
const concurrency = option('concurrency', 64);
const runs = option('runs', 3);
const secret = 'floor-secret';
const clientKind = process.argv.includes('--client') ? process.argv[process.argv.indexOf('--client') + 1] : 'raw';
if (clientKind !== 'raw' && clientKind !== 'node') throw new Error('--client must be raw or node');

// The server runs as its own process, like the hub in bench/ingest.ts, written here in plain JavaScript.
const serverSource = `
const http = require('node:http');
const { createHmac, timingSafeEqual } = require('node:crypto');
const secret = ${JSON.stringify(secret)};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const ts = String(req.headers['x-orderhub-timestamp'] ?? '');
    const want = Buffer.from('v1=' + createHmac('sha256', secret).update(ts + '.').update(body).digest('hex'));
    const got = Buffer.from(String(req.headers['x-orderhub-signature'] ?? ''));
    if (got.length !== want.length || !timingSafeEqual(got, want)) { res.writeHead(401).end(); return; }
    const order = JSON.parse(body.toString('utf8'));
    const answer = JSON.stringify({ ok: true, duplicate: false, orders: [{ orderId: order.orderId, orderNo: 'ORD-0', outcome: 'created', status: order.status, reservation: 'held', hold: null }] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));
`;

const port = await freePort();
const child = spawn(process.execPath, ['-e', serverSource, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
  child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
});

const cat = makeCatalogue({ skuCount: 1000, hotCount: 5, expectedOrders: orders, hotLineShare: 0.05 });
const client = clientKind === 'raw' ? new RawPushClient(port, concurrency) : new HubClient(port, '', concurrency);
console.log(`floor: node:http + HMAC + JSON.parse, nothing stored; ${orders} orders, ${concurrency} in flight, ${runs} runs, ${clientKind} client`);
const rows: { perSecond: number; p50: number; p99: number; server: number | null; loadgen: number }[] = [];
for (let run = 0; run < runs; run++) {
  const warm = makeDeliveries({ count: 1000, prefix: `w${run}`, catalogue: cat, random: rng(run + 1), secret });
  await pushAll(client, 'floor', secret, warm, concurrency);
  const load = makeDeliveries({ count: orders, prefix: `r${run}`, catalogue: cat, random: rng(run + 100), secret });
  const before = snapshot(child.pid as number, false);
  const t0 = performance.now();
  const r = await pushAll(client, 'floor', secret, load, concurrency);
  const cpu = cpuPercent(before, snapshot(child.pid as number, false), performance.now() - t0);
  if (r.ok !== orders) throw new Error(`floor server answered ${r.ok} of ${orders}: ${[...r.failures].join(', ')}`);
  const sorted = Float64Array.from(r.okLatencies).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
  rows.push({ perSecond: Math.round((r.ok / r.wallMs) * 1000), p50: q(0.5), p99: q(0.99), server: cpu.hub, loadgen: cpu.loadgen });
  const last = rows.at(-1) as (typeof rows)[number];
  console.log(
    `run ${run + 1}: ${last.perSecond} orders/s, p50 ${last.p50.toFixed(1)} ms, p99 ${last.p99.toFixed(1)} ms; CPU % of one core: server ${last.server?.toFixed(0)}, load generator ${last.loadgen.toFixed(0)}`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(`median: ${median(rows.map((r) => r.perSecond))} orders/s, p99 ${median(rows.map((r) => r.p99)).toFixed(1)} ms`);
client.close();
child.kill('SIGTERM');
