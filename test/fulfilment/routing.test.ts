import { describe, expect, it } from 'vitest';
import { isHubError } from '../../src/kernel/errors.ts';
import {
  type PaidOrder,
  type RoutingWorld,
  addressSimilarity,
  dryRun,
  loadRoutingRules,
  normalizeAddress,
  planDispatch,
  servesRegion,
} from '../../src/modules/fulfilment/routing/planner.ts';

const hour = 3_600_000;
const t0 = Date.UTC(2026, 10, 11, 0, 0);

/** Freezes everything reachable, so any write by the code under test throws (ES modules run in strict mode). */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

function world(over: Partial<{ hzCap: number; hzUsed: number; stock: RoutingWorld['stock']; ytoAvailable: boolean }> = {}): RoutingWorld {
  return deepFreeze({
    warehouses: [
      { code: 'HZ', priority: 1, dailyCapacity: over.hzCap ?? 100, usedToday: over.hzUsed ?? 0, regions: ['浙江', '江苏', '上海'], canClearCustoms: false, carriers: [{ code: 'yto', available: over.ytoAvailable ?? true }] },
      { code: 'GZ', priority: 2, dailyCapacity: 100, usedToday: 0, regions: ['广东', '广西'], canClearCustoms: false, carriers: [{ code: 'sf' }] },
      { code: 'BJ', priority: 3, dailyCapacity: 100, usedToday: 0, regions: ['北京', '天津', '河北'], canClearCustoms: false },
      { code: 'NB-BONDED', priority: 5, dailyCapacity: 100, usedToday: 0, regions: ['*'], canClearCustoms: true },
    ],
    stock: over.stock ?? [
      { warehouse: 'HZ', sku: 'A', available: 10 },
      { warehouse: 'GZ', sku: 'A', available: 10 },
      { warehouse: 'GZ', sku: 'B', available: 10 },
      { warehouse: 'NB-BONDED', sku: 'C', available: 5 },
      { warehouse: 'BJ', sku: 'D', available: 5 },
      { warehouse: 'HZ', sku: 'E', available: 10 },
      { warehouse: 'HZ', sku: 'H', available: 10 },
    ],
    skus: [
      { sku: 'A', promisedShipHours: 48, weightGrams: 500, needsCustomsClearance: false },
      { sku: 'B', promisedShipHours: 48, weightGrams: 500, needsCustomsClearance: false },
      { sku: 'C', promisedShipHours: 72, weightGrams: 300, needsCustomsClearance: true },
      { sku: 'D', promisedShipHours: 48, weightGrams: 300, needsCustomsClearance: false, allowedWarehouses: ['BJ'] },
      { sku: 'E', promisedShipHours: 24, weightGrams: 200, needsCustomsClearance: false },
      { sku: 'H', promisedShipHours: 48, weightGrams: 2000, needsCustomsClearance: false },
    ],
  });
}

const zj = { province: '浙江省', city: '杭州市', name: '张三', phoneHash: 'ph-1', address: '西湖区文三路12号A座801' };
const gd = { province: '广东省', city: '广州市', name: '李四', phoneHash: 'ph-2', address: '天河区体育西路1号' };

function order(id: string, lines: [string, number][], over: Partial<PaidOrder> = {}): PaidOrder {
  return deepFreeze({ orderId: id, buyerId: 'buyer-1', receiver: zj, paidAt: t0, lines: lines.map(([sku, quantity], i) => ({ lineId: `${id}-${i + 1}`, sku, quantity })), ...over });
}

const rules = (r: unknown) => loadRoutingRules(deepFreeze(r));

describe('routing: region, priority and splitting', () => {
  it('ships from the warehouse serving the receiver when the rules prefer the region', () => {
    const r = planDispatch([order('O1', [['A', 1]], { receiver: gd })], world(), rules([{ kind: 'prefer_region' }, { kind: 'prefer_priority' }]));
    expect(r.plans[0]?.shipments.map((s) => s.warehouse)).toEqual(['GZ']);
    expect(r.plans[0]?.shipments[0]?.carrier).toBe('sf');
  });

  it('ships from the first-priority warehouse when priority comes first', () => {
    const r = planDispatch([order('O1', [['A', 1]], { receiver: gd })], world(), rules([{ kind: 'prefer_priority' }, { kind: 'prefer_region' }]));
    expect(r.plans[0]?.shipments.map((s) => s.warehouse)).toEqual(['HZ']);
  });

  it('keeps an order whole where one warehouse has everything when fewest shipments comes first', () => {
    const r = planDispatch([order('O1', [['A', 1], ['B', 1]])], world(), rules([{ kind: 'fewest_shipments' }, { kind: 'prefer_region' }]));
    expect(r.plans[0]?.shipments.map((s) => [s.warehouse, s.lines.map((l) => l.sku)])).toEqual([['GZ', ['A', 'B']]]);
  });

  it('splits an order across warehouses when the region comes first', () => {
    const r = planDispatch([order('O1', [['A', 1], ['B', 1]])], world(), rules([{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }]));
    const plan = r.plans[0];
    expect(plan?.shipments.map((s) => [s.shipmentNo, s.warehouse, s.lines.map((l) => l.sku)])).toEqual([
      ['DP-O1-1', 'GZ', ['B']],
      ['DP-O1-2', 'HZ', ['A']],
    ]);
    expect(plan?.planId).toBe('DP-O1');
  });

  it('refuses out-of-region warehouses when the region is required', () => {
    const r = planDispatch([order('O1', [['B', 1]])], world(), rules([{ kind: 'require_region' }]));
    expect(r.plans).toEqual([]);
    expect(r.unplanned[0]?.reasons.map((x) => x.code)).toEqual(['OUT_OF_REGION']);
  });

  it('routes a SKU only to its allowed warehouse', () => {
    const r = planDispatch([order('O1', [['D', 1]])], world(), rules([{ kind: 'prefer_region' }]));
    expect(r.plans[0]?.shipments.map((s) => s.warehouse)).toEqual(['BJ']);
    expect(r.plans[0]?.shipments[0]?.carrier).toBeNull();
  });

  it('splits parcels over the weight limit, each parcel a shipment counted against capacity', () => {
    const r = planDispatch([order('O1', [['H', 3], ['E', 1]])], world(), rules([{ kind: 'max_parcel_weight', grams: 4500 }]));
    const s = r.plans[0]?.shipments ?? [];
    expect(s.map((x) => x.weightGrams)).toEqual([4200, 2000]);
    expect(s.flatMap((x) => x.lines.filter((l) => l.sku === 'H').map((l) => l.quantity))).toEqual([2, 1]);
    expect(planDispatch([order('O1', [['H', 3]])], world({ hzCap: 1 }), rules([{ kind: 'max_parcel_weight', grams: 4500 }])).unplanned[0]?.reasons[0]?.code).toBe('NO_COMBINATION');
    expect(planDispatch([order('O1', [['H', 1]])], world(), rules([{ kind: 'max_parcel_weight', grams: 1000 }])).unplanned[0]?.reasons[0]?.code).toBe('ITEM_OVER_PARCEL_WEIGHT');
  });
});

describe('routing: capacity and stock', () => {
  it('moves the next order to another warehouse when the first is at its daily capacity', () => {
    const r = planDispatch([order('O1', [['A', 1]]), order('O2', [['A', 1]], { paidAt: t0 + 1 })], world({ hzCap: 10, hzUsed: 9 }), rules([{ kind: 'prefer_region' }]));
    expect(r.plans.map((p) => [p.planId, p.shipments[0]?.warehouse])).toEqual([
      ['DP-O1', 'HZ'],
      ['DP-O2', 'GZ'],
    ]);
  });

  it('reports NO_CAPACITY when no allowed warehouse has room, first paid first served', () => {
    const r = planDispatch([order('O2', [['E', 1]], { paidAt: t0 + 1 }), order('O1', [['E', 1]])], world({ hzCap: 1 }), rules([]));
    expect(r.plans.map((p) => p.planId)).toEqual(['DP-O1']);
    expect(r.unplanned).toEqual([{ orderIds: ['O2'], reasons: [expect.objectContaining({ code: 'NO_CAPACITY', orderId: 'O2', sku: 'E' })] }]);
  });

  it('reports NO_STOCK per line, and does not hand the same units to two orders', () => {
    const r = planDispatch([order('O1', [['E', 6]]), order('O2', [['E', 6]], { paidAt: t0 + 1 })], world(), rules([]));
    expect(r.plans.map((p) => p.planId)).toEqual(['DP-O1']);
    expect(r.unplanned[0]?.reasons[0]).toMatchObject({ code: 'NO_STOCK', lineId: 'O2-1' });
  });

  it('refuses invalid orders with a reason', () => {
    const r = planDispatch([order('O1', [['A', 0]]), order('O2', [])], world(), rules([]));
    expect(r.unplanned.map((u) => u.reasons[0]?.code)).toEqual(['INVALID_ORDER', 'INVALID_ORDER']);
    expect(planDispatch([order('O1', [['ZZZ', 1]])], world(), rules([])).unplanned[0]?.reasons[0]?.code).toBe('SKU_UNKNOWN');
  });
});

describe('routing: customs', () => {
  it('sends a SKU that needs clearance only to a warehouse that can clear customs', () => {
    const r = planDispatch([order('O1', [['C', 1], ['A', 1]])], world(), rules([{ kind: 'fewest_shipments' }, { kind: 'prefer_region' }]));
    const byWh = Object.fromEntries((r.plans[0]?.shipments ?? []).map((s) => [s.warehouse, s.lines.map((l) => l.sku)]));
    expect(byWh).toEqual({ 'NB-BONDED': ['C'], HZ: ['A'] });
  });

  it('says NO_CUSTOMS_WAREHOUSE when no allowed warehouse clears customs, NO_STOCK when the bonded one is empty', () => {
    const w = world();
    const noBonded = deepFreeze({ ...w, skus: w.skus.map((s) => (s.sku === 'C' ? { ...s, allowedWarehouses: ['HZ', 'GZ'] } : s)) });
    expect(planDispatch([order('O1', [['C', 1]])], noBonded, rules([])).unplanned[0]?.reasons[0]?.code).toBe('NO_CUSTOMS_WAREHOUSE');
    expect(planDispatch([order('O1', [['C', 6]])], w, rules([])).unplanned[0]?.reasons[0]?.code).toBe('NO_STOCK');
  });
});

describe('routing: merging related orders', () => {
  const merge = rules([{ kind: 'merge_related', windowMinutes: 30, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }]);
  const o1 = order('O1', [['A', 1]]);

  it('merges orders of the same buyer and receiver, paid within the window, with alike addresses', () => {
    const o2 = order('O2', [['E', 1]], { paidAt: t0 + 20 * 60_000, receiver: { ...zj, address: '西湖区 文三路１２号（A座）801' } });
    const r = planDispatch([o2, o1], world(), merge);
    expect(r.plans).toHaveLength(1);
    expect(r.plans[0]?.orderIds).toEqual(['O1', 'O2']);
    expect(r.plans[0]?.shipments).toHaveLength(1);
    expect(r.plans[0]?.shipments[0]?.orderIds).toEqual(['O1', 'O2']);
  });

  it('does not merge when the addresses differ, outside the window, across buyers, phones or shops', () => {
    const cases: PaidOrder[] = [
      order('O2', [['E', 1]], { receiver: { ...zj, address: '滨江区江南大道88号' } }),
      order('O2', [['E', 1]], { paidAt: t0 + 31 * 60_000 }),
      order('O2', [['E', 1]], { buyerId: 'buyer-2' }),
      order('O2', [['E', 1]], { receiver: { ...zj, phoneHash: 'ph-9' } }),
      order('O2', [['E', 1]], { shopId: 'shop-2' }),
    ];
    for (const o2 of cases) expect(planDispatch([o1, o2], world(), merge).plans.map((p) => p.orderIds)).toEqual([['O1'], ['O2']]);
  });

  it("counts the window from the group's first payment, so a chain of orders does not merge forever", () => {
    const chain = [o1, order('O2', [['E', 1]], { paidAt: t0 + 25 * 60_000 }), order('O3', [['E', 1]], { paidAt: t0 + 50 * 60_000 })];
    expect(planDispatch(chain, world(), merge).plans.map((p) => p.orderIds)).toEqual([['O1', 'O2'], ['O3']]);
  });

  it('plans merged orders one by one when together they cannot be planned', () => {
    const big = order('O2', [['E', 10]], { paidAt: t0 + 60_000 });
    const r = planDispatch([order('O1', [['E', 1]]), big], world(), merge);
    expect(r.plans.map((p) => p.orderIds)).toEqual([['O1']]);
    expect(r.unplanned).toEqual([{ orderIds: ['O2'], reasons: [expect.objectContaining({ code: 'NO_STOCK' })] }]);
  });

  it('does not merge without the rule', () => {
    expect(planDispatch([o1, order('O2', [['E', 1]])], world(), rules([{ kind: 'fewest_shipments' }])).plans).toHaveLength(2);
  });
});

describe('routing: promised ship time', () => {
  it('gives a shipment the strictest promised time of its lines and orders', () => {
    const a = order('O1', [['A', 1], ['E', 1]]);
    expect(planDispatch([a], world(), rules([{ kind: 'fewest_shipments' }])).plans[0]?.shipments[0]?.shipBy).toBe(t0 + 24 * hour);
    const platform = order('O1', [['A', 1]], { promisedShipHours: { A: 12 } });
    expect(planDispatch([platform], world(), rules([])).plans[0]?.shipments[0]?.shipBy).toBe(t0 + 12 * hour);
    const merged = planDispatch(
      [order('O1', [['A', 1]]), order('O2', [['E', 1]], { paidAt: t0 + 10 * 60_000 })],
      world(),
      rules([{ kind: 'merge_related', windowMinutes: 30, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }]),
    );
    expect(merged.plans[0]?.shipments[0]?.shipBy).toBe(t0 + 10 * 60_000 + 24 * hour);
  });
});

describe('dry run', () => {
  const orders = [order('O1', [['A', 2], ['E', 1]]), order('O2', [['B', 1]], { receiver: gd })];
  const r = rules([{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }]);
  const plans = deepFreeze(planDispatch(orders, world(), r).plans);

  it('passes a fresh plan against the world it was made for', () => {
    expect(plans).toHaveLength(2);
    expect(dryRun(plans, world(), { orders })).toEqual([]);
  });

  it('lists every problem once the world has moved, and changes nothing', () => {
    const moved = world({ hzCap: 0, ytoAvailable: false, stock: [{ warehouse: 'HZ', sku: 'A', available: 1 }, { warehouse: 'GZ', sku: 'B', available: 1 }] });
    const problems = dryRun(plans, moved, { orders });
    expect(problems.map((p) => [p.code, p.warehouse, p.sku ?? null]).sort()).toEqual(
      [
        ['CARRIER_UNAVAILABLE', 'HZ', null],
        ['NO_CAPACITY', 'HZ', null],
        ['NO_STOCK', 'HZ', 'A'],
        ['NO_STOCK', 'HZ', 'E'],
      ].sort(),
    );
    // Frozen inputs would have thrown on any write; the plan still passes against the original world.
    expect(dryRun(plans, world(), { orders })).toEqual([]);
  });

  it('catches a plan that does not cover its order, a duplicate and a customs breach', () => {
    const p = plans[0];
    if (!p) throw new Error('no plan');
    const short = { ...p, shipments: p.shipments.map((s) => ({ ...s, lines: s.lines.map((l) => ({ ...l, quantity: 1 })) })) };
    expect(dryRun([short], world(), { orders }).map((x) => x.code)).toContain('LINES_NOT_COVERED');
    expect(dryRun([p, p], world()).map((x) => x.code)).toContain('DUPLICATE');
    const smuggled = { planId: 'X', orderIds: ['O9'], shipments: [{ shipmentNo: 'X-1', warehouse: 'HZ', carrier: 'yto', lines: [{ orderId: 'O9', lineId: 'l', sku: 'C', quantity: 1 }], weightGrams: 300, shipBy: t0, orderIds: ['O9'] }] };
    expect(dryRun([smuggled], world()).map((x) => x.code).sort()).toEqual(['NO_CUSTOMS_WAREHOUSE', 'NO_STOCK']);
  });
});

describe('rule sets are checked at load', () => {
  function problems(input: unknown): string[] {
    try {
      loadRoutingRules(input);
    } catch (e) {
      if (isHubError(e) && e.code === 'CONFIG_INVALID') return (e.details as { problems: string[] }).problems;
      throw e;
    }
    return [];
  }

  it('accepts a valid set and freezes it', () => {
    const r = loadRoutingRules([{ kind: 'merge_related', windowMinutes: 30, minAddressSimilarity: 0.85 }, { kind: 'prefer_region' }, { kind: 'max_parcel_weight', grams: 20000 }]);
    expect(r.rules).toHaveLength(3);
    expect(Object.isFrozen(r.rules)).toBe(true);
  });

  it('names every problem: unknown kinds, bad and extra parameters, duplicates, conflicts', () => {
    expect(problems('prefer_region')).toEqual(['not a list']);
    const p = problems([
      { kind: 'prefer_cheapest' },
      { kind: 'max_parcel_weight', grams: -1 },
      { kind: 'merge_related', windowMinutes: 0, minAddressSimilarity: 1.5 },
      { kind: 'prefer_region', weight: 2 },
      { kind: 'prefer_region' },
      { kind: 'require_region' },
      7,
    ]);
    expect(p).toEqual([
      expect.stringContaining('unknown kind "prefer_cheapest"'),
      expect.stringContaining('grams must be a positive integer'),
      expect.stringContaining('windowMinutes'),
      expect.stringContaining('minAddressSimilarity'),
      expect.stringContaining('unknown parameter weight'),
      expect.stringContaining('prefer_region appears twice'),
      expect.stringContaining('rule 7: must be an object'),
      expect.stringContaining('prefer_region and require_region together'),
    ]);
  });
});

describe('address similarity', () => {
  it('normalises full-width characters, spaces and punctuation', () => {
    expect(normalizeAddress(' 文三路１２号（Ａ座），８０１室 ')).toBe('文三路12号a座801室');
    expect(addressSimilarity('西湖区文三路12号A座801', '西湖区 文三路１２号（A座）801')).toBe(1);
  });

  it('is the Dice coefficient of character bigrams', () => {
    // 文三路12 → {文三, 三路, 路1, 12}; 文三路13 → {文三, 三路, 路1, 13}: 2·3 / (4 + 4)
    expect(addressSimilarity('文三路12', '文三路13')).toBe(0.75);
    expect(addressSimilarity('文三路', '江南大道')).toBe(0);
    expect(addressSimilarity('', '')).toBe(0);
    expect(addressSimilarity('甲', '甲')).toBe(1);
  });

  it('is symmetric and between 0 and 1', () => {
    const pairs: [string, string][] = [['杭州市西湖区文三路12号', '杭州西湖文三路12号'], ['abc', 'abcabc'], ['滨江区', '西湖区文三路']];
    for (const [a, b] of pairs) {
      const s = addressSimilarity(a, b);
      expect(s).toBe(addressSimilarity(b, a));
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
  });

  it('matches regions with or without their administrative suffix', () => {
    expect(servesRegion(['浙江'], '浙江省', '杭州市')).toBe(true);
    expect(servesRegion(['广西壮族自治区'], '广西', '南宁')).toBe(true);
    expect(servesRegion(['浙江/杭州'], '浙江省', '宁波市')).toBe(false);
    expect(servesRegion(['浙江省/宁波市'], '浙江', '宁波')).toBe(true);
    expect(servesRegion(['*'], '新疆维吾尔自治区', '乌鲁木齐市')).toBe(true);
  });
});
