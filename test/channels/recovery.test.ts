// The polling safety net, for every platform the hub speaks: a fifth of the pushes are dropped on the way, the poller
// pulls from the platform's simulator (signed as the platform signs, checked as the platform checks), and every order
// ends in its latest state — each recovered exactly once, none twice. Then the same updates, shuffled and duplicated,
// end in the same orders as in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { simulators } from '../../src/sandbox/simulators/index.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import type { PlatformSimulator, SimOrder, SimPhase } from '../../src/sandbox/simulators/types.ts';
import { adapterFor } from '../../src/modules/channels/connectors/registry.ts';
import type { ChannelAdapter, PulledOrder } from '../../src/modules/channels/connectors/types.ts';

const PUBLIC = 'http://hub.test';
const currencies: Record<string, string> = { shopify: 'USD', woocommerce: 'USD', shopee: 'MYR' };
const platforms = Object.keys(simulators).sort();
const ORDERS = 12;
/** How each platform hands over the receiver (Shopee masks only in some markets, not for these orders). */
const protectedBy: Record<string, string> = { taobao: 'masked', jd: 'encrypted', pinduoduo: 'encrypted', douyin: 'encrypted' };

/** A small deterministic random source, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** An order's life as the platform shows it: each state a new version with a later modified time (whole seconds). */
function lifecycle(platform: string, i: number, random: () => number, base: number): SimOrder[] {
  const phases: SimPhase[] = ['created', 'paid', 'shipped', 'completed'];
  const last = 1 + Math.floor(random() * 3);
  const skuA = `SKU-${(i % 3) + 1}`;
  const order: SimOrder = {
    id: String(9_100_000_000 + i * 7919 + platform.length),
    phase: 'created',
    createdAt: base,
    updatedAt: base,
    currency: currencies[platform] ?? 'CNY',
    lines: [
      { sku: skuA, title: '保温杯 350ml', quantity: 2, unitPrice: 8900, discount: 500 },
      { sku: 'SKU-9', title: '替换杯盖', quantity: 1, unitPrice: 1500, discount: 0 },
    ],
    shippingFee: 800,
    discountPlatform: 300,
    discountSeller: 200,
    buyer: { id: `b${i}`, name: '王芳', phone: '13912345678' },
    receiver: { name: '王芳', phone: '13912345678', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 100 号' },
  };
  return phases.slice(0, last + 1).map((phase, k) => ({ ...order, phase, updatedAt: base + k * 60_000 }));
}

const anchorOf: Record<SimPhase, string[]> = {
  created: ['pending_payment'],
  paid: ['paid'],
  shipped: ['shipped'],
  delivered: ['delivered'],
  // Some platforms' last state is "signed for" (PDD 已签收): delivered is as far as they say.
  completed: ['completed', 'delivered'],
  cancelled: ['cancelled'],
};

/** Where a platform says less than the phases: Shopify ends at fulfilled (shipped); WooCommerce has no shipped, only completed. */
const platformAnchor: Record<string, Partial<Record<SimPhase, string[]>>> = {
  shopify: { delivered: ['shipped'], completed: ['shipped'] },
  woocommerce: { shipped: ['completed'] },
};

describe.each(httpBackends)('recovery by polling on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;

  beforeAll(async () => {
    s = await startServer(backend, { publicUrl: PUBLIC, pullOverlapMinutes: 60, pullLookbackHours: 24 });
    sims = await startSimulatorServer();
    for (const sku of ['SKU-1', 'SKU-2', 'SKU-3', 'SKU-9']) await setStock(s, sku, 100_000);
  });
  afterAll(async () => {
    await sims?.close();
    await s?.close();
  });

  async function account(platform: string, prefix: string): Promise<{ id: string; sim: PlatformSimulator }> {
    const sim = sims.mount(prefix, simulators[platform] as NonNullable<(typeof simulators)[string]>, prefix);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform, name: prefix, credentials: sim.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    return { id: a.body.id, sim };
  }

  async function deliver(platform: string, accountId: string, push: { headers: Record<string, string>; body: string }) {
    const r = await fetch(`${s.url}/hooks/${platform}/${accountId}`, { method: 'POST', headers: push.headers, body: push.body });
    expect(r.status, `${platform}: ${await r.clone().text()}`).toBe(200);
    await r.arrayBuffer();
  }

  const snapshot = async (accountId: string) =>
    new Map(
      (
        await s.hub.db.read.all<{ platform_order_id: string; status: string; source_updated_at: number }>(
          'SELECT platform_order_id, status, source_updated_at FROM orders WHERE account_id = ?',
          [accountId],
        )
      ).map((r) => [r.platform_order_id, `${r.status}@${Number(r.source_updated_at)}`]),
    );

  it.each(platforms)('%s: pushes dropped at random (20%%) are recovered by the poller, each exactly once', async (platform) => {
    const random = rng(platform.length * 7919 + 17);
    const { id, sim } = await account(platform, `${platform}-r`);
    const hookUrl = `${PUBLIC}/hooks/${platform}/${id}`;
    const base = Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000;
    const lives = Array.from({ length: ORDERS }, (_, i) => lifecycle(platform, i, random, base + i * 1000));
    let pushed = 0;
    let dropped = 0;
    for (let step = 0; step < 4; step++) {
      for (const life of lives) {
        const version = life[step];
        if (!version) continue;
        for (const p of sim.record(version, hookUrl)) {
          if (random() < 0.2) dropped++;
          else {
            pushed++;
            await deliver(platform, id, p);
          }
        }
      }
    }
    const adapter = adapterFor(platform);
    if (adapter?.verifyPush) expect(pushed + dropped).toBeGreaterThan(0);
    // Orders that pushes named without carrying them are being fetched: let that finish first.
    await s.hub.poller.idle();
    const before = await snapshot(id);
    const run = await s.hub.poller.runAccount(id);
    expect(run.errorCode, run.error ?? '').toBeNull();
    const after = await snapshot(id);
    expect(after.size).toBe(ORDERS);
    const changed = [...after].filter(([k, v]) => before.get(k) !== v).length;
    expect(run.recovered).toBe(changed);
    if (!adapter?.verifyPush) expect(run.recovered).toBe(ORDERS);
    // Receivers the platform masks or encrypts are kept as given and say so in the order's view.
    const one = (await s.api<{ items: { orderNo: string }[] }>('GET', `/api/orders?account=${id}&pageSize=1`)).body.items[0];
    const view = await s.api<{ receiver: { protection: string | null } }>('GET', `/api/orders/${one?.orderNo}`);
    expect(view.body.receiver.protection, platform).toBe(protectedBy[platform] ?? null);
    for (const life of lives) {
      const last = life[life.length - 1] as SimOrder;
      const [status, at] = (after.get(last.id) ?? '').split('@');
      expect(platformAnchor[platform]?.[last.phase] ?? anchorOf[last.phase], `${platform} ${last.id} ${last.phase}`).toContain(status);
      expect(Number(at)).toBe(last.updatedAt);
    }
    // Pulled again: nothing new, nothing counted twice, no order twice.
    const again = await s.hub.poller.runAccount(id);
    expect([again.errorCode, again.recovered, again.created]).toEqual([null, 0, 0]);
    expect((await snapshot(id)).size).toBe(ORDERS);
    const recovered = (await s.api<{ recoveredAllTime: number }>('GET', `/api/channel-accounts/${id}/integration`)).body.recoveredAllTime;
    expect(recovered).toBe(changed);
    // A pulled order can be read again from what was stored (a replay after a mapping fix): same state, no move back.
    const pulledEvent = await s.hub.db.read.get<{ id: number }>("SELECT id FROM raw_events WHERE account_id = ? AND via = 'pull' ORDER BY id DESC LIMIT 1", [id]);
    const replay = await s.api<{ orders: { outcome: string }[] }>('POST', `/api/raw-events/${pulledEvent?.id}/replay`);
    expect([replay.status, replay.body.orders?.[0]?.outcome], JSON.stringify(replay.body)).toEqual([200, expect.stringMatching(/^(unchanged|stale)$/)]);
  });

  it.each(platforms.filter((p) => adapterFor(p)?.announcedOrders))('%s: a push that names an order without carrying it is followed by a fetch at once', async (platform) => {
    const { id, sim } = await account(platform, `${platform}-a`);
    const base = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    const [created, paid] = lifecycle(platform, 500, rng(5), base) as [SimOrder, SimOrder];
    for (const version of [created, paid]) {
      for (const p of sim.record({ ...version, updatedAt: version.updatedAt - 50_000 }, `${PUBLIC}/hooks/${platform}/${id}`)) await deliver(platform, id, p);
    }
    await s.hub.poller.idle();
    const rows = await s.hub.db.read.all<{ status: string }>('SELECT status FROM orders WHERE account_id = ?', [id]);
    expect(rows).toEqual([{ status: 'paid' }]);
    const via = await s.hub.db.read.all<{ via: string; n: number }>('SELECT via, count(*) AS n FROM raw_events WHERE account_id = ? GROUP BY via ORDER BY via', [id]);
    expect(via.map((v) => v.via)).toEqual(['fetch', 'push']);
    expect((await s.api<{ recoveredAllTime: number }>('GET', `/api/channel-accounts/${id}/integration`)).body.recoveredAllTime).toBe(0);
  });

  it.each(platforms)('%s: updates replayed shuffled and duplicated end in the same orders as in order', async (platform) => {
    const random = rng(platform.length * 104_729 + 3);
    const adapter = adapterFor(platform) as ChannelAdapter<unknown>;
    const { sim } = await account(platform, `${platform}-s`);
    const inOrder = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform, name: `${platform} in order`, credentials: sim.credentials });
    const shuffled = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform, name: `${platform} shuffled`, credentials: sim.credentials });
    const base = Math.floor((Date.now() - 2 * 3_600_000) / 1000) * 1000;
    const lives = Array.from({ length: 6 }, (_, i) => lifecycle(platform, 100 + i, random, base + i * 1000));
    // Every version as the platform shows it, read through the adapter's own pull, one state change at a time.
    const versions: PulledOrder[] = [];
    for (let step = 0; step < 4; step++) {
      for (const life of lives) if (life[step]) sim.record(life[step] as SimOrder, `${PUBLIC}/hooks/${platform}/x`);
      const end = Date.now();
      for (let from = base - 60_000; from < end; from += adapter.maxPullWindowMs ?? end) {
        const to = Math.min(end, from + (adapter.maxPullWindowMs ?? end));
        for await (const page of adapter.pull!({ credentials: sim.credentials, from, to, fetch, now: () => Date.now() })) {
          for (const p of page) if (!versions.some((v) => v.eventId === p.eventId)) versions.push(p);
        }
      }
    }
    const feed = (accountId: string, items: PulledOrder[]) =>
      Promise.all(
        items.map((p, n) =>
          s.hub.writes.ingest({
            tenantId: 'default',
            accountId,
            channel: platform,
            eventId: `replay-${n}-${p.eventId}`,
            receivedAt: Date.now(),
            headers: {},
            rawBody: p.rawBody,
            orders: [p.order],
            via: 'pull',
          }),
        ),
      );
    for (const v of versions) await feed(inOrder.body.id, [v]);
    const mixed = [...versions, ...versions.filter(() => random() < 0.5)];
    for (let i = mixed.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [mixed[i], mixed[j]] = [mixed[j] as PulledOrder, mixed[i] as PulledOrder];
    }
    // In small concurrent groups, as redeliveries and pulls really race.
    for (let i = 0; i < mixed.length; i += 3) await feed(shuffled.body.id, mixed.slice(i, i + 3));
    const state = (accountId: string) =>
      s.hub.db.read.all<Record<string, unknown>>(
        `SELECT platform_order_id, status, platform_status, payment_status, fulfilment_status, paid_amount, total_amount, source_updated_at, hold_code
         FROM orders WHERE account_id = ? ORDER BY platform_order_id`,
        [accountId],
      );
    const a = await state(inOrder.body.id);
    expect(a.length).toBe(lives.length);
    expect(await state(shuffled.body.id)).toEqual(a);
  });
});
