// The automatic routing runner over a real hub (SQLite, PostgreSQL, the SQLite writer thread): the merge window,
// related orders merged, unroutable orders retried without blocking the rest, errors, the schedule and the off switch.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/platform/config.ts';
import { createLogger, type Logger } from '../../src/platform/log.ts';
import { httpBackends } from '../support/backends.ts';
import { createShop, startServer, stockInvariants, type TestServer } from '../support/server.ts';
import { order, paidOrder, rules, setStock, uniq, warehouse, zj } from './hub-support.ts';

const T0 = Date.parse('2026-11-22T10:00:00+08:00');
/** A time T0 + minutes (passes run at such times). */
const at = (minutes: number): number => T0 + minutes * 60_000;
/** The platform's times of an order paid at T0 + minutes (its paid_at is the platform's update time). */
const paidAt = (minutes: number) => {
  const iso = new Date(at(minutes)).toISOString();
  return { createdAt: iso, updatedAt: iso };
};
const someone = () => ({ buyer: { id: uniq('buyer') } });

/** A logger whose lines the test reads. */
function capturedLog(): { log: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString('utf8'));
      done();
    },
  });
  const text = () => raw.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log: createLogger('debug', stream), lines, text };
}

/** Waits for a condition, not for a time: the bound only says when to give up (generous, for a loaded 2-core machine). */
async function until(what: () => Promise<boolean>, ms = 45_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(httpBackends)('automatic routing on $name', (backend) => {
  const open: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** A hub of its own (one tenant, nothing else due), a shop and a warehouse serving everywhere. */
  async function hub(over: Partial<Config> = {}, log?: Logger) {
    // An hour between scheduled passes unless a test says otherwise: the tests run passes at the times they name.
    const s = await startServer(backend, { autoRouting: true, autoRoutingIntervalSeconds: 3600, ...over }, log ? { log } : {});
    open.push(s);
    const shop = await createShop(s);
    const w = uniq('WH');
    await warehouse(s, w, { priority: 1, regions: ['*'] });
    return { s, shop, w };
  }

  it('routes an order once its merge window has passed and leaves one paid inside the window for a later pass', async () => {
    const { s, shop, w } = await hub();
    const a = uniq('A');
    await setStock(s, a, 10, w);
    const old = await paidOrder(s, shop, [[a, 1]], { ...someone(), ...paidAt(0) });
    const young = await paidOrder(s, shop, [[a, 1]], { ...someone(), ...paidAt(3) });

    // At 10:06 the first order's five minutes are over; the second was paid three minutes ago.
    expect(await s.hub.autoRouting.runPass(at(6))).toMatchObject({ tenants: 1, routed: 1, plans: 1, unplanned: 0, failed: 0 });
    const v = await order(s, old.id);
    expect(v.routing.planId).toMatch(/^DP-/);
    expect(v.fulfilmentStatus).toBe('routed');
    expect(v.shipments).toEqual([expect.objectContaining({ warehouse: w, state: 'planned' })]);
    expect(v.history.find((h) => h.kind === 'routing')?.cause).toContain('auto-routing');
    expect((await order(s, young.id)).routing).toMatchObject({ planId: null, checkedAt: null });

    expect(await s.hub.autoRouting.runPass(at(9))).toMatchObject({ routed: 1, plans: 1 });
    expect((await order(s, young.id)).routing.planId).toMatch(/^DP-/);
    // Nothing is left: a later pass finds nothing to do.
    expect(await s.hub.autoRouting.runPass(at(60))).toMatchObject({ tenants: 0, batches: 0, routed: 0 });
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('ships two orders of one buyer and address paid minutes apart in one parcel when the rules merge them', async () => {
    const { s, shop, w } = await hub();
    const [a, b] = [uniq('A'), uniq('B')];
    await setStock(s, a, 10, w);
    await setStock(s, b, 10, w);
    await rules(s, [{ kind: 'merge_related', windowMinutes: 10, minAddressSimilarity: 0.8 }, { kind: 'fewest_shipments' }]);
    const buyer = { id: uniq('buyer'), name: '王五', phone: '13700002222' };
    const receiver = { ...zj, name: '王五', phone: '13700002222', address: '文三路 99 号 A 座 801' };
    const first = await paidOrder(s, shop, [[a, 1]], { buyer, receiver, ...paidAt(0) });
    const second = await paidOrder(s, shop, [[b, 2]], { buyer, receiver: { ...receiver, address: '文三路99号A座801' }, ...paidAt(4) });
    // Someone else, paid at the same time as the second: neither due nor related, so it waits its own window.
    const other = await paidOrder(s, shop, [[a, 1]], { buyer: { id: uniq('buyer') }, receiver: { ...zj, name: '赵六', phone: '13600003333' }, ...paidAt(4) });

    // At 10:06 only the first order is due; the second, paid four minutes after it, goes along.
    expect(await s.hub.autoRouting.runPass(at(6))).toMatchObject({ routed: 2, plans: 1, unplanned: 0 });
    const v = await order(s, second.id);
    expect(v.shipments).toHaveLength(1);
    expect(v.shipments[0]?.orderIds.sort()).toEqual([first.id, second.id].sort());
    expect(v.shipments[0]?.lines.map((l) => l.sku).sort()).toEqual([a, b].sort());
    expect((await order(s, first.id)).routing.planId).toBe(v.routing.planId);
    expect((await order(s, other.id)).routing.planId).toBeNull();

    expect(await s.hub.autoRouting.runPass(at(10))).toMatchObject({ routed: 1, plans: 1 });
    const o = await order(s, other.id);
    expect(o.shipments).toHaveLength(1);
    expect(o.shipments[0]?.orderIds).toEqual([other.id]);
  });

  it('does not let an unroutable order hold up the others, and tries it again after the retry interval', async () => {
    // One order per batch: with the oldest order unroutable, a runner that picked it again would route nothing else.
    const { s, shop, w } = await hub({ autoRoutingBatchSize: 1 });
    const full = uniq('FULL');
    await warehouse(s, full, { priority: 2, regions: ['*'], dailyCapacity: 0 });
    const [x, y] = [uniq('X'), uniq('Y')];
    await setStock(s, x, 5, full);
    await setStock(s, y, 5, w);
    const stuck = await paidOrder(s, shop, [[x, 1]], { ...someone(), ...paidAt(0) });
    const good = await paidOrder(s, shop, [[y, 1]], { ...someone(), ...paidAt(1) });

    const first = await s.hub.autoRouting.runPass(at(10));
    expect(first).toMatchObject({ routed: 1, unplanned: 1, failed: 0 });
    expect(first.batches).toBeGreaterThanOrEqual(2);
    expect((await order(s, good.id)).routing.planId).toMatch(/^DP-/);
    const v = await order(s, stuck.id);
    expect(v.routing.planId).toBeNull();
    expect(v.routing.problems?.[0]?.code).toMatch(/NO_CAPACITY|NO_STOCK/);
    expect(Date.parse(v.routing.checkedAt ?? '')).toBe(at(10));

    // Capacity arrives; inside the retry interval the runner leaves the order be and routes a newer one.
    await warehouse(s, full, { dailyCapacity: 100 });
    const later = await paidOrder(s, shop, [[y, 1]], { ...someone(), ...paidAt(12) });
    expect(await s.hub.autoRouting.runPass(at(20))).toMatchObject({ routed: 1, unplanned: 0 });
    expect((await order(s, later.id)).routing.planId).toMatch(/^DP-/);
    const still = await order(s, stuck.id);
    expect(still.routing.planId).toBeNull();
    expect(Date.parse(still.routing.checkedAt ?? '')).toBe(at(10));

    // Thirty minutes after it was last tried, it is tried again, and now it goes.
    expect(await s.hub.autoRouting.runPass(at(41))).toMatchObject({ routed: 1, unplanned: 0 });
    const now = await order(s, stuck.id);
    expect(now.routing).toMatchObject({ problems: null });
    expect(now.shipments).toEqual([expect.objectContaining({ warehouse: full })]);
    expect(await stockInvariants(s.hub)).toEqual({ oversold: [], mismatched: [] });
  });

  it('routes the rest of a batch that failed with an error one by one, leaves the failing order out until the retry interval, and logs counts only', async () => {
    const captured = capturedLog();
    const { s, shop, w } = await hub({}, captured.log);
    const a = uniq('A');
    await setStock(s, a, 10, w);
    const bad = await paidOrder(s, shop, [[a, 1]], { ...someone(), ...paidAt(0) });
    const good = await paidOrder(s, shop, [[a, 1]], { ...someone(), ...paidAt(1) });

    // The write fails for any batch holding the bad order (as a bug or a broken row would make it).
    const real = s.hub.writes.runRouting;
    s.hub.writes.runRouting = (who, input, now) => (input.due || input.orderIds?.includes(bad.id) ? Promise.reject(new Error('boom')) : real(who, input, now));
    try {
      expect(await s.hub.autoRouting.runPass(at(10))).toMatchObject({ routed: 1, failed: 1 });
      expect((await order(s, good.id)).routing.planId).toMatch(/^DP-/);
      expect((await order(s, bad.id)).routing.planId).toBeNull();
    } finally {
      s.hub.writes.runRouting = real;
    }
    // Left out inside the retry interval (the next pass runs), routed after it.
    expect(await s.hub.autoRouting.runPass(at(20))).toMatchObject({ routed: 0, failed: 0 });
    expect((await order(s, bad.id)).routing.planId).toBeNull();
    expect(await s.hub.autoRouting.runPass(at(41))).toMatchObject({ routed: 1, failed: 0 });
    expect((await order(s, bad.id)).routing.planId).toMatch(/^DP-/);

    const passes = captured.lines().filter((l) => l.msg === 'auto-routing pass');
    expect(passes.length).toBeGreaterThanOrEqual(3);
    expect(passes[0]).toMatchObject({ level: 30, routed: 1, unplanned: 0, failed: 1, tenants: 1 });
    expect(typeof passes[0]?.ms).toBe('number');
    expect(captured.lines().some((l) => l.msg === 'auto-routing batch failed; routing its orders one by one' && l.level === 40)).toBe(true);
    // No personal data: not the receiver's name, phone or address.
    for (const word of [zj.name, zj.phone, zj.address, '文三路']) expect(captured.text()).not.toContain(word);
  });

  it('runs on its schedule when on, and a pass that fails does not stop the next one', async () => {
    const captured = capturedLog();
    const { s, shop, w } = await hub({ autoRoutingIntervalSeconds: 1 }, captured.log);
    const a = uniq('A');
    await setStock(s, a, 10, w);
    // The first scheduled pass fails as a whole.
    const real = s.hub.routing.tenantsWithDueOrders.bind(s.hub.routing);
    let calls = 0;
    s.hub.routing.tenantsWithDueOrders = (due) => (++calls === 1 ? Promise.reject(new Error('database away')) : real(due));
    // Paid days ago: due at once.
    const o = await paidOrder(s, shop, [[a, 1]], someone());
    await until(async () => (await order(s, o.id)).routing.planId !== null);
    // The pass logs its counts after its transaction commits: wait for that line too, rather than race it.
    await until(async () => captured.lines().some((l) => l.msg === 'auto-routing pass' && l.routed === 1));
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(captured.lines().some((l) => l.msg === 'auto-routing pass failed; the next pass runs as scheduled' && l.level === 50)).toBe(true);
  });

  it('routes nothing on its own when switched off', async () => {
    const { s, shop, w } = await hub({ autoRouting: false, autoRoutingIntervalSeconds: 1 });
    const a = uniq('A');
    await setStock(s, a, 10, w);
    const o = await paidOrder(s, shop, [[a, 1]], someone());
    await new Promise((r) => setTimeout(r, 2500));
    const v = await order(s, o.id);
    expect(v.routing).toMatchObject({ planId: null, checkedAt: null });
    expect(v.shipments).toEqual([]);
    // Asked for by hand it still routes (the switch stops the schedule, not routing).
    const r = await s.api('POST', '/api/routing/run', {});
    expect(r.status).toBe(200);
    expect((await order(s, o.id)).routing.planId).toMatch(/^DP-/);
  });
});
