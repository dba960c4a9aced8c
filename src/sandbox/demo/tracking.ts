// The demo's parcels: paid demo orders are routed to the demo's two warehouses, packed by scanning and shipped with a
// tracking number, and a local Kuaidi100 (the fake in src/sandbox/fakes/tracking.ts) follows each parcel — picked up, in
// transit, out for delivery, delivered — pushing signed as Kuaidi100 signs. Deliveries come with every kind of proof
// (signed in person, photo, locker, station, scan only), so the shipments list and the trust board fill within a
// minute; the hub's tracking worker subscribes and re-checks against the same fake.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from '../../platform/log.ts';
import { systemPrincipal } from '../../kernel/principal.ts';
import type { Hub } from '../../app/hub.ts';
import { startTrackingFake, type TrackingFake } from '../fakes/tracking.ts';
import type { DemoSetup } from './seed.ts';

const accountName = '快递100（演示）';
const key = 'demo-kuaidi100-key';
const customer = 'DEMOKUAIDI100';

/** The demo's warehouses (its stock is in these two) and the provinces each serves first. */
const warehouses = [
  { code: 'WH-HZ', name: '杭州仓（演示）', priority: 1, regions: ['浙江', '江苏', '上海', '北京', '湖北'] },
  { code: 'WH-GZ', name: '广州仓（演示）', priority: 2, regions: ['广东', '四川', '福建'] },
];
const carriers = [
  { code: 'yuantong', prefix: 'YT' },
  { code: 'zhongtong', prefix: 'ZT' },
  { code: 'shunfeng', prefix: 'SF' },
  { code: 'yunda', prefix: 'YD' },
];
const towns = ['杭州市', '南京市', '上海市', '武汉市', '广州市', '深圳市', '成都市', '厦门市'];

interface Trace {
  at: number;
  context: string;
  statusCode: string;
  areaName: string | null;
}

/** How a demo parcel ends: the Kuaidi100 state, sub-state and the courier's words, with how often it happens. */
const endings: { share: number; state: string; statusCode: string; context: (town: string) => string }[] = [
  { share: 0.4, state: '3', statusCode: '301', context: () => '已签收，签收人：本人，感谢使用' },
  { share: 0.12, state: '3', statusCode: '3', context: () => '已签收，快递员已拍照留存，如有疑问请联系快递员' },
  { share: 0.18, state: '3', statusCode: '304', context: (t) => `快件已存放至${t}丰巢智能柜，取件码已发送至收件人手机` },
  { share: 0.12, state: '3', statusCode: '304', context: (t) => `快件已由${t}菜鸟驿站代收，请及时取件` },
  { share: 0.1, state: '3', statusCode: '303', context: () => '已签收，门卫代签' },
  { share: 0.08, state: '3', statusCode: '3', context: () => '已签收' },
];

export interface DemoTracking {
  /** One round: route what is paid, ship a few packed parcels, move parcels on the road one step. */
  tick(now?: number): Promise<void>;
  close(): Promise<void>;
}

const bj = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000 + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

export async function startDemoTracking(
  hub: Hub,
  setup: DemoSetup,
  baseUrl: string,
  log: Logger,
  random: () => number = Math.random,
  opts: { intervalMs?: number; start?: boolean } = {},
): Promise<DemoTracking> {
  const who = systemPrincipal(setup.tenant, 'demo-warehouse');
  const fake: TrackingFake = await startTrackingFake({ kuaidi100: { key, customer } });
  // A fresh salt every start (the fake does not check it; the hub does, on every push).
  const salt = randomBytes(12).toString('base64url');
  const credentials = { key, salt, customer };
  const existing = (await hub.trackingAccounts.list(who)).find((a) => a.name === accountName);
  const account = existing
    ? await hub.writes.updateTrackingAccount(who, existing.id, { credentials, apiBase: fake.apiBase('kuaidi100'), active: true })
    : await hub.writes.createTrackingAccount(who, { source: 'kuaidi100', name: accountName, credentials, apiBase: fake.apiBase('kuaidi100') });
  const known = new Set((await hub.routing.listWarehouses(who)).map((w) => w.code));
  for (const w of warehouses) {
    if (!known.has(w.code)) await hub.writes.saveWarehouse(who, w.code, { name: w.name, priority: w.priority, regions: w.regions, dailyCapacity: 5000 });
  }

  const hook = `${baseUrl}/hooks/tracking/kuaidi100/${account.id}`;
  /** What the fake Kuaidi100 knows of each number, newest last (rebuilt from the hub's events after a restart). */
  const journeys = new Map<string, Trace[]>();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  const push = async (number: string, com: string, state: string, traces: Trace[], final: boolean): Promise<void> => {
    const data = [...traces].reverse().map((t) => ({ time: bj(t.at), ftime: bj(t.at), context: t.context, statusCode: t.statusCode, areaName: t.areaName }));
    const lastResult = { message: 'ok', state, status: '200', ischeck: state === '3' ? '1' : '0', com, nu: number, data };
    // The fake answers the hub's re-checks with what it last pushed.
    fake.setAnswer('kuaidi100', number, lastResult);
    const param = JSON.stringify({ status: final ? 'shutdown' : 'polling', message: '', lastResult });
    const sign = createHash('md5').update(param + salt, 'utf8').digest('hex').toUpperCase();
    const res = await fetch(hook, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `param=${encodeURIComponent(param)}&sign=${sign}` });
    await res.arrayBuffer();
    if (!res.ok) log.warn({ status: res.status }, 'demo: a Kuaidi100 push was refused');
  };

  const journeyOf = async (shipmentId: string, number: string): Promise<Trace[]> => {
    const have = journeys.get(number);
    if (have) return have;
    const rows = await hub.db.read.all<{ at: number; description: string; raw_status: string | null; raw_sub_status: string | null; location: string | null }>(
      'SELECT at, description, raw_status, raw_sub_status, location FROM tracking_events WHERE shipment_id = ? ORDER BY at, id',
      [shipmentId],
    );
    const traces = rows.map((r) => ({ at: Number(r.at), context: r.description, statusCode: r.raw_sub_status ?? r.raw_status ?? '0', areaName: r.location }));
    journeys.set(number, traces);
    return traces;
  };

  /** The next step of one parcel on the road, from what the hub has heard of it so far. */
  const advance = async (s: { id: string; carrier: string; tracking_no: string; tracking_status: string | null }, now: number): Promise<void> => {
    const traces = await journeyOf(s.id, s.tracking_no);
    const town = pick(towns);
    const area = town;
    const step = (state: string, t: Omit<Trace, 'at'>, final = false) => {
      traces.push({ at: Math.max(now, (traces.at(-1)?.at ?? 0) + 1000), ...t });
      return push(s.tracking_no, s.carrier, state, traces, final);
    };
    switch (s.tracking_status) {
      case null:
        return step('1', { context: `【${town}】快递员已揽件`, statusCode: '103', areaName: area });
      case 'picked_up':
        return step('0', { context: `【${town}转运中心】已发出，下一站【${pick(towns)}】`, statusCode: '1002', areaName: area });
      case 'in_transit':
        return step('5', { context: `【${town}】快递员正在派件，请保持电话畅通`, statusCode: '5', areaName: area });
      case 'out_for_delivery': {
        let r = random();
        const end = endings.find((e) => (r -= e.share) < 0) ?? (endings[0] as (typeof endings)[number]);
        return step(end.state, { context: end.context(town), statusCode: end.statusCode, areaName: area }, end.statusCode === '301');
      }
      default:
        return undefined;
    }
  };

  let seq = 0;
  const round = async (now: number): Promise<void> => {
    try {
      await hub.writes.runRouting(who, { limit: 20 });
    } catch (e) {
      log.warn({ err: e }, 'demo: routing failed');
    }
    // Pack and ship a few of what was routed (the rest stays in the warehouse queue for the console to show).
    const planned = await hub.db.read.all<{ id: string }>(`SELECT id FROM shipments WHERE tenant_id = ? AND state = 'planned' ORDER BY created_at, id LIMIT 5`, [setup.tenant]);
    for (const { id } of planned) {
      if (random() < 0.3) continue;
      try {
        const lines = await hub.db.read.all<{ sku: string; quantity: number }>('SELECT sku, quantity FROM shipment_lines WHERE shipment_id = ?', [id]);
        await hub.writes.scanShipment(who, id, lines.flatMap((l) => Array.from({ length: Number(l.quantity) }, () => l.sku)));
        // A Taobao, PDD, Douyin or JD parcel gets its e-waybill from the network's simulator, a Shopee one its number from
        // Shopee, and ships with it; the others (and a resumed demo, whose waybill simulators answer elsewhere now) are typed in.
        const waybill = await hub.writes.getWaybill(who, id).catch(() => null);
        if (waybill?.state === 'issued') {
          await hub.writes.shipShipment(who, id, {});
          continue;
        }
        const c = pick(carriers);
        await hub.writes.shipShipment(who, id, { carrier: c.code, trackingNo: `${c.prefix}${now.toString().slice(-9)}${String(++seq % 1000).padStart(3, '0')}` });
      } catch (e) {
        log.warn({ err: e, shipmentId: id }, 'demo: shipping a parcel failed');
      }
    }
    const onTheRoad = await hub.db.read.all<{ id: string; carrier: string; tracking_no: string; tracking_status: string | null }>(
      `SELECT id, carrier, tracking_no, tracking_status FROM shipments
       WHERE tenant_id = ? AND state = 'shipped' AND tracking_no IS NOT NULL AND carrier IS NOT NULL
         AND (tracking_status IS NULL OR tracking_status IN ('picked_up', 'in_transit', 'out_for_delivery'))
       ORDER BY updated_at, id LIMIT 12`,
      [setup.tenant],
    );
    for (const s of onTheRoad) {
      if (random() < 0.4) continue;
      try {
        await advance(s, now);
      } catch (e) {
        log.warn({ err: e, shipmentId: s.id }, 'demo: a tracking push failed');
      }
    }
  };
  // Never throws: a round that fails (the hub stopping under it) is logged and the next one tries again.
  const tick = (now = Date.now()): Promise<void> => round(now).catch((e: unknown) => log.warn({ err: e }, 'demo: a parcel round failed'));

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  if (opts.start !== false) {
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        running = tick().finally(schedule);
      }, opts.intervalMs ?? 5_000);
      timer.unref();
    };
    schedule();
  }
  return {
    tick,
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await fake.close();
    },
  };
}
