// Channel benchmark (`npm run bench:channels`): signed pushes from every push platform, made by the platform
// simulators (the load sandbox), against a hub child process on SQLite (writer thread, the production mode): each
// platform alone, then all mixed; then the pull of the pull-only platforms. Reports orders/s and the time to answer
// per platform, and checks that every order ended up stored once.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { forEachLimited, HubClient } from './lib/client.ts';
import { freePort, startServer } from './lib/server.ts';
import { postgresStore, sqliteStore, type BenchStore } from './lib/store.ts';
import { rng } from './lib/orders.ts';
import { startSimulatorServer } from '../src/sandbox/simulators/server.ts';
import { simulators } from '../src/sandbox/simulators/index.ts';
import type { PlatformSimulator, SimOrder, SimPush } from '../src/sandbox/simulators/types.ts';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    store: { type: 'string', default: 'sqlite' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const perPlatform = Number(values.orders);
const concurrency = Number(values.concurrency);
const pushPlatforms = ['ownshop', 'shopify', 'woocommerce', 'shopee', 'douyin'];
const pullPlatforms = ['taobao', 'jd', 'pinduoduo'];
const currencies: Record<string, string> = { shopify: 'USD', woocommerce: 'USD', shopee: 'MYR' };

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function order(platform: string, i: number, random: () => number, at: number): SimOrder {
  const sku = `SKU-${Math.floor(random() * 200)}`;
  return {
    id: String(7_000_000_000_000 + i),
    phase: 'paid',
    createdAt: at,
    updatedAt: at,
    currency: currencies[platform] ?? 'CNY',
    lines: [
      { sku, title: '保温杯 350ml', quantity: 1 + Math.floor(random() * 2), unitPrice: 8900, discount: 0 },
      { sku: `SKU-${Math.floor(random() * 200)}`, title: '替换杯盖', quantity: 1, unitPrice: 1500, discount: 100 },
    ],
    shippingFee: 800,
    discountPlatform: 200,
    discountSeller: 100,
    buyer: { id: `b${i}`, name: '王芳', phone: '13912345678' },
    receiver: { name: '王芳', phone: '13912345678', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 100 号' },
  };
}

/** The own shop signs as the hub documents it (X-Orderhub-Signature), written here apart from the hub's verifier. */
async function ownshopPushes(secret: string, n: number, random: () => number, at: number): Promise<SimPush[]> {
  const { createHmac } = await import('node:crypto');
  const out: SimPush[] = [];
  for (let i = 0; i < n; i++) {
    const o = order('ownshop', i, random, at);
    const body = JSON.stringify({
      orderId: `B${i}`,
      status: 'paid',
      createdAt: new Date(at).toISOString(),
      updatedAt: new Date(at).toISOString(),
      currency: 'CNY',
      buyer: o.buyer,
      receiver: o.receiver,
      lines: o.lines,
      shippingFee: o.shippingFee,
      discounts: { platform: o.discountPlatform, seller: o.discountSeller },
      paidAmount: o.lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0) + o.shippingFee - o.discountPlatform - o.discountSeller,
    });
    const ts = Math.floor(Date.now() / 1000);
    out.push({
      headers: {
        'content-type': 'application/json',
        'x-orderhub-event-id': `bench-${i}`,
        'x-orderhub-timestamp': String(ts),
        'x-orderhub-signature': `v1=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`,
      },
      body,
    });
  }
  return out;
}

interface Shop {
  platform: string;
  id: string;
  sim?: PlatformSimulator;
  pushes: SimPush[];
}

async function main() {
  const sims = await startSimulatorServer();
  const port = await freePort();
  const token = randomBytes(24).toString('base64url');
  const store: BenchStore = values.store === 'postgres' ? await postgresStore(values['pg-url'] as string) : sqliteStore();
  const publicUrl = `http://127.0.0.1:${port}`;
  const server = await startServer({ ...store.env, ORDERHUB_ADMIN_TOKEN: token, LOG_LEVEL: 'warn', ORDERHUB_DEMO: '0', ORDERHUB_PUBLIC_URL: publicUrl, ORDERHUB_PULL_INTERVAL_SECONDS: '0' }, port);
  const client = new HubClient(port, token, concurrency);
  const results: string[] = [];
  try {
    const random = rng(7);
    // Orders a second apart (as real ones are), the newest a minute ago.
    const at = Math.floor((Date.now() - perPlatform * 1000 - 60_000) / 1000) * 1000;
    const shops: Shop[] = [];
    for (const platform of [...pushPlatforms, ...pullPlatforms]) {
      if (platform === 'ownshop') {
        const secret = randomBytes(24).toString('base64url');
        const a = await client.api<{ id: string }>('POST', '/channel-accounts', { platform, name: 'bench ownshop', credentials: { secret } });
        shops.push({ platform, id: a.id, pushes: [] });
        (shops.at(-1) as Shop).pushes = await ownshopPushes(secret, perPlatform, random, Date.now());
        continue;
      }
      const sim = sims.mount(`bench-${platform}`, simulators[platform] as NonNullable<(typeof simulators)[string]>, `bench-${platform}`);
      const a = await client.api<{ id: string }>('POST', '/channel-accounts', { platform, name: `bench ${platform}`, credentials: sim.credentials });
      const pushes: SimPush[] = [];
      for (let i = 0; i < perPlatform; i++) pushes.push(...sim.record(order(platform, i, random, at + i * 1000), `${publicUrl}/hooks/${platform}/${a.id}`));
      shops.push({ platform, id: a.id, sim, pushes });
    }

    const send = async (shop: Shop, p: SimPush, lat: Map<string, number[]>) => {
      const body = Buffer.from(p.body, 'utf8');
      const a = await client.send('POST', `/hooks/${shop.platform}/${shop.id}`, { ...p.headers, 'content-length': body.length }, body);
      if (a.status !== 200) throw new Error(`${shop.platform}: ${a.status} ${a.body.toString('utf8').slice(0, 200)}`);
      const l = lat.get(shop.platform) ?? [];
      l.push(a.ms);
      lat.set(shop.platform, l);
    };
    const line = (label: string, n: number, ms: number, lats: number[]) => {
      const s = [...lats].sort((x, y) => x - y);
      return `| ${label} | ${n} | ${Math.round((n / ms) * 1000)} | ${pct(s, 50).toFixed(1)} | ${pct(s, 99).toFixed(1)} |`;
    };
    const pushShops = shops.filter((s) => s.pushes.length);
    // Each platform alone: half of its pushes (the other half goes into the mixed run).
    results.push('| platform, alone | pushes | pushes/s | p50 ms | p99 ms |', '|---|---|---|---|---|');
    for (const shop of pushShops) {
      const part = shop.pushes.slice(0, shop.pushes.length / 2);
      const lat = new Map<string, number[]>();
      const t0 = performance.now();
      await forEachLimited(part, concurrency, (p) => send(shop, p, lat));
      results.push(line(shop.platform, part.length, performance.now() - t0, lat.get(shop.platform) ?? []));
    }
    // All mixed: the other halves, interleaved.
    const mixed: [Shop, SimPush][] = [];
    const halves = pushShops.map((s) => s.pushes.slice(s.pushes.length / 2));
    for (let i = 0; halves.some((h) => i < h.length); i++) halves.forEach((h, k) => h[i] && mixed.push([pushShops[k] as Shop, h[i] as SimPush]));
    const lat = new Map<string, number[]>();
    const t0 = performance.now();
    await forEachLimited(mixed, concurrency, ([shop, p]) => send(shop, p, lat));
    const wall = performance.now() - t0;
    results.push('', '| mixed, per platform | pushes | pushes/s (share of the mixed run) | p50 ms | p99 ms |', '|---|---|---|---|---|');
    for (const shop of pushShops) results.push(line(shop.platform, lat.get(shop.platform)?.length ?? 0, wall, lat.get(shop.platform) ?? []));
    results.push(line('**all mixed**', mixed.length, wall, [...lat.values()].flat()));

    // Shopee and Douyin pushes name orders; the hub fetches them right after answering: wait until all are in.
    const expectOrders = async (shop: Shop) => {
      for (let i = 0; i < 600; i++) {
        const r = await client.api<{ total: number }>('GET', `/orders?account=${shop.id}&pageSize=1`);
        if (r.total >= perPlatform) return r.total;
        await new Promise((res) => setTimeout(res, 200));
      }
      return (await client.api<{ total: number }>('GET', `/orders?account=${shop.id}&pageSize=1`)).total;
    };
    results.push('', '| platform | orders stored | expected |', '|---|---|---|');
    for (const shop of pushShops) results.push(`| ${shop.platform} | ${await expectOrders(shop)} | ${perPlatform} |`);

    results.push('', '| pull-only platform | orders pulled | orders/s | run ms | API calls |', '|---|---|---|---|---|');
    for (const shop of shops.filter((s) => !s.pushes.length)) {
      const calls = shop.sim?.stats.calls ?? 0;
      const t = performance.now();
      const run = await client.api<{ fetched: number; created: number; errorCode: string | null; error: string | null }>('POST', `/channel-accounts/${shop.id}/pull`);
      const ms = performance.now() - t;
      if (run.errorCode) throw new Error(`${shop.platform} pull: ${run.errorCode} ${run.error ?? ''}`);
      results.push(`| ${shop.platform} | ${run.created} | ${Math.round((run.created / ms) * 1000)} | ${Math.round(ms)} | ${(shop.sim?.stats.calls ?? 0) - calls} |`);
    }
  } finally {
    client.close();
    await server.stop();
    await sims.close();
    await store.dispose();
  }
  console.log(`# channels benchmark: ${perPlatform} orders per platform, ${concurrency} in flight, ${values.store}, ${os.cpus().length} cores, node ${process.version}\n`);
  console.log(results.join('\n'));
}

await main();
