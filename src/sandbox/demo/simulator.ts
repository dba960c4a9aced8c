// The demo's shops, sending to the hub the way real shops do: the own shops push signed HTTP to
// /hooks/ownshop/{account}; the platform shops are simulators that push as their platform pushes (Shopify,
// WooCommerce, Shopee, Douyin) or only answer the hub's pulls (Taobao, JD, Pinduoduo). With what real traffic
// brings: new orders, payments, shipments, cancellations, duplicate deliveries, updates arriving out of order,
// unknown SKUs, pushes lost on the way (the hub's pull recovers them) and a forged signature now and then.
// It signs with its own code (and the simulators' own signers), not the hub's.
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../../platform/log.ts';
import type { SimOrder, SimPhase, SimPush } from '../simulators/types.ts';
import type { DemoSetup, DemoShop } from './seed.ts';
import type { DemoPayments } from './payments.ts';

const provinces: [string, string, string][] = [
  ['浙江省', '杭州市', '西湖区'],
  ['广东省', '深圳市', '南山区'],
  ['江苏省', '南京市', '鼓楼区'],
  ['上海市', '上海市', '徐汇区'],
  ['北京市', '北京市', '海淀区'],
  ['四川省', '成都市', '武侯区'],
  ['湖北省', '武汉市', '洪山区'],
  ['福建省', '厦门市', '思明区'],
];
const surnames = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const given = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '艳', '勇', '军', '杰', '婷'];

interface Live {
  shop: DemoShop;
  body: Record<string, unknown>;
  status: string;
  updatedAt: number;
  eventId: string;
  /** A platform shop's order as its simulator keeps it, and the pushes last sent for it. */
  sim?: SimOrder;
  pushes?: SimPush[];
}

/** Share of platform pushes the demo loses on the way, so the integration page shows orders recovered by polling. */
const lostPushes = 0.1;

/** Pushes demo orders at about `perMinute`, after a first burst so the console is alive within seconds. */
export class DemoSimulator {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private open: Live[] = [];
  private seq = 0;
  private stopped = false;
  readonly stats = { sent: 0, accepted: 0, refused: 0 };

  constructor(
    private readonly baseUrl: string,
    private readonly demo: DemoSetup,
    private readonly perMinute: number,
    private readonly log: Logger,
    private readonly random: () => number = Math.random,
    /** Asks the hub to pull one account now (the demo pulls its platform shops every few seconds, not every 5 minutes). */
    private readonly pullNow: ((accountId: string) => Promise<unknown>) | null = null,
    /** The public base the platforms know the hub by: Shopee signs the URL it calls. */
    private readonly hookBase: string = baseUrl,
    /** The demo's WeChat Pay: pays the own shops' orders and tells the hub as WeChat does. */
    private readonly payments: DemoPayments | null = null,
    /** Asks the hub to pull one account's listings now (商品下载): the platforms list what the demo's orders sell. */
    private readonly pullListingsNow: ((accountId: string) => Promise<unknown>) | null = null,
  ) {}

  private pullTimer: NodeJS.Timeout | null = null;
  private listingTimer: NodeJS.Timeout | null = null;

  start(burst = 30): void {
    this.stopped = false;
    if (this.pullNow) {
      const pull = this.pullNow;
      const platformShops = this.demo.shops.filter((x) => x.sim);
      const pullAll = () => {
        for (const shop of platformShops) void pull(shop.id).catch((e: unknown) => this.log.warn({ err: e, shop: shop.name }, 'demo: a pull failed'));
      };
      // The first pull soon after the first burst, then every 10 s: the pull-only shops show up within seconds.
      const first = setTimeout(pullAll, 3_000);
      first.unref();
      this.pullTimer = setInterval(pullAll, 10_000);
      this.pullTimer.unref();
    }
    if (this.pullListingsNow) {
      const pull = this.pullListingsNow;
      const platformShops = this.demo.shops.filter((x) => x.sim);
      const pullAll = () => {
        for (const shop of platformShops) void pull(shop.id).catch((e: unknown) => this.log.warn({ err: e, shop: shop.name }, 'demo: a listing pull failed'));
      };
      // A shop lists what its orders sell: read again once the first orders are in, then every 2 minutes, so the
      // listings page and the stock sync have every demo SKU within seconds (a real shop is read every 6 hours).
      const first = setTimeout(pullAll, 15_000);
      first.unref();
      this.listingTimer = setInterval(pullAll, 120_000);
      this.listingTimer.unref();
    }
    this.running = (async () => {
      for (let i = 0; i < burst && !this.stopped; i++) await this.step(i < burst * 0.7 ? 'new' : undefined);
      this.schedule();
    })();
  }

  /** Stops sending; resolves when the push in flight (if any) has its answer. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pullTimer) clearInterval(this.pullTimer);
    if (this.listingTimer) clearInterval(this.listingTimer);
    this.timer = null;
    this.pullTimer = null;
    this.listingTimer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped || this.perMinute <= 0) return;
    // Poisson-like arrivals around the configured rate.
    const mean = 60_000 / this.perMinute;
    const wait = Math.min(mean * 4, -Math.log(1 - this.random()) * mean);
    this.timer = setTimeout(() => {
      this.running = this.step().finally(() => this.schedule());
    }, wait);
    this.timer.unref();
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.random() * xs.length)] as T;
  }

  private async step(force?: 'new'): Promise<void> {
    const r = force ? 0 : this.random();
    try {
      if (r < 0.55 || this.open.length === 0) await this.newOrder();
      else if (r < 0.75) await this.advance('paid');
      else if (r < 0.85) await this.advance('shipped');
      else if (r < 0.9) await this.advance('cancelled');
      else if (r < 0.94) await this.duplicate();
      else if (r < 0.97) await this.stale();
      else if (r < 0.985) await this.newOrder({ unknownSku: true });
      else await this.forged();
    } catch (e) {
      this.log.warn({ err: e }, 'demo simulator: a push failed');
    }
  }

  private iso(ms: number): string {
    // The shop's local time with its offset, as shops send it.
    return new Date(ms + 8 * 3_600_000).toISOString().replace('Z', '+08:00');
  }

  private async newOrder(opts: { unknownSku?: boolean } = {}): Promise<void> {
    const shop = this.pick(this.demo.shops);
    if (shop.sim) return this.newPlatformOrder(shop, opts);
    const now = Date.now();
    const lines = Array.from({ length: 1 + Math.floor(this.random() * 3) }, () => {
      const s = this.pick(this.demo.skus);
      return { sku: s.sku, title: s.title, quantity: 1 + Math.floor(this.random() * 2), unitPrice: s.price, discount: 0 };
    });
    if (opts.unknownSku) lines.push({ sku: `NEW-${Math.floor(this.random() * 90 + 10)}`, title: '新品（未建档）', quantity: 1, unitPrice: 5900, discount: 0 });
    const [province, city, district] = this.pick(provinces);
    const name = this.pick(surnames) + this.pick(given) + (this.random() < 0.5 ? this.pick(given) : '');
    const phone = `13${Math.floor(this.random() * 10)}${String(Math.floor(this.random() * 1e8)).padStart(8, '0')}`;
    const goods = lines.reduce((a, l) => a + l.quantity * l.unitPrice, 0);
    const shippingFee = goods >= 9900 ? 0 : 800;
    const paidNow = this.random() < 0.5;
    const body = {
      orderId: `D${now.toString(36).toUpperCase()}${(++this.seq).toString(36).toUpperCase()}`,
      status: paidNow ? 'paid' : 'pending_payment',
      createdAt: this.iso(now),
      updatedAt: this.iso(now),
      currency: 'CNY',
      buyer: { id: `u${Math.floor(this.random() * 1e6)}`, name, phone },
      receiver: { name, phone, province, city, district, address: `${this.pick(['文三路', '科技园路', '中山路', '人民路'])} ${1 + Math.floor(this.random() * 300)} 号` },
      lines,
      shippingFee,
      discounts: { platform: 0, seller: 0 },
      paidAmount: paidNow ? goods + shippingFee : 0,
      demo: true,
    };
    const live: Live = { shop, body, status: body.status, updatedAt: now, eventId: randomUUID() };
    await this.send(shop, body, live.eventId);
    this.open.push(live);
    if (this.open.length > 300) this.open.splice(0, this.open.length - 300);
  }

  /** A new order in a platform shop: its simulator keeps it (for the hub's pulls) and says what it pushes. */
  private async newPlatformOrder(shop: DemoShop, opts: { unknownSku?: boolean }): Promise<void> {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const lines = Array.from({ length: 1 + Math.floor(this.random() * 2) }, () => {
      const s = this.pick(this.demo.skus);
      return { sku: s.sku, title: s.title, quantity: 1 + Math.floor(this.random() * 2), unitPrice: s.price, discount: this.random() < 0.3 ? 500 : 0 };
    });
    if (opts.unknownSku) lines.push({ sku: `NEW-${Math.floor(this.random() * 90 + 10)}`, title: '新品（未建档）', quantity: 1, unitPrice: 5900, discount: 0 });
    const [province, city, district] = this.pick(provinces);
    const name = this.pick(surnames) + this.pick(given) + (this.random() < 0.5 ? this.pick(given) : '');
    const phone = `13${Math.floor(this.random() * 10)}${String(Math.floor(this.random() * 1e8)).padStart(8, '0')}`;
    const goods = lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0);
    const order: SimOrder = {
      id: String(Math.floor(1e12 + this.random() * 8e12)) + String(++this.seq).padStart(4, '0'),
      phase: this.random() < 0.5 ? 'paid' : 'created',
      createdAt: now,
      updatedAt: now,
      currency: 'CNY',
      lines,
      shippingFee: goods >= 9900 ? 0 : 800,
      discountPlatform: this.random() < 0.3 ? 300 : 0,
      discountSeller: this.random() < 0.3 ? 200 : 0,
      buyer: { id: `u${Math.floor(this.random() * 1e6)}`, name, phone },
      receiver: { name, phone, province, city, district, address: `${this.pick(['文三路', '科技园路', '中山路', '人民路'])} ${1 + Math.floor(this.random() * 300)} 号` },
    };
    const live: Live = { shop, body: {}, status: order.phase === 'paid' ? 'paid' : 'pending_payment', updatedAt: now, eventId: '', sim: order };
    await this.sendPlatform(live);
    this.open.push(live);
    if (this.open.length > 300) this.open.splice(0, this.open.length - 300);
  }

  /** Records the platform order's new state in its simulator and sends what the platform pushes (losing a few). */
  private async sendPlatform(live: Live): Promise<void> {
    const { shop, sim: order } = live;
    if (!shop.sim || !order) return;
    live.pushes = shop.sim.record(order, `${this.hookBase}/hooks/${shop.platform}/${shop.id}`);
    for (const p of live.pushes) {
      if (this.random() < lostPushes) continue;
      await this.post(`${this.baseUrl}/hooks/${shop.platform}/${shop.id}`, p.headers, p.body);
    }
  }

  /** The next step of an open order: payment of an unpaid one, shipment of a paid one, or a cancellation. */
  private async advance(to: 'paid' | 'shipped' | 'cancelled'): Promise<void> {
    const from = to === 'paid' || to === 'cancelled' ? 'pending_payment' : 'paid';
    const candidates = this.open.filter((o) => o.status === from);
    if (!candidates.length) return this.newOrder();
    const o = this.pick(candidates);
    const now = Math.max(Date.now(), o.updatedAt + 1000);
    if (o.sim) {
      const phase: SimPhase = to;
      o.sim = { ...o.sim, phase, updatedAt: Math.floor(now / 1000) * 1000 };
      o.status = to;
      o.updatedAt = o.sim.updatedAt;
      return this.sendPlatform(o);
    }
    // The buyer pays through WeChat Pay, which notifies the hub directly; the shop then reports its order paid too.
    if (to === 'paid' && this.payments) await this.payments.pay(String(o.body.orderId), this.total(o.body));
    const body = { ...o.body, status: to, updatedAt: this.iso(now), ...(to === 'paid' ? { paidAmount: this.total(o.body) } : {}) };
    o.body = body;
    o.status = to;
    o.updatedAt = now;
    o.eventId = randomUUID();
    await this.send(o.shop, body, o.eventId);
  }

  private total(b: Record<string, unknown>): number {
    const lines = b.lines as { quantity: number; unitPrice: number; discount: number }[];
    return lines.reduce((a, l) => a + l.quantity * l.unitPrice - l.discount, 0) + Number(b.shippingFee ?? 0);
  }

  /** The same delivery again (platforms retry when they miss an answer): the hub must do nothing twice. */
  private async duplicate(): Promise<void> {
    const o = this.pick(this.open);
    if (o.sim) {
      for (const p of o.pushes ?? []) await this.post(`${this.baseUrl}/hooks/${o.shop.platform}/${o.shop.id}`, p.headers, p.body);
      return;
    }
    await this.send(o.shop, o.body, o.eventId);
  }

  /** An update older than what the hub already has, arriving late: it must not move the order back. */
  private async stale(): Promise<void> {
    const o = this.open.find((x) => x.status !== 'pending_payment' && !x.sim);
    if (!o) return this.newOrder();
    const old = { ...o.body, status: 'pending_payment', paidAmount: 0, updatedAt: this.iso(o.updatedAt - 60_000) };
    await this.send(o.shop, old, randomUUID());
  }

  /** A push with a wrong signature (someone probing the hook): refused with 401. */
  private async forged(): Promise<void> {
    const shop = this.pick(this.demo.shops.filter((x) => x.platform === 'ownshop'));
    if (!shop) return;
    await this.send({ ...shop, secret: 'not-the-secret' }, { orderId: 'FORGED', status: 'paid' }, randomUUID());
  }

  private async send(shop: DemoShop, body: unknown, eventId: string): Promise<void> {
    const raw = JSON.stringify(body);
    const ts = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', shop.secret).update(`${ts}.${raw}`).digest('hex');
    await this.post(
      `${this.baseUrl}/hooks/ownshop/${shop.id}`,
      { 'content-type': 'application/json', 'x-orderhub-event-id': eventId, 'x-orderhub-timestamp': String(ts), 'x-orderhub-signature': `v1=${sig}` },
      raw,
    );
  }

  private async post(url: string, headers: Record<string, string>, body: string): Promise<void> {
    this.stats.sent++;
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.arrayBuffer();
    if (res.ok) this.stats.accepted++;
    else this.stats.refused++;
  }
}
