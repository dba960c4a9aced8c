// Synthetic catalogue and signed own-shop deliveries for the ingest benchmark (signing written here, independent of src/).
import { createHmac } from 'node:crypto';

/** Small, seedable PRNG (mulberry32): runs with the same seed send the same orders, so figures compare like for like. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const between = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export interface Catalogue {
  skus: string[];
  hot: string[];
  warehouses: string[];
  /** Initial on-hand per `${sku}|${warehouse}`: the ledger check needs what the hub started from. */
  initial: Map<string, number>;
  /** Share of order lines that name a hot SKU. */
  hotLineShare: number;
}

export const stockKey = (sku: string, warehouse: string): string => `${sku}|${warehouse}`;

/**
 * 1..N SKUs over two warehouses. Ordinary SKUs get ~3× their expected demand so they never run short;
 * hot SKUs get a quarter of their expected demand, so a share of orders must end up held as stock-short.
 */
export function makeCatalogue(opts: { skuCount: number; hotCount: number; expectedOrders: number; hotLineShare: number }): Catalogue {
  const warehouses = ['WH-A', 'WH-B'];
  const skus = Array.from({ length: opts.skuCount }, (_, i) => `SKU-${String(i).padStart(4, '0')}`);
  const hot = skus.slice(0, opts.hotCount);
  // Lines per order and units per line are both uniform 1..3, so 4 units per order on average.
  const unitsPerOrder = 4;
  const ordinaryDemand = (opts.expectedOrders * unitsPerOrder * (1 - opts.hotLineShare)) / Math.max(1, opts.skuCount - opts.hotCount);
  const perWarehouse = Math.ceil(ordinaryDemand * 1.5) + 50;
  // A quarter of the expected hot demand: most hot orders go short whatever the run size, yet some reserve.
  const hotDemand = (opts.expectedOrders * unitsPerOrder * opts.hotLineShare) / Math.max(1, opts.hotCount);
  const hotPerWarehouse = Math.max(3, Math.floor((hotDemand * 0.25) / warehouses.length));
  const initial = new Map<string, number>();
  for (const sku of skus) {
    for (const wh of warehouses) initial.set(stockKey(sku, wh), hot.includes(sku) ? hotPerWarehouse : perWarehouse);
  }
  return { skus, hot, warehouses, initial, hotLineShare: opts.hotLineShare };
}

export interface Delivery {
  orderId: string;
  eventId: string;
  body: Buffer;
  /** Units per SKU, to compute what the hub should have reserved for it. */
  units: Map<string, number>;
  timestamp: number;
  signature: string;
}

/** v1=<hex HMAC-SHA256(secret, timestamp + "." + rawBody)>, as the own-shop push contract states. */
export function signature(secret: string, timestamp: number, body: Buffer): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')}`;
}

/** Signs again when a pre-signed delivery has aged toward the hub's ±300 s window (a slow run must not turn into 401s). */
export function freshen(d: Delivery, secret: string, nowSeconds: number, maxAgeSeconds = 200): void {
  if (nowSeconds - d.timestamp <= maxAgeSeconds) return;
  d.timestamp = nowSeconds;
  d.signature = signature(secret, nowSeconds, d.body);
}

const provinces = [
  ['浙江省', '杭州市', '西湖区'],
  ['广东省', '深圳市', '南山区'],
  ['江苏省', '南京市', '鼓楼区'],
  ['上海市', '上海市', '浦东新区'],
] as const;

export function makeDeliveries(opts: {
  count: number;
  prefix: string;
  catalogue: Catalogue;
  random: () => number;
  secret: string;
}): Delivery[] {
  const { catalogue: cat, random: r } = opts;
  const ordinary = cat.skus.filter((s) => !cat.hot.includes(s));
  const nowSeconds = Math.floor(Date.now() / 1000);
  const out: Delivery[] = [];
  for (let i = 0; i < opts.count; i++) {
    const orderId = `${opts.prefix}-${i}`;
    const lines: { sku: string; title: string; quantity: number; unitPrice: number; discount: number }[] = [];
    const units = new Map<string, number>();
    for (let n = between(r, 1, 3); n > 0; n--) {
      const sku = r() < cat.hotLineShare ? pick(r, cat.hot) : pick(r, ordinary);
      const quantity = between(r, 1, 3);
      const unitPrice = between(r, 100, 50_000);
      lines.push({ sku, title: `Item ${sku}`, quantity, unitPrice, discount: r() < 0.2 ? Math.floor(unitPrice / 10) : 0 });
      units.set(sku, (units.get(sku) ?? 0) + quantity);
    }
    const goods = lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);
    const shippingFee = r() < 0.5 ? 0 : 800;
    const seller = r() < 0.1 ? Math.min(500, goods) : 0;
    const total = goods + shippingFee - seller;
    // Half arrive already paid, so both the reserve and the reserve-then-deduct paths run under load.
    const paid = r() < 0.5;
    const created = new Date((nowSeconds - 60) * 1000).toISOString();
    const [province, city, district] = pick(r, provinces);
    const body = Buffer.from(
      JSON.stringify({
        orderId,
        status: paid ? 'paid' : 'pending_payment',
        createdAt: created,
        updatedAt: created,
        currency: 'CNY',
        buyer: { id: `buyer-${between(r, 1, 50_000)}`, name: '买家' },
        receiver: {
          name: `收货人${i % 1000}`,
          phone: `138${String(between(r, 0, 99_999_999)).padStart(8, '0')}`,
          province,
          city,
          district,
          address: `文三路 ${between(r, 1, 999)} 号 ${between(r, 1, 30)} 楼`,
        },
        lines,
        shippingFee,
        discounts: { platform: 0, seller },
        paidAmount: paid ? total : 0,
      }),
    );
    out.push({
      orderId,
      eventId: `evt-${orderId}`,
      body,
      units,
      timestamp: nowSeconds,
      signature: signature(opts.secret, nowSeconds, body),
    });
  }
  return out;
}
