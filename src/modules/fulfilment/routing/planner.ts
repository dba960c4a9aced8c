// Routing and splitting (分单) as a pure planner: paid orders + warehouses + stock + SKU traits + rules (data) → dispatch
// plans, or the reasons an order cannot be planned; and a dry run that re-checks a plan against the world of the moment.
// Nothing here reads a clock, a database or a random source, and no input is ever modified.
import { HubError } from '../../../kernel/errors.ts';

const hourMs = 3_600_000;

// ---------- Inputs ----------

export interface PaidOrderLine {
  lineId: string;
  sku: string;
  quantity: number;
}

export interface Receiver {
  province: string;
  city: string;
  name: string;
  /** Hash of the receiver's phone (the hub never compares phones in clear). */
  phoneHash: string;
  /** The street address (province and city may or may not be repeated in it). */
  address: string;
}

export interface PaidOrder {
  orderId: string;
  /** Orders of different shops are never merged (each shop ships under its own platform waybill). */
  shopId?: string;
  buyerId: string;
  receiver: Receiver;
  /** Epoch ms. */
  paidAt: number;
  lines: readonly PaidOrderLine[];
  /** The platform's promise for this order, per SKU, when stricter than the SKU's own. */
  promisedShipHours?: Readonly<Record<string, number>>;
}

export interface CarrierOption {
  code: string;
  /** Regions served ("浙江", "浙江/杭州", "*"); absent = everywhere. */
  regions?: readonly string[];
  maxParcelGrams?: number;
  /** False when the carrier does not collect today (suspended, outage). */
  available?: boolean;
}

export interface Warehouse {
  code: string;
  /** 1 is the first choice. */
  priority: number;
  /** Shipments (parcels) the warehouse can send per day, and how many it already has today. */
  dailyCapacity: number;
  usedToday: number;
  /** Regions it serves well ("浙江", "浙江/杭州", "*"). */
  regions: readonly string[];
  canClearCustoms: boolean;
  /** Carriers collecting at this warehouse; absent = carrier chosen at packing, not checked here. */
  carriers?: readonly CarrierOption[];
}

export interface StockRow {
  warehouse: string;
  sku: string;
  available: number;
}

export interface SkuTraits {
  sku: string;
  /** Only these warehouses may ship it; absent = any. */
  allowedWarehouses?: readonly string[];
  promisedShipHours: number;
  weightGrams: number;
  needsCustomsClearance: boolean;
}

export interface RoutingWorld {
  warehouses: readonly Warehouse[];
  stock: readonly StockRow[];
  skus: readonly SkuTraits[];
}

// ---------- Rules as data ----------

export type RoutingRule =
  /** Among feasible plans, fewer lines shipped from warehouses not serving the receiver's region. */
  | { kind: 'prefer_region' }
  /** Only warehouses serving the receiver's region may ship. */
  | { kind: 'require_region' }
  | { kind: 'fewest_shipments' }
  /** Lines from warehouses with a better (lower) priority number. */
  | { kind: 'prefer_priority' }
  | { kind: 'max_parcel_weight'; grams: number }
  /** Merge orders of the same buyer, shop, receiver (name, phone, city) paid within the window, addresses alike. */
  | { kind: 'merge_related'; windowMinutes: number; minAddressSimilarity: number };

export type RoutingRuleKind = RoutingRule['kind'];
const ruleKinds: readonly RoutingRuleKind[] = ['prefer_region', 'require_region', 'fewest_shipments', 'prefer_priority', 'max_parcel_weight', 'merge_related'];

/** A checked, frozen rule set: the order of the ranking rules is the order of preference. */
export interface RoutingRules {
  readonly rules: readonly RoutingRule[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates rules at load; throws CONFIG_INVALID listing every problem (unknown kinds, bad or extra parameters). */
export function loadRoutingRules(input: unknown): RoutingRules {
  const problems: string[] = [];
  const rules: RoutingRule[] = [];
  if (!Array.isArray(input)) throw new HubError('CONFIG_INVALID', 'routing rules must be a list', { problems: ['not a list'] });
  const seen = new Set<string>();
  input.forEach((raw: unknown, i) => {
    const at = `rule ${i + 1}`;
    if (!isObj(raw) || typeof raw['kind'] !== 'string') return void problems.push(`${at}: must be an object with a kind`);
    const kind = raw['kind'];
    if (!ruleKinds.includes(kind as RoutingRuleKind)) return void problems.push(`${at}: unknown kind ${JSON.stringify(kind)} (known: ${ruleKinds.join(', ')})`);
    if (seen.has(kind)) return void problems.push(`${at}: ${kind} appears twice`);
    seen.add(kind);
    const params = Object.keys(raw).filter((k) => k !== 'kind');
    const allowed: Record<RoutingRuleKind, string[]> = {
      prefer_region: [],
      require_region: [],
      fewest_shipments: [],
      prefer_priority: [],
      max_parcel_weight: ['grams'],
      merge_related: ['windowMinutes', 'minAddressSimilarity'],
    };
    for (const p of params) if (!allowed[kind as RoutingRuleKind].includes(p)) problems.push(`${at} (${kind}): unknown parameter ${p}`);
    if (kind === 'max_parcel_weight') {
      const g = raw['grams'];
      if (typeof g !== 'number' || !Number.isInteger(g) || g <= 0) return void problems.push(`${at} (max_parcel_weight): grams must be a positive integer`);
      rules.push({ kind, grams: g });
    } else if (kind === 'merge_related') {
      const w = raw['windowMinutes'];
      const s = raw['minAddressSimilarity'];
      const windowOk = typeof w === 'number' && Number.isInteger(w) && w > 0 && w <= 7 * 24 * 60;
      const similarityOk = typeof s === 'number' && s > 0 && s <= 1;
      if (!windowOk) problems.push(`${at} (merge_related): windowMinutes must be an integer 1..10080`);
      if (!similarityOk) problems.push(`${at} (merge_related): minAddressSimilarity must be in (0, 1]`);
      if (windowOk && similarityOk) rules.push({ kind, windowMinutes: w, minAddressSimilarity: s });
    } else rules.push({ kind } as RoutingRule);
  });
  if (seen.has('prefer_region') && seen.has('require_region')) problems.push('prefer_region and require_region together: require_region already decides');
  if (problems.length > 0) throw new HubError('CONFIG_INVALID', `routing rules: ${problems.join('; ')}`, { problems });
  return Object.freeze({ rules: Object.freeze(rules.map((r) => Object.freeze(r))) });
}

// ---------- Address similarity ----------

/**
 * A Chinese address made comparable: Unicode NFKC (full-width letters, digits and spaces become half-width), lower
 * case, then every whitespace, punctuation and symbol character removed. "杭州市西湖区 文三路１２号（A座）" and
 * "杭州市西湖区文三路12号a座" normalise to the same text.
 */
export function normalizeAddress(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]/gu, '');
}

function bigrams(s: string): Map<string, number> {
  const chars = [...s];
  const m = new Map<string, number>();
  if (chars.length === 1) m.set(chars[0] as string, 1);
  for (let i = 0; i + 1 < chars.length; i++) {
    const g = (chars[i] as string) + (chars[i + 1] as string);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/**
 * Sørensen–Dice coefficient over character bigrams (counted as a multiset) of the normalised addresses: 1 for the
 * same address, 0 when nothing is shared or either is empty (an empty address is no evidence of sameness).
 */
export function addressSimilarity(a: string, b: string): number {
  const x = bigrams(normalizeAddress(a));
  const y = bigrams(normalizeAddress(b));
  let nx = 0;
  let ny = 0;
  let both = 0;
  for (const v of x.values()) nx += v;
  for (const v of y.values()) ny += v;
  if (nx === 0 || ny === 0) return 0;
  for (const [g, v] of x) both += Math.min(v, y.get(g) ?? 0);
  return (2 * both) / (nx + ny);
}

// ---------- Regions ----------

const regionSuffix = /(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|地区|省|市)$/u;
const regionName = (s: string): string => normalizeAddress(s).replace(regionSuffix, '');

/** Whether a region list ("浙江", "浙江省/杭州市", "*") covers a province and city. */
export function servesRegion(regions: readonly string[] | undefined, province: string, city: string): boolean {
  if (regions === undefined) return true;
  const p = regionName(province);
  const c = regionName(city);
  return regions.some((r) => {
    if (r.trim() === '*') return true;
    const [rp = '', rc] = r.split('/');
    return regionName(rp) === p && (rc === undefined || regionName(rc) === c);
  });
}

// ---------- Outputs ----------

export interface PlannedLine {
  orderId: string;
  lineId: string;
  sku: string;
  quantity: number;
}

export interface PlannedShipment {
  shipmentNo: string;
  warehouse: string;
  /** Chosen carrier, or null when the warehouse lists none (chosen at packing). */
  carrier: string | null;
  lines: PlannedLine[];
  weightGrams: number;
  /** Epoch ms: the strictest promised ship time of its lines. */
  shipBy: number;
  orderIds: string[];
}

export interface DispatchPlan {
  planId: string;
  /** More than one when related orders were merged. */
  orderIds: string[];
  shipments: PlannedShipment[];
}

export type UnplannedCode =
  | 'INVALID_ORDER'
  | 'SKU_UNKNOWN'
  | 'SKU_NOT_ALLOWED'
  | 'NO_CUSTOMS_WAREHOUSE'
  | 'OUT_OF_REGION'
  | 'NO_CARRIER'
  | 'NO_CAPACITY'
  | 'NO_STOCK'
  | 'ITEM_OVER_PARCEL_WEIGHT'
  | 'NO_COMBINATION';

export interface UnplannedReason {
  code: UnplannedCode;
  orderId: string;
  lineId?: string;
  sku?: string;
  message: string;
}

export interface RoutingResult {
  plans: DispatchPlan[];
  unplanned: { orderIds: string[]; reasons: UnplannedReason[] }[];
}

export interface RoutingOptions {
  /** The plan id for a group of orders; default `DP-<first order id>`. */
  planIdFor?: (orderIds: readonly string[]) => string;
  /** Up to this many line→warehouse assignments per order group are all tried (exact); default 4096. */
  maxCombinations?: number;
  /** Beyond that, sets of at most this many best-ranked warehouses are tried (2^n, greedy inside); default 10. */
  maxCandidateWarehouses?: number;
}

// ---------- Planner ----------

interface Item {
  orderId: string;
  lineId: string;
  sku: string;
  quantity: number;
  unitGrams: number;
  deadline: number;
  eligible: string[];
}

interface Ledger {
  stock: Map<string, number>;
  capacity: Map<string, number>;
}

const stockKey = (warehouse: string, sku: string): string => `${warehouse}\u0000${sku}`;

function carrierFor(w: Warehouse, r: Receiver, heaviest: number): string | null | undefined {
  if (w.carriers === undefined) return null;
  const c = w.carriers.find((c) => c.available !== false && servesRegion(c.regions, r.province, r.city) && (c.maxParcelGrams === undefined || heaviest <= c.maxParcelGrams));
  return c?.code;
}

function orderProblems(o: PaidOrder): string[] {
  const p: string[] = [];
  if (!o.orderId) p.push('order has no id');
  if (o.lines.length === 0) p.push('order has no lines');
  const ids = new Set<string>();
  for (const l of o.lines) {
    if (ids.has(l.lineId)) p.push(`line ${l.lineId} appears twice`);
    ids.add(l.lineId);
    if (!Number.isInteger(l.quantity) || l.quantity <= 0) p.push(`line ${l.lineId} quantity ${l.quantity} is not a positive integer`);
  }
  if (!Number.isFinite(o.paidAt)) p.push('paidAt is not a time');
  return p;
}

function related(a: PaidOrder, b: PaidOrder, rule: Extract<RoutingRule, { kind: 'merge_related' }>): boolean {
  return (
    a.buyerId === b.buyerId &&
    (a.shopId ?? '') === (b.shopId ?? '') &&
    a.receiver.phoneHash === b.receiver.phoneHash &&
    normalizeAddress(a.receiver.name) === normalizeAddress(b.receiver.name) &&
    regionName(a.receiver.province) === regionName(b.receiver.province) &&
    regionName(a.receiver.city) === regionName(b.receiver.city) &&
    addressSimilarity(a.receiver.address, b.receiver.address) >= rule.minAddressSimilarity
  );
}

/** Groups orders (sorted by paid time) that may ship together; the window counts from the group's first payment. */
function groupOrders(orders: PaidOrder[], rules: RoutingRules): PaidOrder[][] {
  const merge = rules.rules.find((r): r is Extract<RoutingRule, { kind: 'merge_related' }> => r.kind === 'merge_related');
  if (!merge) return orders.map((o) => [o]);
  const groups: PaidOrder[][] = [];
  // Candidates are only groups of the same buyer, shop and phone: an index keeps a 100k-order batch linear.
  const open = new Map<string, PaidOrder[][]>();
  for (const o of orders) {
    const k = `${o.buyerId}\u0000${o.shopId ?? ''}\u0000${o.receiver.phoneHash}`;
    const mine = open.get(k) ?? [];
    const g = mine.find((g) => o.paidAt - (g[0] as PaidOrder).paidAt <= merge.windowMinutes * 60_000 && g.every((m) => related(m, o, merge)));
    if (g) g.push(o);
    else {
      groups.push([o]);
      // Orders arrive by paid time, so a group whose window has closed can never take another order.
      open.set(k, [...mine.filter((x) => o.paidAt - (x[0] as PaidOrder).paidAt <= merge.windowMinutes * 60_000), groups.at(-1) as PaidOrder[]]);
    }
  }
  return groups;
}

/** Packs one warehouse's items into parcels under the weight limit: heaviest units first, first parcel with room. */
function packParcels(items: { item: Item; quantity: number }[], maxGrams: number | undefined): { item: Item; quantity: number }[][] {
  if (maxGrams === undefined) return [items];
  const parcels: { lines: { item: Item; quantity: number }[]; grams: number }[] = [];
  for (const { item, quantity } of [...items].sort((a, b) => b.item.unitGrams - a.item.unitGrams || a.item.lineId.localeCompare(b.item.lineId))) {
    let left = quantity;
    for (const p of parcels) {
      if (left === 0) break;
      const fit = item.unitGrams === 0 ? left : Math.min(left, Math.floor((maxGrams - p.grams) / item.unitGrams));
      if (fit > 0) {
        p.lines.push({ item, quantity: fit });
        p.grams += fit * item.unitGrams;
        left -= fit;
      }
    }
    while (left > 0) {
      // At least one unit per parcel: a unit over the limit is refused before packing, and must never loop here.
      const fit = item.unitGrams === 0 ? left : Math.max(1, Math.min(left, Math.floor(maxGrams / item.unitGrams)));
      parcels.push({ lines: [{ item, quantity: fit }], grams: fit * item.unitGrams });
      left -= fit;
    }
  }
  return parcels.map((p) => p.lines);
}

interface Candidate {
  score: number[];
  key: string;
  parcels: { warehouse: string; carrier: string | null; lines: { item: Item; quantity: number }[] }[];
}

function planGroup(
  group: PaidOrder[],
  world: { wh: Map<string, Warehouse>; skus: Map<string, SkuTraits> },
  rules: RoutingRules,
  ledger: Ledger,
  maxCandidates: number,
  maxCombinations: number,
): { ok: true; candidate: Candidate } | { ok: false; reasons: UnplannedReason[] } {
  const receiver = (group[0] as PaidOrder).receiver;
  const has = (k: RoutingRuleKind): boolean => rules.rules.some((r) => r.kind === k);
  const maxGrams = rules.rules.find((r): r is Extract<RoutingRule, { kind: 'max_parcel_weight' }> => r.kind === 'max_parcel_weight')?.grams;
  const inRegion = (w: Warehouse): boolean => servesRegion(w.regions, receiver.province, receiver.city);
  const warehouses = [...world.wh.values()];
  const reasons: UnplannedReason[] = [];
  const items: Item[] = [];

  for (const o of group) {
    for (const l of o.lines) {
      const t = world.skus.get(l.sku);
      const fail = (code: UnplannedCode, message: string): void => void reasons.push({ code, orderId: o.orderId, lineId: l.lineId, sku: l.sku, message });
      if (!t) {
        fail('SKU_UNKNOWN', `no fulfilment traits for ${l.sku}`);
        continue;
      }
      // A funnel from the most basic fact: allowed, clears customs, has the stock, then serves the region, has a
      // carrier, has room today. The first filter that leaves nothing names the reason.
      let c = warehouses.filter((w) => t.allowedWarehouses === undefined || t.allowedWarehouses.includes(w.code));
      if (c.length === 0) fail('SKU_NOT_ALLOWED', `${l.sku} is allowed only in ${(t.allowedWarehouses ?? []).join(', ')}, none of which exists`);
      else if (t.needsCustomsClearance && (c = c.filter((w) => w.canClearCustoms)).length === 0) fail('NO_CUSTOMS_WAREHOUSE', `${l.sku} needs customs clearance and no allowed warehouse can clear customs`);
      else if ((c = c.filter((w) => (ledger.stock.get(stockKey(w.code, l.sku)) ?? 0) >= l.quantity)).length === 0) fail('NO_STOCK', `no allowed warehouse has ${l.quantity} × ${l.sku}`);
      else if (has('require_region') && (c = c.filter(inRegion)).length === 0) fail('OUT_OF_REGION', `no warehouse with ${l.sku} in stock serves ${receiver.province}/${receiver.city}`);
      else if ((c = c.filter((w) => carrierFor(w, receiver, t.weightGrams) !== undefined)).length === 0) fail('NO_CARRIER', `no carrier collects ${l.sku} at a warehouse with stock for ${receiver.province}/${receiver.city}`);
      else if ((c = c.filter((w) => (ledger.capacity.get(w.code) ?? 0) > 0)).length === 0) fail('NO_CAPACITY', `every warehouse with ${l.sku} in stock is at its daily capacity`);
      else if (maxGrams !== undefined && t.weightGrams > maxGrams) fail('ITEM_OVER_PARCEL_WEIGHT', `one ${l.sku} weighs ${t.weightGrams} g, over the ${maxGrams} g parcel limit`);
      else {
        const hours = Math.min(t.promisedShipHours, o.promisedShipHours?.[l.sku] ?? Infinity);
        items.push({ orderId: o.orderId, lineId: l.lineId, sku: l.sku, quantity: l.quantity, unitGrams: t.weightGrams, deadline: o.paidAt + hours * hourMs, eligible: c.map((w) => w.code) });
      }
    }
  }
  if (reasons.length > 0) return { ok: false, reasons };

  // The preference order for giving a line to a warehouse inside a chosen set, following the rules' order.
  const rank = (code: string): number[] => {
    const w = world.wh.get(code) as Warehouse;
    const r: number[] = [];
    for (const rule of rules.rules) {
      if (rule.kind === 'prefer_region') r.push(inRegion(w) ? 0 : 1);
      if (rule.kind === 'prefer_priority') r.push(w.priority);
    }
    return r;
  };
  const cmp = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  // Sort each line's warehouses by preference so that enumeration meets the preferred assignments first.
  for (const item of items) item.eligible.sort((a, b) => cmp(rank(a), rank(b)) || a.localeCompare(b));

  /** One way to give every line a warehouse, checked against stock, capacity and carriers and scored by the rules. */
  const evaluate = (assignment: readonly string[]): Candidate | null => {
    const local = new Map<string, number>();
    const byWh = new Map<string, { item: Item; quantity: number }[]>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Item;
      const w = assignment[i] as string;
      const k = stockKey(w, item.sku);
      const left = (local.get(k) ?? ledger.stock.get(k) ?? 0) - item.quantity;
      if (left < 0) return null;
      local.set(k, left);
      byWh.set(w, [...(byWh.get(w) ?? []), { item, quantity: item.quantity }]);
    }
    const parcels: Candidate['parcels'] = [];
    for (const [code, lines] of byWh) {
      const packed = packParcels(lines, maxGrams);
      if (packed.length > (ledger.capacity.get(code) ?? 0)) return null;
      const heaviest = Math.max(...packed.map((p) => p.reduce((g, l) => g + l.quantity * l.item.unitGrams, 0)));
      const carrier = carrierFor(world.wh.get(code) as Warehouse, receiver, heaviest);
      if (carrier === undefined) return null;
      for (const p of packed) parcels.push({ warehouse: code, carrier, lines: p });
    }
    const score: number[] = [];
    const lineWh = assignment.map((code) => world.wh.get(code) as Warehouse);
    for (const rule of rules.rules) {
      if (rule.kind === 'prefer_region') score.push(lineWh.filter((w) => !inRegion(w)).length);
      if (rule.kind === 'fewest_shipments') score.push(parcels.length);
      if (rule.kind === 'prefer_priority') score.push(lineWh.reduce((s, w) => s + w.priority, 0));
    }
    // Whatever the rules leave equal: fewer parcels, then better priorities, then the first assignment met.
    score.push(parcels.length, lineWh.reduce((s, w) => s + w.priority, 0));
    return { score, key: assignment.join(','), parcels };
  };

  const found: { best: Candidate | null } = { best: null };
  const consider = (assignment: readonly string[]): void => {
    const c = evaluate(assignment);
    if (c && (!found.best || cmp(c.score, found.best.score) < 0)) found.best = c;
  };
  const combinations = items.reduce((n, i) => n * i.eligible.length, 1);
  if (combinations <= maxCombinations) {
    // Small enough to try every assignment: the best feasible one is found whenever one exists.
    const pos = items.map(() => 0);
    for (;;) {
      consider(items.map((it, i) => it.eligible[pos[i] as number] as string));
      let i = items.length - 1;
      while (i >= 0 && (pos[i] as number) + 1 >= (items[i] as Item).eligible.length) pos[i--] = 0;
      if (i < 0) break;
      pos[i] = (pos[i] as number) + 1;
    }
  } else {
    // Too many: try each set of the best-ranked warehouses, giving each line the first one in the set with stock.
    const union = [...new Set(items.flatMap((i) => i.eligible))].sort((a, b) => cmp(rank(a), rank(b)) || a.localeCompare(b)).slice(0, maxCandidates);
    for (let mask = 1; mask < 1 << union.length; mask++) {
      const set = union.filter((_, i) => mask & (1 << i));
      const local = new Map<string, number>();
      const assignment: string[] = [];
      for (const item of items) {
        const w = set.find((code) => item.eligible.includes(code) && (local.get(stockKey(code, item.sku)) ?? ledger.stock.get(stockKey(code, item.sku)) ?? 0) >= item.quantity);
        if (w === undefined) break;
        local.set(stockKey(w, item.sku), (local.get(stockKey(w, item.sku)) ?? ledger.stock.get(stockKey(w, item.sku)) ?? 0) - item.quantity);
        assignment.push(w);
      }
      if (assignment.length === items.length && new Set(assignment).size === set.length) consider(assignment);
    }
  }
  const best = found.best;
  if (!best) {
    const orderId = (group[0] as PaidOrder).orderId;
    return { ok: false, reasons: [{ code: 'NO_COMBINATION', orderId, message: 'each line has a warehouse, but no combination fits stock, capacity and carriers together' }] };
  }
  return { ok: true, candidate: best };
}

function toPlan(group: PaidOrder[], c: Candidate, planId: string): DispatchPlan {
  const parcels = [...c.parcels].sort((a, b) => a.warehouse.localeCompare(b.warehouse));
  return {
    planId,
    orderIds: group.map((o) => o.orderId),
    shipments: parcels.map((p, i) => ({
      shipmentNo: `${planId}-${i + 1}`,
      warehouse: p.warehouse,
      carrier: p.carrier,
      lines: p.lines.map((l) => ({ orderId: l.item.orderId, lineId: l.item.lineId, sku: l.item.sku, quantity: l.quantity })),
      weightGrams: p.lines.reduce((g, l) => g + l.quantity * l.item.unitGrams, 0),
      shipBy: Math.min(...p.lines.map((l) => l.item.deadline)),
      orderIds: [...new Set(p.lines.map((l) => l.item.orderId))].sort(),
    })),
  };
}

function commit(ledger: Ledger, plan: DispatchPlan): void {
  for (const s of plan.shipments) {
    ledger.capacity.set(s.warehouse, (ledger.capacity.get(s.warehouse) ?? 0) - 1);
    for (const l of s.lines) {
      const k = stockKey(s.warehouse, l.sku);
      ledger.stock.set(k, (ledger.stock.get(k) ?? 0) - l.quantity);
    }
  }
}

function indexWorld(world: RoutingWorld): { wh: Map<string, Warehouse>; skus: Map<string, SkuTraits>; ledger: Ledger } {
  const wh = new Map(world.warehouses.map((w) => [w.code, w]));
  const skus = new Map(world.skus.map((s) => [s.sku, s]));
  const stock = new Map<string, number>();
  for (const r of world.stock) stock.set(stockKey(r.warehouse, r.sku), (stock.get(stockKey(r.warehouse, r.sku)) ?? 0) + Math.max(0, r.available));
  const capacity = new Map(world.warehouses.map((w) => [w.code, Math.max(0, w.dailyCapacity - w.usedToday)]));
  return { wh, skus, ledger: { stock, capacity } };
}

/**
 * Plans paid orders first paid, first served; stock and capacity used by one plan are not offered to the next. A
 * merged group that cannot be planned together is planned order by order.
 */
export function planDispatch(orders: readonly PaidOrder[], world: RoutingWorld, rules: RoutingRules, opts: RoutingOptions = {}): RoutingResult {
  const { wh, skus, ledger } = indexWorld(world);
  const planIdFor = opts.planIdFor ?? ((ids: readonly string[]) => `DP-${ids[0] ?? ''}`);
  const result: RoutingResult = { plans: [], unplanned: [] };
  const seen = new Set<string>();
  const valid: PaidOrder[] = [];
  for (const o of orders) {
    const problems = orderProblems(o);
    if (seen.has(o.orderId)) problems.push('order appears twice in the batch');
    seen.add(o.orderId);
    if (problems.length > 0) result.unplanned.push({ orderIds: [o.orderId], reasons: problems.map((message) => ({ code: 'INVALID_ORDER', orderId: o.orderId, message })) });
    else valid.push(o);
  }
  valid.sort((a, b) => a.paidAt - b.paidAt || a.orderId.localeCompare(b.orderId));
  const maxCandidates = opts.maxCandidateWarehouses ?? 10;
  const maxCombinations = opts.maxCombinations ?? 4096;
  const attempt = (group: PaidOrder[]): boolean => {
    const r = planGroup(group, { wh, skus }, rules, ledger, maxCandidates, maxCombinations);
    if (!r.ok) {
      if (group.length === 1) result.unplanned.push({ orderIds: [(group[0] as PaidOrder).orderId], reasons: r.reasons });
      return false;
    }
    const plan = toPlan(group, r.candidate, planIdFor(group.map((o) => o.orderId)));
    commit(ledger, plan);
    result.plans.push(plan);
    return true;
  };
  for (const group of groupOrders(valid, rules)) {
    if (!attempt(group) && group.length > 1) for (const o of group) attempt([o]);
  }
  return result;
}

// ---------- Dry run ----------

export type PlanProblemCode =
  | 'UNKNOWN_WAREHOUSE'
  | 'SKU_UNKNOWN'
  | 'SKU_NOT_ALLOWED'
  | 'NO_CUSTOMS_WAREHOUSE'
  | 'NO_STOCK'
  | 'NO_CAPACITY'
  | 'NO_CARRIER'
  | 'CARRIER_UNAVAILABLE'
  | 'BAD_QUANTITY'
  | 'DUPLICATE'
  | 'LINES_NOT_COVERED';

export interface PlanProblem {
  code: PlanProblemCode;
  planId: string;
  shipmentNo?: string;
  warehouse?: string;
  sku?: string;
  message: string;
}

/**
 * Re-checks plans against the world as it is now (stock, capacity, carriers, traits), all plans together: what the
 * plans take from one warehouse is summed before comparing. Changes nothing; an empty list means they can be committed.
 * With `orders`, also checks each planned order's lines are covered exactly once, no more, no less.
 */
export function dryRun(plans: readonly DispatchPlan[], world: RoutingWorld, opts: { orders?: readonly PaidOrder[] } = {}): PlanProblem[] {
  const { wh, skus, ledger } = indexWorld(world);
  const problems: PlanProblem[] = [];
  const needStock = new Map<string, { planId: string; need: number }>();
  const needCap = new Map<string, { planId: string; need: number }>();
  const ids = new Set<string>();
  for (const plan of plans) {
    if (ids.has(plan.planId)) problems.push({ code: 'DUPLICATE', planId: plan.planId, message: `plan ${plan.planId} appears twice` });
    ids.add(plan.planId);
    for (const s of plan.shipments) {
      const at = { planId: plan.planId, shipmentNo: s.shipmentNo, warehouse: s.warehouse };
      if (ids.has(`shipment:${s.shipmentNo}`)) problems.push({ ...at, code: 'DUPLICATE', message: `shipment ${s.shipmentNo} appears twice` });
      ids.add(`shipment:${s.shipmentNo}`);
      const w = wh.get(s.warehouse);
      if (!w) {
        problems.push({ ...at, code: 'UNKNOWN_WAREHOUSE', message: `warehouse ${s.warehouse} does not exist` });
        continue;
      }
      needCap.set(w.code, { planId: plan.planId, need: (needCap.get(w.code)?.need ?? 0) + 1 });
      if (s.carrier === null && w.carriers !== undefined) problems.push({ ...at, code: 'NO_CARRIER', message: `no carrier chosen though ${w.code} lists its carriers` });
      if (s.carrier !== null) {
        const c = w.carriers?.find((c) => c.code === s.carrier);
        if (!c) problems.push({ ...at, code: 'NO_CARRIER', message: `carrier ${s.carrier} does not collect at ${w.code}` });
        else if (c.available === false) problems.push({ ...at, code: 'CARRIER_UNAVAILABLE', message: `carrier ${s.carrier} is not collecting at ${w.code} today` });
        else if (c.maxParcelGrams !== undefined && s.weightGrams > c.maxParcelGrams) problems.push({ ...at, code: 'NO_CARRIER', message: `${s.weightGrams} g is over ${s.carrier}'s ${c.maxParcelGrams} g limit` });
      }
      for (const l of s.lines) {
        const t = skus.get(l.sku);
        if (!Number.isInteger(l.quantity) || l.quantity <= 0) problems.push({ ...at, sku: l.sku, code: 'BAD_QUANTITY', message: `line ${l.lineId} quantity ${l.quantity}` });
        if (!t) problems.push({ ...at, sku: l.sku, code: 'SKU_UNKNOWN', message: `no fulfilment traits for ${l.sku}` });
        else if (t.allowedWarehouses !== undefined && !t.allowedWarehouses.includes(w.code)) problems.push({ ...at, sku: l.sku, code: 'SKU_NOT_ALLOWED', message: `${l.sku} may not ship from ${w.code}` });
        else if (t.needsCustomsClearance && !w.canClearCustoms) problems.push({ ...at, sku: l.sku, code: 'NO_CUSTOMS_WAREHOUSE', message: `${l.sku} needs customs clearance; ${w.code} cannot clear customs` });
        const k = stockKey(w.code, l.sku);
        needStock.set(k, { planId: plan.planId, need: (needStock.get(k)?.need ?? 0) + l.quantity });
      }
    }
  }
  for (const [k, { planId, need }] of needStock) {
    const have = ledger.stock.get(k) ?? 0;
    const [warehouse = '', sku = ''] = k.split('\u0000');
    if (need > have) problems.push({ code: 'NO_STOCK', planId, warehouse, sku, message: `plans take ${need} × ${sku} from ${warehouse}; ${have} available` });
  }
  for (const [code, { planId, need }] of needCap) {
    const left = ledger.capacity.get(code) ?? 0;
    if (need > left) problems.push({ code: 'NO_CAPACITY', planId, warehouse: code, message: `plans send ${need} shipments from ${code}; ${left} left today` });
  }
  if (opts.orders) {
    const planned = new Map<string, number>();
    const planOf = new Map<string, string>();
    for (const p of plans) for (const s of p.shipments) for (const l of s.lines) planned.set(`${l.orderId}\u0000${l.lineId}`, (planned.get(`${l.orderId}\u0000${l.lineId}`) ?? 0) + l.quantity);
    for (const p of plans) for (const id of p.orderIds) planOf.set(id, p.planId);
    for (const o of opts.orders) {
      const planId = planOf.get(o.orderId);
      if (planId === undefined) continue;
      for (const l of o.lines) {
        const got = planned.get(`${o.orderId}\u0000${l.lineId}`) ?? 0;
        if (got !== l.quantity) problems.push({ code: 'LINES_NOT_COVERED', planId, sku: l.sku, message: `order ${o.orderId} line ${l.lineId}: planned ${got} of ${l.quantity}` });
      }
    }
  }
  return problems;
}
