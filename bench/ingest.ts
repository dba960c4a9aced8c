// Ingest benchmark (`npm run bench`): signed own-shop pushes against a hub child process on SQLite, then PostgreSQL, with oversell and lost-order checks.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { forEachLimited, HubClient, pushAll, type LoadResult } from './lib/client.ts';
import { RawPushClient } from './lib/raw-client.ts';
import { cpuPercent, snapshot } from './lib/cpu.ts';
import { makeCatalogue, makeDeliveries, rng, type Delivery } from './lib/orders.ts';
import { freePort, repoRoot, startServer, type RunningServer } from './lib/server.ts';
import { postgresStore, sqliteStore, type BenchStore } from './lib/store.ts';
import { apiChecks, dbChecks, type Acknowledged } from './lib/verify.ts';

const usage = `usage: npm run bench -- [options]
  --orders N          timed orders for every store (env BENCH_ORDERS)
  --sqlite-orders N   timed orders on SQLite (default 20000; env BENCH_SQLITE_ORDERS)
  --pg-orders N       timed orders on PostgreSQL (default 5000; env BENCH_PG_ORDERS)
  --concurrency N     requests in flight = keep-alive sockets (default 64; env BENCH_CONCURRENCY)
  --warmup N          untimed orders first (default 1000; env BENCH_WARMUP)
  --sample N          acknowledged orders looked up one by one through the API (default 500)
  --skus N            SKUs, 5 of them hot (default 1000)
  --stores LIST       sqlite,postgres (default both; env BENCH_STORES)
  --pg-url URL        PostgreSQL to create the bench database in (default postgres://postgres@127.0.0.1:5432/test; env BENCH_PG_URL)
  --seed N            order generator seed (default 42)
  --json FILE         also write the results as JSON
  --hub-env K=V       extra environment for the hub, repeatable, e.g. ORDERHUB_PG_WRITE_LANES=1 (experiments only)
  --hub-node-arg ARG  extra node flag for the hub, repeatable, e.g. --hub-node-arg=--cpu-prof (profiling only)
  --keep              keep the SQLite directory / PostgreSQL database afterwards
  --client KIND       load generator for the pushes: raw (default; HTTP/1.1 written on keep-alive sockets, a third of
                      node:http's CPU, which the hub gets instead on this 2-core machine) or node (node:http's client)`;

function options() {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      'sqlite-orders': { type: 'string' },
      'pg-orders': { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      sample: { type: 'string' },
      skus: { type: 'string' },
      stores: { type: 'string' },
      'pg-url': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      'hub-env': { type: 'string', multiple: true },
      'hub-node-arg': { type: 'string', multiple: true },
      keep: { type: 'boolean', default: false },
      client: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const env = process.env;
  const int = (name: string, min: number, ...candidates: (string | undefined)[]): number => {
    const raw = candidates.find((c) => c !== undefined && c !== '') as string;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      console.error(`${name} must be a whole number ≥ ${min} (got ${raw})\n\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  const stores = (values.stores ?? env.BENCH_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim().toLowerCase());
  for (const s of stores) {
    if (s !== 'sqlite' && s !== 'postgres') {
      console.error(`unknown store "${s}"\n\n${usage}`);
      process.exit(2);
    }
  }
  const hubEnv: Record<string, string> = {};
  for (const kv of values['hub-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) {
      console.error(`--hub-env wants KEY=VALUE (got ${kv})\n\n${usage}`);
      process.exit(2);
    }
    hubEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const client = (values.client ?? env.BENCH_CLIENT ?? 'raw').toLowerCase();
  if (client !== 'raw' && client !== 'node') {
    console.error(`--client must be raw or node (got ${client})\n\n${usage}`);
    process.exit(2);
  }
  return {
    hubEnv,
    client: client as 'raw' | 'node',
    hubNodeArgs: values['hub-node-arg'] ?? [],
    sqliteOrders: int('--sqlite-orders', 1, values['sqlite-orders'], values.orders, env.BENCH_SQLITE_ORDERS, env.BENCH_ORDERS, '20000'),
    pgOrders: int('--pg-orders', 1, values['pg-orders'], values.orders, env.BENCH_PG_ORDERS, env.BENCH_ORDERS, '5000'),
    concurrency: int('--concurrency', 1, values.concurrency, env.BENCH_CONCURRENCY, '64'),
    warmup: int('--warmup', 0, values.warmup, env.BENCH_WARMUP, '1000'),
    sample: int('--sample', 0, values.sample, '500'),
    skus: int('--skus', 10, values.skus, '1000'),
    seed: int('--seed', 0, values.seed, '42'),
    stores: stores as ('sqlite' | 'postgres')[],
    pgUrl: values['pg-url'] ?? env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    json: values.json,
    keep: values.keep ?? false,
  };
}

type Options = ReturnType<typeof options>;

export interface StoreResult {
  store: string;
  durability: string;
  orders: number;
  concurrency: number;
  ordersPerSec: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  non2xxByStatus: Record<string, number>;
  failureSamples: string[];
  oversells: number;
  lost: number;
  ledgerMismatches: number;
  /** Orders the hub held as stock-short: proof the contended path ran. */
  stockShort: number;
  acknowledged: number;
  apiTotal: number;
  dbOrders: number | null;
  warmup: { orders: number; ordersPerSec: number; non2xx: number };
  cpuPercent: { hub: number | null; loadgen: number; postgres: number | null };
  setupSeconds: number;
  storeStats: Record<string, number>;
  serverWarnings: Record<string, number>;
  serverOtherLines: string[];
  stop: { code: number | null; signal: string | null; killed: boolean; ms: number };
  details: string[];
}

const log = (s: string) => process.stderr.write(`  · ${s}\n`);

// Ctrl-C stops the hub, so the run unwinds through its cleanup (temp dir, bench database) instead of leaving them behind.
const interrupt: { requested: boolean; server: RunningServer | null } = { requested: false, server: null };
process.once('SIGINT', () => {
  interrupt.requested = true;
  log('interrupted: stopping the hub and cleaning up (Ctrl-C again to quit at once)');
  void interrupt.server?.stop(5_000);
});
const checkInterrupt = () => {
  if (interrupt.requested) throw new Error('interrupted');
};

/** Nearest-rank percentile of latencies in ms. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function acknowledged(deliveries: readonly Delivery[], r: LoadResult): Acknowledged[] {
  const out: Acknowledged[] = [];
  deliveries.forEach((d, i) => {
    const state = r.reservation[i];
    if (state !== null && state !== undefined) out.push({ delivery: d, reservation: state });
  });
  return out;
}

/** Warnings and errors the hub logged (pino JSON lines), grouped by message; anything else is kept verbatim. */
function serverOutput(server: RunningServer): { warnings: Record<string, number>; other: string[] } {
  const warnings: Record<string, number> = {};
  const other: string[] = [];
  for (const line of server.output.lines) {
    let parsed: { level?: number; msg?: string } | null = null;
    try {
      parsed = JSON.parse(line) as { level?: number; msg?: string };
    } catch {
      parsed = null;
    }
    if (parsed && typeof parsed.level === 'number') {
      if (parsed.level >= 40) {
        const key = `${parsed.level >= 50 ? 'ERROR' : 'WARN'} ${parsed.msg ?? ''}`.slice(0, 160);
        warnings[key] = (warnings[key] ?? 0) + 1;
      }
    } else if (other.length < 20) {
      other.push(line.slice(0, 300));
    }
  }
  return { warnings, other };
}

async function runStore(store: BenchStore, orders: number, opt: Options): Promise<StoreResult> {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const secret = randomBytes(32).toString('hex');
  const tag = randomBytes(4).toString('hex');
  const random = rng(opt.seed);
  log(`${store.name}: starting hub on 127.0.0.1:${port} (${store.location})`);
  // The unpaid half of the orders must keep their reservations for the ledger check: no payment timeout during the run
  // (it would release them, which the acknowledged answers cannot show). Creating the timer costs the same either way.
  const hubEnv = { ...store.env, ORDERHUB_ADMIN_TOKEN: token, LOG_LEVEL: 'warn', ORDERHUB_PAYMENT_TIMEOUT_MINUTES: '1440', ...opt.hubEnv };
  const server = await startServer(hubEnv, port, opt.hubNodeArgs);
  interrupt.server = server;
  const client = new HubClient(port, token, opt.concurrency);
  let stopped: Awaited<ReturnType<RunningServer['stop']>> | null = null;
  try {
    const account = await client.api<{ id: string }>('POST', '/channel-accounts', {
      platform: 'ownshop',
      name: `bench ${tag}`,
      credentials: { secret },
    });

    const cat = makeCatalogue({ skuCount: opt.skus, hotCount: 5, expectedOrders: orders + opt.warmup, hotLineShare: 0.04 });
    const t0 = Date.now();
    const cells = [...cat.initial.entries()];
    await forEachLimited(cells, 8, async ([key, onHand]) => {
      const [sku, warehouse] = key.split('|') as [string, string];
      await client.setStock(sku, warehouse, onHand);
    });
    checkInterrupt();
    const setupSeconds = (Date.now() - t0) / 1000;
    log(`${store.name}: stock set for ${cat.skus.length} SKUs × ${cat.warehouses.length} warehouses in ${setupSeconds.toFixed(1)} s`);

    // Signed now, just before sending, so the timestamps sit well inside the hub's ±300 s window.
    const warm = makeDeliveries({ count: opt.warmup, prefix: `w-${tag}`, catalogue: cat, random, secret });
    const timed = makeDeliveries({ count: orders, prefix: `o-${tag}`, catalogue: cat, random, secret });
    const pusher = opt.client === 'raw' ? new RawPushClient(port, opt.concurrency) : client;
    const warmResult = await pushAll(pusher, account.id, secret, warm, opt.concurrency);
    checkInterrupt();
    log(`${store.name}: warm-up ${warm.length} orders at ${((warmResult.ok / warmResult.wallMs) * 1000).toFixed(0)}/s`);

    const before = snapshot(server.pid, store.name === 'PostgreSQL');
    const load = await pushAll(pusher, account.id, secret, timed, opt.concurrency);
    if (pusher !== client) pusher.close();
    const after = snapshot(server.pid, store.name === 'PostgreSQL');
    checkInterrupt();
    const cpu = cpuPercent(before, after, load.wallMs);
    log(`${store.name}: ${load.ok}/${load.sent} acknowledged in ${(load.wallMs / 1000).toFixed(1)} s; checking`);

    const acked = [...acknowledged(warm, warmResult), ...acknowledged(timed, load)];
    const api = await apiChecks(client, cat, acked, opt.sample, random);
    client.close();
    stopped = await server.stop();
    const reader = await store.reader();
    const [db, storeStats] = await Promise.all([dbChecks(reader, cat, acked), store.stats(reader)]).finally(() => reader.close());

    const sorted = Float64Array.from(load.okLatencies).sort();
    const failures = Object.fromEntries(load.failures);
    const non2xx = [...load.failures.values()].reduce((a, b) => a + b, 0);
    const oversold = new Set([...api.oversoldRows.map((r) => r.split(' ')[0]), ...db.oversoldRows.map((r) => r.split(':')[0])]);
    // Exact from the table; the API view (sample, total) can only add evidence, never hide a miss.
    const lost = Math.max(db.missing.length, api.sampleMissing.length, acked.length - api.apiTotal, 0);
    const out = serverOutput(server);
    const details = [
      ...api.oversoldRows.map((r) => `oversold (API): ${r}`),
      ...db.oversoldRows.map((r) => `oversold (DB): ${r}`),
      ...api.ledgerMismatches.map((r) => `ledger (API): ${r}`),
      ...db.ledgerProblems.map((r) => `ledger (DB): ${r}`),
      ...api.sampleMissing.map((r) => `lost (API sample): ${r}`),
      ...db.missing.slice(0, 20).map((r) => `lost (DB): ${r}`),
    ];
    return {
      store: store.name,
      durability: store.durability,
      orders,
      concurrency: opt.concurrency,
      ordersPerSec: (load.ok / load.wallMs) * 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
      non2xx,
      non2xxByStatus: failures,
      failureSamples: [...warmResult.failureSamples, ...load.failureSamples].slice(0, 5),
      oversells: oversold.size,
      lost,
      ledgerMismatches: api.ledgerMismatches.length + db.ledgerProblems.length,
      stockShort: api.stockShortOrders,
      acknowledged: acked.length,
      apiTotal: api.apiTotal,
      dbOrders: db.dbOrders,
      warmup: {
        orders: warm.length,
        ordersPerSec: warmResult.wallMs ? (warmResult.ok / warmResult.wallMs) * 1000 : 0,
        non2xx: [...warmResult.failures.values()].reduce((a, b) => a + b, 0),
      },
      cpuPercent: cpu,
      setupSeconds,
      storeStats,
      serverWarnings: out.warnings,
      serverOtherLines: out.other,
      stop: { code: stopped.code, signal: stopped.signal, killed: stopped.killed, ms: stopped.ms },
      details,
    };
  } finally {
    client.close();
    if (!stopped) await server.stop();
    interrupt.server = null;
  }
}

const fmt = (n: number | null, digits = 1): string => (n === null || Number.isNaN(n) ? '–' : n.toFixed(digits));

function table(results: StoreResult[]): string {
  const head = ['store', 'durability', 'orders', 'conc', 'orders/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'oversells', 'lost'];
  const rows = results.map((r) => [
    r.store,
    r.durability,
    String(r.orders),
    String(r.concurrency),
    fmt(r.ordersPerSec, 0),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.max),
    String(r.non2xx),
    String(r.oversells),
    String(r.lost),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' │ ');
  return [line(head), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map(line)].join('\n');
}

/** The source being measured: figures are only comparable between runs of the same commit. */
function sourceVersion(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const opt = options();
  const commit = sourceVersion();
  const cpus = os.cpus();
  console.log(`Order hub ingest benchmark — source ${commit}`);
  console.log(
    `machine: ${os.availableParallelism()} cores (nproc), ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
      `node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (Object.keys(opt.hubEnv).length) console.log(`hub environment overrides (not the defaults!): ${JSON.stringify(opt.hubEnv)}`);
  if (opt.hubNodeArgs.length) console.log(`hub node flags: ${opt.hubNodeArgs.join(' ')}`);
  console.log(
    `load: ${opt.concurrency} keep-alive connections on loopback (${opt.client === 'raw' ? 'raw HTTP/1.1 client' : 'node:http client'}), ${opt.warmup} warm-up orders, 1–3 lines each, ${opt.skus} SKUs (5 hot, short on purpose) × 2 warehouses, seed ${opt.seed}\n`,
  );

  const results: StoreResult[] = [];
  const skipped: string[] = [];
  for (const which of opt.stores) {
    if (interrupt.requested) break;
    let store: BenchStore;
    if (which === 'sqlite') {
      store = sqliteStore(opt.hubEnv.ORDERHUB_SQLITE_SYNCHRONOUS);
    } else {
      try {
        store = await postgresStore(opt.pgUrl);
      } catch (e) {
        const line = `skipped PostgreSQL: ${(e as Error).message || String(e)}`;
        console.log(line);
        skipped.push(line);
        continue;
      }
    }
    try {
      results.push(await runStore(store, which === 'sqlite' ? opt.sqliteOrders : opt.pgOrders, opt));
    } catch (e) {
      // One store failing must not hide the other's figures; the run still ends non-zero.
      console.log(`FAILED ${store.name}: ${interrupt.requested ? 'interrupted' : ((e as Error).stack ?? String(e))}`);
      process.exitCode = 1;
    } finally {
      if (opt.keep) log(`kept ${store.location}`);
      else await store.dispose().catch((e: unknown) => log(`could not remove ${store.location}: ${(e as Error).message}`));
    }
  }

  console.log(results.length ? table(results) : 'no store was measured');
  for (const r of results) {
    console.log(`\n${r.store}:`);
    console.log(
      `  acknowledged ${r.acknowledged} (incl. ${r.warmup.orders} warm-up at ${fmt(r.warmup.ordersPerSec, 0)}/s), ` +
        `API total ${r.apiTotal}, rows in orders table ${r.dbOrders ?? '–'}; held stock-short: ${r.stockShort}`,
    );
    console.log(`  stock ledger mismatches: ${r.ledgerMismatches}; stock setup ${fmt(r.setupSeconds)} s`);
    console.log(
      `  CPU over the timed phase (% of one core): hub ${fmt(r.cpuPercent.hub, 0)}, load generator ${fmt(r.cpuPercent.loadgen, 0)}` +
        (r.cpuPercent.postgres === null ? '' : `, postgres ${fmt(r.cpuPercent.postgres, 0)}`),
    );
    if (Object.keys(r.storeStats).length) {
      console.log(`  ${r.store} counters for the bench database: ${Object.entries(r.storeStats).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    }
    if (r.non2xx) console.log(`  non-2xx by status: ${JSON.stringify(r.non2xxByStatus)}; e.g. ${r.failureSamples.join(' | ')}`);
    const warnings = Object.entries(r.serverWarnings);
    console.log(`  hub log warnings/errors: ${warnings.length ? warnings.map(([m, n]) => `${n}× ${m}`).join('; ') : 'none'}`);
    if (r.serverOtherLines.length) console.log(`  other hub output:\n    ${r.serverOtherLines.join('\n    ')}`);
    console.log(`  hub stop: SIGTERM → exit ${r.stop.code ?? r.stop.signal} in ${r.stop.ms} ms${r.stop.killed ? ' (did not exit; KILLED)' : ''}`);
    for (const d of r.details.slice(0, 30)) console.log(`  ${d}`);
  }
  if (opt.json) {
    writeFileSync(
      opt.json,
      JSON.stringify({ at: new Date().toISOString(), commit, node: process.version, cores: os.availableParallelism(), skipped, results }, null, 2),
    );
  }
  if (interrupt.requested) process.exitCode = 130;
  const bad = results.filter((r) => r.oversells > 0 || r.lost > 0 || r.ledgerMismatches > 0);
  if (bad.length) {
    console.log(`\nFAILED: ${bad.map((r) => `${r.store} oversells ${r.oversells}, lost ${r.lost}, ledger mismatches ${r.ledgerMismatches}`).join('; ')}`);
    process.exitCode = 1;
  }
}

await main();
