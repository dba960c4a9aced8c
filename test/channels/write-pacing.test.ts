// Pacing of platform writes (write-pacing.ts): each channel account's requests keep to its platform's rate, so the hub
// does not run into the platform's limit (and its back-off) in the first place. Checked on a stepped clock, never the
// wall clock: the pacer is asked, the clock is moved, and the moments requests may go are read off it. The last block
// runs the outbound worker against the JD and Taobao simulators over loopback: a paced shop's requests wait their turn
// one by one while another shop's go at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { TokenBucket, WritePacer, parseWriteRates, writeRates, type PacerClock, type WriteRate } from '../../src/modules/channels/write-pacing.ts';
import { PlatformWriteError } from '../../src/modules/channels/connectors/types.ts';
import { channelAdapters } from '../../src/modules/channels/connectors/registry.ts';
import { enqueueShipBack } from '../../src/modules/channels/store/outbound.ts';
import { loadConfig, ConfigError } from '../../src/platform/config.ts';
import { startHub } from '../../src/app/hub.ts';
import { createLogger } from '../../src/platform/log.ts';
import { testConfig } from '../support/backends.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';

/** A clock that moves only when told: sleepers wake when it passes their time, in time order. */
class StepClock implements PacerClock {
  t = 1_000_000;
  private waiters: { at: number; resolve: () => void }[] = [];
  now = (): number => this.t;
  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const w = { at: this.t + ms, resolve };
      this.waiters.push(w);
      signal?.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  get sleepers(): number {
    return this.waiters.length;
  }
  /** The earliest wake time, or null when nobody sleeps. */
  get nextWake(): number | null {
    return this.waiters.length ? Math.min(...this.waiters.map((w) => w.at)) : null;
  }
  /** Moves to `t`, waking every sleeper due by then. */
  async to(t: number): Promise<void> {
    this.t = t;
    const due = this.waiters.filter((w) => w.at <= t).sort((a, b) => a.at - b.at);
    this.waiters = this.waiters.filter((w) => w.at > t);
    for (const w of due) w.resolve();
    await settle();
  }
}

/** Lets every continuation that can run now run. */
const settle = () => new Promise((r) => setImmediate(r));

/** Asks the pacer `n` times at once and steps the clock from wake to wake: the moment each request may go. */
async function grants(pacer: WritePacer, clock: StepClock, n: number, account = 'acct-1', platform = 'p'): Promise<number[]> {
  const at: number[] = new Array<number>(n);
  const all = Array.from({ length: n }, (_, i) => pacer.pace(account, platform).then(() => void (at[i] = clock.now())));
  await settle();
  while (clock.sleepers) await clock.to(clock.nextWake as number);
  await Promise.all(all);
  return at;
}

/** Most requests in any one-second window [t, t + 1000). */
function maxPerSecond(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while ((s[j] as number) <= (s[i] as number) - 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

/** The highest level a leaky bucket (capacity `limit.burst`, leaking `limit.perSecond`) reaches under these requests. */
function bucketPeak(times: number[], limit: WriteRate): number {
  let level = 0;
  let last = Number.NEGATIVE_INFINITY;
  let peak = 0;
  for (const t of [...times].sort((a, b) => a - b)) {
    level = Math.max(0, level - ((t - last) * limit.perSecond) / 1000) + 1;
    last = t;
    peak = Math.max(peak, level);
  }
  return peak;
}

describe('the write pacer on a stepped clock', () => {
  it('spaces an evenly paced account’s requests 1/rate apart: never more than the rate in any second', async () => {
    const clock = new StepClock();
    const pacer = new WritePacer(() => ({ perSecond: 5, burst: 1 }), clock);
    const t0 = clock.t;
    const at = await grants(pacer, clock, 12);
    expect(at.map((t) => t - t0)).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000, 2200]);
    expect(maxPerSecond(at)).toBe(5);
  });

  it('lets Shopify’s burst go at once, then the leak rate, and its 40-request bucket never overflows', async () => {
    const rate = channelAdapters.shopify?.writeRate;
    expect(rate).toMatchObject({ perSecond: 1.8, burst: 36, limit: { perSecond: 2, burst: 40 }, basis: 'documented' });
    const clock = new StepClock();
    const pacer = new WritePacer(writeRates((p) => channelAdapters[p]?.writeRate, new Map()), clock);
    const t0 = clock.t;
    const at = await grants(pacer, clock, 80, 'shop-1', 'shopify');
    expect(at.filter((t) => t === t0)).toHaveLength(36);
    // After the burst, one request every 1000 / 1.8 ms.
    expect(at[36]! - t0).toBeCloseTo(1000 / 1.8, 6);
    expect(at[79]! - at[36]!).toBeCloseTo((43 * 1000) / 1.8, 6);
    expect(bucketPeak(at, { perSecond: 2, burst: 40 })).toBeLessThanOrEqual(40);
  });

  it('keeps every platform’s default pace inside that platform’s limit', async () => {
    const writers = Object.values(channelAdapters).filter((a) => a.shipBack || a.setStock || a.setRemark);
    expect(writers.map((a) => a.platform).sort()).toEqual(['douyin', 'jd', 'pinduoduo', 'shopee', 'shopify', 'taobao', 'woocommerce']);
    for (const a of writers) {
      const r = a.writeRate;
      if (!r) throw new Error(`${a.platform} writes without a write rate`);
      const clock = new StepClock();
      const at = await grants(new WritePacer(() => r, clock), clock, 3 * r.burst + 20, a.platform, a.platform);
      expect({ platform: a.platform, peak: bucketPeak(at, r.limit) <= r.limit.burst }).toEqual({ platform: a.platform, peak: true });
      if (r.limit.burst === 1) expect({ platform: a.platform, perSecond: maxPerSecond(at) <= r.limit.perSecond }).toEqual({ platform: a.platform, perSecond: true });
    }
  });

  it('keeps accounts apart: one shop’s queue does not slow another’s', async () => {
    const clock = new StepClock();
    const pacer = new WritePacer(() => ({ perSecond: 1, burst: 1 }), clock);
    const t0 = clock.t;
    const a = await grants(pacer, clock, 3, 'shop-a');
    clock.t = t0;
    const b = await grants(pacer, clock, 3, 'shop-b');
    expect(a.map((t) => t - t0)).toEqual([0, 1000, 2000]);
    expect(b.map((t) => t - t0)).toEqual([0, 1000, 2000]);
  });

  it('does not pace a platform without a rate, nor one switched off', async () => {
    const clock = new StepClock();
    const pacer = new WritePacer(writeRates((p) => channelAdapters[p]?.writeRate, parseWriteRates('taobao=off')), clock);
    const at = [...(await grants(pacer, clock, 20, 'tb', 'taobao')), ...(await grants(pacer, clock, 20, 'own', 'ownshop'))];
    expect(new Set(at)).toEqual(new Set([clock.t]));
  });

  it('gives up a wait when the call’s time runs out, as a retryable error, and the slot stays taken', async () => {
    const clock = new StepClock();
    const pacer = new WritePacer(() => ({ perSecond: 1, burst: 1 }), clock);
    const t0 = clock.t;
    await pacer.pace('a', 'p');
    const timeout = new AbortController();
    const waiting = pacer.pace('a', 'p', timeout.signal);
    await settle();
    timeout.abort();
    const e = await waiting.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PlatformWriteError);
    expect(e).toMatchObject({ code: 'NETWORK', opts: {} });
    // The given-up slot (t0 + 1000) is not handed out again: the next request goes at t0 + 2000.
    const [next] = await grants(pacer, clock, 1, 'a');
    expect(next! - t0).toBe(2000);
  });

  it('changes pace when the rate does, from the next request on', async () => {
    const bucket = new TokenBucket({ perSecond: 1, burst: 1 });
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(1000);
    bucket.setRate({ perSecond: 10, burst: 1 });
    expect(bucket.reserve(0)).toBe(2000);
    expect(bucket.reserve(0)).toBe(2100);
  });
});

describe('ORDERHUB_PLATFORM_WRITE_RATES', () => {
  it('reads N per second (evenly spaced), N/B (a burst of B) and off', () => {
    expect(parseWriteRates('')).toEqual(new Map());
    expect(parseWriteRates(' shopify=18/360 , taobao=10,woocommerce=off,jd=0.5')).toEqual(
      new Map<string, WriteRate | null>([
        ['shopify', { perSecond: 18, burst: 360 }],
        ['taobao', { perSecond: 10, burst: 1 }],
        ['woocommerce', null],
        ['jd', { perSecond: 0.5, burst: 1 }],
      ]),
    );
    const rateOf = writeRates((p) => channelAdapters[p]?.writeRate, parseWriteRates('shopify=18/360,taobao=off'));
    expect(rateOf('shopify')).toEqual({ perSecond: 18, burst: 360 });
    expect(rateOf('taobao')).toBeNull();
    expect(rateOf('jd')).toEqual({ perSecond: 4, burst: 1 });
    expect(rateOf('ownshop')).toBeNull();
  });

  it('refuses what it cannot read, at start, naming the setting', async () => {
    for (const bad of ['shopify', 'shopify=', 'shopify=0', 'shopify=2/0', 'shopify=-1', 'shopify=2/1.5', 'Shopify=2', 'shopify=2,shopify=3', 'shopify=fast']) {
      expect(() => loadConfig({ ORDERHUB_PLATFORM_WRITE_RATES: bad }, '/nonexistent')).toThrow(ConfigError);
    }
    expect(() => loadConfig({ ORDERHUB_PLATFORM_WRITE_RATES: 'shopify=fast' }, '/nonexistent')).toThrow(/ORDERHUB_PLATFORM_WRITE_RATES: "shopify=fast" is not platform=N/);
    expect(loadConfig({ ORDERHUB_PLATFORM_WRITE_RATES: 'shopify=18/360' }, '/nonexistent').platformWriteRates).toBe('shopify=18/360');
    // A platform the hub does not write to is a typo: the hub does not start (before it opens any database).
    await expect(startHub(testConfig({ platformWriteRates: 'shopfy=2', dataDir: '/nonexistent/never-created' }), createLogger('silent'))).rejects.toThrow(/"shopfy" is not a platform the hub writes to/);
    await expect(startHub(testConfig({ platformWriteRates: 'ownshop=2', dataDir: '/nonexistent/never-created' }), createLogger('silent'))).rejects.toThrow(ConfigError);
  });
});

const receiver = { name: '张三', phone: '13812341234', province: '浙江省', city: '杭州市', district: '西湖区', address: '文三路 1 号' };
let seq = 0;
const newId = () => `${Date.now()}${String(++seq).padStart(3, '0')}`;

function paidOrder(id: string): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'CNY',
    lines: [{ sku: 'PACE-1', title: '茶杯', quantity: 1, unitPrice: 1000, discount: 0 }],
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: '张三', phone: '13812341234' },
    receiver,
  };
}

/** Waits for a condition (polled), failing after `ms`: never a timed assertion. */
async function until(what: string, f: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the outbound worker paces each shop by itself (JD and Taobao simulators over loopback)', () => {
  const backend = httpBackends.find((b) => b.name === 'sqlite') ?? (httpBackends[0] as (typeof httpBackends)[number]);
  const clock = new StepClock();
  let s: TestServer;
  let sims: SimulatorServer;
  /** The stepped clock's time at each request the simulators received, per shop. */
  const seen: Record<string, number[]> = { jd: [], taobao: [] };
  const shops: Record<string, { sim: PlatformSimulator; accountId: string }> = {};

  beforeAll(async () => {
    sims = await startSimulatorServer();
    // JD held to one request a second; the Taobao shop may send ten at once.
    s = await startServer(backend, { platformWriteRates: 'jd=1,taobao=100/10' }, { workers: false, pacerClock: clock });
    for (const [platform, factory] of [['jd', jdSimulator], ['taobao', taobaoSimulator]] as const) {
      const sim = sims.mount(`${platform}-pace`, factory, 'pace');
      const handle = sim.handle.bind(sim);
      sim.handle = (req) => {
        seen[platform]?.push(clock.now());
        return handle(req);
      };
      const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform, name: `${platform} pacing`, credentials: sim.credentials });
      expect(a.status).toBe(201);
      shops[platform] = { sim, accountId: a.body.id };
    }
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('sends a paced shop’s requests one per second of its clock while the other shop’s go at once', async () => {
    const t0 = clock.t;
    const ids: Record<string, string[]> = { jd: [], taobao: [] };
    for (const platform of ['jd', 'taobao']) {
      const shop = shops[platform]!;
      for (let k = 0; k < 2; k++) {
        const id = newId();
        ids[platform]!.push(id);
        shop.sim.record(paidOrder(id), '');
        await s.hub.db.transaction((tx) =>
          enqueueShipBack(tx, { tenantId: 'default', accountId: shop.accountId, channel: platform, orderId: `o-${platform}-${id}`, platformOrderId: id, shipmentId: `sh-${id}`, carrier: 'zto', trackingNo: `ZTO${id}`, shippedAt: Date.now(), lines: [{ sku: 'PACE-1', quantity: 1 }] }),
        );
      }
    }
    const state = async (platform: string) =>
      (await s.hub.db.read.all<{ state: string }>(`SELECT state FROM outbound_calls WHERE account_id = ? ORDER BY id`, [shops[platform]!.accountId])).map((r) => r.state);

    const pass = s.hub.local!.outbound.runDue();
    // Taobao: both ship-backs (a read and a send each) go through without the clock moving.
    await until('the Taobao ship-backs', async () => (await state('taobao')).every((x) => x === 'done'));
    expect(seen.taobao).toEqual([t0, t0, t0, t0]);
    // JD: its first request went at once; the second waits for the clock, whatever the wall clock does.
    await until('JD’s second request waiting its turn', () => clock.sleepers === 1);
    expect(seen.jd).toEqual([t0]);
    expect(clock.nextWake).toBe(t0 + 1000);
    await clock.to(t0 + 999);
    expect(seen.jd).toEqual([t0]);
    // From here each request is let go by one step of the clock.
    for (let k = 1; k < 4; k++) {
      await clock.to(t0 + k * 1000);
      await until(`JD request ${k + 1}`, () => seen.jd!.length === k + 1);
      if (k < 3) await until(`JD request ${k + 2} waiting`, () => clock.sleepers === 1);
    }
    await pass;
    expect(seen.jd).toEqual([t0, t0 + 1000, t0 + 2000, t0 + 3000]);
    expect(await state('jd')).toEqual(['done', 'done']);
    for (const id of ids.jd!) expect(shops.jd!.sim.shipmentsOf?.(id)).toEqual([`ZTO${id}`]);
    for (const id of ids.taobao!) expect(shops.taobao!.sim.shipmentsOf?.(id)).toEqual([`ZTO${id}`]);
  }, 60_000);
});
