// Property test: random small worlds from a seeded PRNG (written here) → a plan never takes more stock than a
// warehouse has, never sends more shipments than its capacity left, respects traits, and covers every line of every
// planned order exactly once — or says why the order is not planned. Checked by code written here, then by dryRun.
import { describe, expect, it } from 'vitest';
import { type PaidOrder, type RoutingRule, type RoutingWorld, dryRun, loadRoutingRules, planDispatch } from '../../src/modules/fulfilment/routing/planner.ts';

/** mulberry32: small, seedable, good enough to spread test cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

const provinces = ['浙江', '广东', '北京', '四川'];
const addresses = ['西湖区文三路12号A座', '西湖区 文三路１２号 A座', '滨江区江南大道88号'];

function scenario(seed: number) {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)] as T;
  const codes = Array.from({ length: int(1, 4) }, (_, i) => `W${i}`);
  const warehouses = codes.map((code, i) => ({
    code,
    priority: int(1, 5),
    dailyCapacity: int(0, 10),
    usedToday: int(0, 2),
    regions: r() < 0.2 ? ['*'] : provinces.filter(() => r() < 0.4),
    canClearCustoms: r() < 0.4,
    ...(r() < 0.5 ? { carriers: [{ code: `c${i}`, available: r() < 0.85, ...(r() < 0.3 ? { maxParcelGrams: int(1000, 6000) } : {}) }] } : {}),
  }));
  const skuCodes = Array.from({ length: int(1, 5) }, (_, i) => `S${i}`);
  const skus = skuCodes.map((sku) => ({
    sku,
    promisedShipHours: pick([12, 24, 48, 72]),
    weightGrams: int(0, 3000),
    needsCustomsClearance: r() < 0.1,
    ...(r() < 0.3 ? { allowedWarehouses: codes.filter(() => r() < 0.6) } : {}),
  }));
  const stock = codes.flatMap((w) => skuCodes.filter(() => r() < 0.8).map((sku) => ({ warehouse: w, sku, available: int(0, 9) })));
  const orders: PaidOrder[] = Array.from({ length: int(1, 8) }, (_, i) => {
    const buyer = int(1, 2);
    return {
      orderId: `O${i}`,
      buyerId: `b${buyer}`,
      receiver: { province: r() < 0.8 ? (provinces[buyer - 1] as string) : pick(provinces), city: 'c', name: `n${buyer}`, phoneHash: `p${buyer}`, address: pick(addresses) },
      paidAt: 1_700_000_000_000 + int(0, 120) * 60_000,
      lines: Array.from({ length: int(1, 3) }, (_, j) => ({ lineId: `O${i}-${j}`, sku: r() < 0.05 ? 'UNKNOWN' : pick(skuCodes), quantity: int(1, 3) })),
      ...(r() < 0.2 ? { promisedShipHours: { [pick(skuCodes)]: 6 } } : {}),
    };
  });
  const pool: RoutingRule[] = [
    { kind: 'prefer_region' },
    { kind: 'fewest_shipments' },
    { kind: 'prefer_priority' },
    { kind: 'max_parcel_weight', grams: int(3000, 8000) },
    { kind: 'merge_related', windowMinutes: int(10, 90), minAddressSimilarity: 0.7 },
    { kind: 'require_region' },
  ];
  const chosen = pool.filter(() => r() < 0.5).sort(() => r() - 0.5);
  const rules = chosen.some((x) => x.kind === 'require_region') ? chosen.filter((x) => x.kind !== 'prefer_region') : chosen;
  const world: RoutingWorld = { warehouses, stock, skus };
  return { world: deepFreeze(world), orders: deepFreeze(orders), rules: loadRoutingRules(rules) };
}

describe('routing property', () => {
  it.each([
    ['exhaustive search', {}],
    ['greedy fallback for large orders', { maxCombinations: 0 }],
  ])('never oversells, never exceeds capacity, covers every line exactly once or says why (500 worlds, %s)', (_mode, opts) => {
    let planned = 0;
    let unplanned = 0;
    let merged = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const { world, orders, rules } = scenario(seed);
      const result = planDispatch(orders, world, rules, opts);
      const where = `seed ${seed}`;

      const available = new Map(world.stock.map((s) => [`${s.warehouse}|${s.sku}`, s.available]));
      const taken = new Map<string, number>();
      const sent = new Map<string, number>();
      const covered = new Map<string, number>();
      const maxGrams = rules.rules.find((x) => x.kind === 'max_parcel_weight');
      for (const plan of result.plans) {
        if (plan.orderIds.length > 1) merged++;
        for (const s of plan.shipments) {
          sent.set(s.warehouse, (sent.get(s.warehouse) ?? 0) + 1);
          const w = world.warehouses.find((x) => x.code === s.warehouse);
          expect(w, where).toBeDefined();
          let grams = 0;
          let strictest = Infinity;
          for (const l of s.lines) {
            expect(l.quantity, where).toBeGreaterThan(0);
            taken.set(`${s.warehouse}|${l.sku}`, (taken.get(`${s.warehouse}|${l.sku}`) ?? 0) + l.quantity);
            covered.set(`${l.orderId}|${l.lineId}`, (covered.get(`${l.orderId}|${l.lineId}`) ?? 0) + l.quantity);
            const t = world.skus.find((x) => x.sku === l.sku);
            expect(t, where).toBeDefined();
            if (t?.needsCustomsClearance) expect(w?.canClearCustoms, where).toBe(true);
            if (t?.allowedWarehouses) expect(t.allowedWarehouses, where).toContain(s.warehouse);
            grams += l.quantity * (t?.weightGrams ?? 0);
            const o = orders.find((x) => x.orderId === l.orderId) as PaidOrder;
            strictest = Math.min(strictest, o.paidAt + Math.min(t?.promisedShipHours ?? Infinity, o.promisedShipHours?.[l.sku] ?? Infinity) * 3_600_000);
          }
          expect(s.weightGrams, where).toBe(grams);
          expect(s.shipBy, where).toBe(strictest);
          if (maxGrams?.kind === 'max_parcel_weight') expect(grams, where).toBeLessThanOrEqual(maxGrams.grams);
        }
      }
      for (const [k, n] of taken) expect(n, `${where} stock ${k}`).toBeLessThanOrEqual(available.get(k) ?? 0);
      for (const [code, n] of sent) {
        const w = world.warehouses.find((x) => x.code === code);
        expect(n, `${where} capacity ${code}`).toBeLessThanOrEqual(Math.max(0, (w?.dailyCapacity ?? 0) - (w?.usedToday ?? 0)));
      }

      // Every order exactly once: in one plan (all its lines, exact quantities) or unplanned with a reason.
      const inPlans = result.plans.flatMap((p) => p.orderIds);
      const inUnplanned = result.unplanned.flatMap((u) => u.orderIds);
      expect([...inPlans, ...inUnplanned].sort(), where).toEqual(orders.map((o) => o.orderId).sort());
      for (const u of result.unplanned) expect(u.reasons.length, where).toBeGreaterThan(0);
      for (const id of inPlans) {
        const o = orders.find((x) => x.orderId === id) as PaidOrder;
        for (const l of o.lines) expect(covered.get(`${id}|${l.lineId}`), `${where} ${l.lineId}`).toBe(l.quantity);
      }
      expect([...covered.keys()].every((k) => inPlans.includes(k.split('|')[0] as string)), where).toBe(true);

      expect(dryRun(result.plans, world, { orders }), where).toEqual([]);
      planned += inPlans.length;
      unplanned += inUnplanned.length;
    }
    // The worlds must exercise both outcomes and merging, or the property says little.
    expect(planned).toBeGreaterThan(200);
    expect(unplanned).toBeGreaterThan(100);
    expect(merged).toBeGreaterThan(10);
  });
});

describe('routing completeness', () => {
  it('plans a lone order whenever some assignment of its lines fits (brute force written here, 500 worlds)', () => {
    let checked = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const { world, orders, rules } = scenario(seed);
      // One warehouse = one parcel without a weight limit, which keeps the brute force simple.
      const plain = loadRoutingRules(rules.rules.filter((r) => r.kind !== 'max_parcel_weight' && r.kind !== 'merge_related'));
      const requireRegion = plain.rules.some((r) => r.kind === 'require_region');
      for (const o of orders) {
        const r = planDispatch([o], world, plain);
        const fits = bruteForceFits(o, world, requireRegion);
        expect(r.plans.length === 1, `seed ${seed} ${o.orderId}`).toBe(fits);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

function regionOk(regions: readonly string[] | undefined, province: string): boolean {
  return regions === undefined || regions.includes('*') || regions.includes(province);
}

function bruteForceFits(o: PaidOrder, world: RoutingWorld, requireRegion: boolean): boolean {
  const ws = world.warehouses;
  const lines = o.lines;
  const choice = lines.map(() => 0);
  for (;;) {
    let ok = true;
    const take = new Map<string, number>();
    const grams = new Map<string, number>();
    for (let i = 0; i < lines.length && ok; i++) {
      const l = lines[i] as PaidOrder['lines'][number];
      const w = ws[choice[i] as number] as RoutingWorld['warehouses'][number];
      const t = world.skus.find((s) => s.sku === l.sku);
      if (!t) return false;
      if (t.allowedWarehouses && !t.allowedWarehouses.includes(w.code)) ok = false;
      if (t.needsCustomsClearance && !w.canClearCustoms) ok = false;
      if (requireRegion && !regionOk(w.regions, o.receiver.province)) ok = false;
      take.set(`${w.code}|${l.sku}`, (take.get(`${w.code}|${l.sku}`) ?? 0) + l.quantity);
      grams.set(w.code, (grams.get(w.code) ?? 0) + l.quantity * t.weightGrams);
    }
    for (const [k, n] of take) if (n > (world.stock.filter((s) => `${s.warehouse}|${s.sku}` === k).reduce((a, s) => a + s.available, 0))) ok = false;
    for (const [code, g] of grams) {
      const w = ws.find((x) => x.code === code) as RoutingWorld['warehouses'][number];
      if (w.dailyCapacity - w.usedToday < 1) ok = false;
      if (w.carriers && !w.carriers.some((c) => c.available !== false && regionOk(c.regions, o.receiver.province) && (c.maxParcelGrams === undefined || g <= c.maxParcelGrams))) ok = false;
    }
    if (ok) return true;
    let i = lines.length - 1;
    while (i >= 0 && (choice[i] as number) + 1 >= ws.length) choice[i--] = 0;
    if (i < 0) return false;
    choice[i] = (choice[i] as number) + 1;
  }
}
