// Stock sync (库存同步) from a real hub to platform simulators over loopback HTTP, on SQLite and PostgreSQL: every stock
// change reaches each matched listing coalesced, the last units sold under 200 concurrent orders end at 0 on every
// channel with no write ever above what was sellable when it was computed, the full push repairs a listing changed
// behind the hub's back, a platform's refusal shows on the listing, and the allocation settings change the numbers
// exactly as GET /api/stock/{sku} reports them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from '../support/server.ts';
import { orderBody } from '../support/sign.ts';
import { eventually, insertListing, listingState } from '../support/listings.ts';
import { uniq } from '../fulfilment/hub-support.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { platformShops, type Shop } from './stock-sync-support.ts';
import type { StockWriteRecord } from '../../src/modules/channels/stock-sync-worker.ts';

interface StockDetail {
  sellable: number;
  byChannel: { accountId: string; sellable: number | null }[];
}

describe.each(allBackends)('stock sync on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let shops: Shop[];
  let own: { id: string; secret: string };
  const records: StockWriteRecord[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { stockSync: { pollMs: 20, gatherMs: 300, retryBaseMs: 50, fullPushEveryMs: 3_600_000, onWrite: (r) => records.push(r) } });
    shops = await platformShops(s, sims, `ss-${backend.name}`);
    own = await createShop(s);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  /** A SKU listed on every shop (an item with one SKU of that outer id on each platform), matched in the hub. */
  async function listEverywhere(sku: string, opts: { fixed?: Record<string, number>; cap?: Record<string, number> } = {}) {
    const out: { shop: Shop; listingId: number; itemId: string; skuId: string }[] = [];
    for (const shop of shops) {
      const { itemId, skuId } = shop.list(sku);
      const listingId = await insertListing(s, {
        accountId: shop.accountId,
        channel: shop.platform,
        platformItemId: itemId,
        platformSkuId: skuId,
        sku,
        fixedQuantity: opts.fixed?.[shop.accountId] ?? null,
        capQuantity: opts.cap?.[shop.accountId] ?? null,
      });
      out.push({ shop, listingId, itemId, skuId });
    }
    return out;
  }

  const onPlatform = (l: { shop: Shop; itemId: string; skuId: string }) => l.shop.sim.catalogue?.quantityOf(l.itemId, l.skuId) ?? null;

  async function platformsShow(listings: Awaited<ReturnType<typeof listEverywhere>>, want: number[] | number, what: string) {
    const wanted = Array.isArray(want) ? want : listings.map(() => want);
    await eventually(
      what,
      async () => listings.map(onPlatform),
      (q) => q.every((v, i) => v === wanted[i]),
    );
  }

  async function detail(sku: string): Promise<StockDetail> {
    const r = await s.api<StockDetail>('GET', `/api/stock/${sku}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  }

  it('writes a SKU’s sellable quantity to every matched listing, and byChannel reports the same numbers', async () => {
    const sku = uniq('SS-A');
    const listings = await listEverywhere(sku);
    await setStock(s, sku, 7, 'WH1');
    await platformsShow(listings, 7, 'every platform shows 7');
    const d = await detail(sku);
    const methods: Record<string, string> = { taobao: 'taobao.item.quantity.update', pinduoduo: 'pdd.goods.quantity.update', jd: 'jingdong.stock.write.updateSkuStock' };
    for (const l of listings) {
      expect(d.byChannel.find((c) => c.accountId === l.shop.accountId)?.sellable).toBe(7);
      expect(await listingState(s, l.listingId)).toMatchObject({ syncedQuantity: 7, syncError: null, syncDueAt: null, claimedBy: null });
      // Each write is in the account's call log under the platform's own method, with the listing it was for.
      const log = await s.api<{ items: { kind: string; op: string; subject: string; listingId: number; attempt: number; httpStatus: number; result: string }[] }>(
        'GET',
        `/api/channel-accounts/${l.shop.accountId}/platform-calls?kind=stock`,
      );
      expect(log.body.items.find((c) => c.listingId === l.listingId)).toMatchObject({
        kind: 'stock',
        op: methods[l.shop.platform],
        subject: `${l.itemId}:${l.skuId}`,
        attempt: 1,
        httpStatus: 200,
        result: 'ok',
      });
    }
  });

  it('sells the last units under 200 concurrent orders: every channel ends at 0, no write above what was sellable when computed', async () => {
    const sku = uniq('SS-LAST');
    const units = 20;
    const listings = await listEverywhere(sku);
    await setStock(s, sku, units, 'WH1');
    await platformsShow(listings, units, `every platform shows ${units}`);
    const from = records.length;
    /** When each order that took a unit was answered: committed by then. */
    const taken: number[] = [];
    let short = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const body = orderBody({ status: 'paid', lines: [{ sku, title: sku, quantity: 1, unitPrice: 1000, discount: 0 }], paidAmount: 1000 });
        const r = await s.push(own.id, own.secret, body);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        if (r.body.orders?.[0]?.reservation === 'deducted') taken.push(Date.now());
        else short++;
      }),
    );
    expect(taken).toHaveLength(units);
    expect(short).toBe(200 - units);
    await platformsShow(listings, 0, 'every platform shows 0');
    const mine = records.slice(from).filter((r) => r.sku === sku && r.outcome === 'done');
    expect(mine.length).toBeGreaterThanOrEqual(listings.length);
    for (const r of mine) {
      // Orders answered before the stock was read had committed: the write cannot have counted their units as free.
      const committedBefore = taken.filter((t) => t < r.computedAt).length;
      expect(r.quantity, `write of ${r.quantity} computed at ${r.computedAt}`).toBeLessThanOrEqual(units - committedBefore);
    }
    // What each platform received is what the hub recorded, in order, ending at 0.
    for (const l of listings) {
      const got = (l.shop.sim.catalogue?.writes ?? []).filter((w) => w.itemId === l.itemId && w.skuId === l.skuId).map((w) => w.quantity);
      expect(got.at(-1)).toBe(0);
      expect(got).toEqual(got.slice().sort((a, b) => b - a));
      expect(await listingState(s, l.listingId)).toMatchObject({ syncedQuantity: 0, syncError: null });
    }
    expect((await detail(sku)).byChannel.filter((c) => listings.some((l) => l.shop.accountId === c.accountId)).map((c) => c.sellable)).toEqual(listings.map(() => 0));
  }, 120_000);

  it('gives units back to every platform when an order is cancelled, unpaid (release) or paid (restock)', async () => {
    const sku = uniq('SS-CX');
    const listings = await listEverywhere(sku);
    await setStock(s, sku, 10, 'WH1');
    await platformsShow(listings, 10, 'every platform shows 10');
    const line = [{ sku, title: sku, quantity: 3, unitPrice: 1000, discount: 0 }];
    const unpaid = orderBody({ status: 'pending_payment', lines: line, updatedAt: '2026-11-22T10:00:00+08:00' });
    expect((await s.push(own.id, own.secret, unpaid)).body.orders?.[0]).toMatchObject({ reservation: 'held' });
    const paid = orderBody({ status: 'paid', lines: line, paidAmount: 3000, updatedAt: '2026-11-22T10:00:00+08:00' });
    expect((await s.push(own.id, own.secret, paid)).body.orders?.[0]).toMatchObject({ reservation: 'deducted' });
    await platformsShow(listings, 4, 'every platform shows 4 after two orders of 3');
    const later = '2026-11-22T11:00:00+08:00';
    expect((await s.push(own.id, own.secret, { ...unpaid, status: 'cancelled', updatedAt: later })).status).toBe(200);
    await platformsShow(listings, 7, 'the unpaid order’s units back');
    expect((await s.push(own.id, own.secret, { ...paid, status: 'cancelled', updatedAt: later })).status).toBe(200);
    await platformsShow(listings, 10, 'the paid order’s units back');
  }, 30_000);

  it('coalesces: 100 stock changes in about a second make a handful of writes per listing, the last value right', async () => {
    const sku = uniq('SS-CO');
    const listings = await listEverywhere(sku);
    await setStock(s, sku, 500, 'WH1');
    await platformsShow(listings, 500, 'every platform shows 500');
    const before = listings.map((l) => (l.shop.sim.catalogue?.writes ?? []).length);
    const started = Date.now();
    for (let i = 1; i <= 100; i++) await setStock(s, sku, 500 - i, 'WH1');
    const took = Date.now() - started;
    await platformsShow(listings, 400, 'every platform shows the last value, 400');
    listings.forEach((l, i) => {
      const writes = (l.shop.sim.catalogue?.writes ?? []).slice(before[i]).filter((w) => w.itemId === l.itemId);
      // One write per gathering time (300 ms here) while changes keep coming, and the last one.
      expect(writes.length, `${writes.length} writes for 100 changes in ${took} ms`).toBeLessThanOrEqual(Math.ceil(took / 300) + 3);
      expect(writes.at(-1)?.quantity).toBe(400);
    });
  }, 60_000);

  it('keeps a platform’s refusal on the listing and does not retry it; a rate limit is retried after Retry-After', async () => {
    const sku = uniq('SS-REF');
    const [l] = await listEverywhere(sku);
    if (!l) throw new Error('no listing');
    l.shop.refuseNextStockWrite(l.itemId);
    await setStock(s, sku, 5, 'WH1');
    const st = await eventually('the refusal is on the listing', () => listingState(s, l.listingId), (x) => x.syncErrorCode !== null);
    expect(st).toMatchObject({ syncErrorCode: l.shop.refusalCode, syncedQuantity: null, syncDueAt: null, syncAttempts: 0 });
    expect(st.syncError).toContain(l.shop.refusalMessage);
    expect(onPlatform(l)).not.toBe(5);
    // The integration page counts it, and the call log shows the refused request with the platform's code.
    const page = await s.api<{ counts: { stock: { refused: number } } }>('GET', `/api/channel-accounts/${l.shop.accountId}/outbound`);
    expect(page.body.counts.stock.refused).toBeGreaterThanOrEqual(1);
    const refused = await s.api<{ items: { listingId: number; result: string; code: string }[] }>('GET', `/api/channel-accounts/${l.shop.accountId}/platform-calls?kind=stock&result=refused`);
    expect(refused.body.items.find((c) => c.listingId === l.listingId)).toMatchObject({ result: 'refused', code: l.shop.refusalCode });

    // The next change is written (a refusal holds only that write); a call limit first: retried, then written.
    l.shop.sim.throttleNext(1);
    await setStock(s, sku, 4, 'WH1');
    const ok = await eventually('written after the limit', () => listingState(s, l.listingId), (x) => x.syncedQuantity === 4);
    expect(ok).toMatchObject({ syncError: null, syncErrorCode: null, syncAttempts: 0 });
    expect(onPlatform(l)).toBe(4);
    const calls = await s.api<{ items: { listingId: number; result: string; httpStatus: number | null; attempt: number }[] }>('GET', `/api/channel-accounts/${l.shop.accountId}/platform-calls?kind=stock`);
    const mine = calls.body.items.filter((c) => c.listingId === l.listingId);
    // Newest first: the write that went through on its second attempt, after the one the limit turned back.
    expect(mine.slice(0, 2).map((c) => [c.attempt, c.result])).toEqual([
      [2, 'ok'],
      [1, 'retry'],
    ]);
  }, 30_000);

  it('allocation settings change the numbers (ratio, safety stock, fixed, cap, exclusive) and byChannel agrees with what is pushed', async () => {
    const sku = uniq('SS-AL');
    const [a, b, c] = shops;
    if (!a || !b || !c) throw new Error('three shops expected');
    const listings = await listEverywhere(sku, { cap: { [c.accountId]: 5 } });
    await setStock(s, sku, 40, 'WH1', 4);
    // 40 on hand − 4 safety = 36 each; the third shop's listing is capped at 5.
    await platformsShow(listings, [36, 36, 5], 'ratio 100 %, the cap');
    const put = await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 50, safetyStock: 6, syncEnabled: true });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // floor((36 − 6) × 50 %) = 15 for the first shop.
    await platformsShow(listings, [15, 36, 5], 'the first shop at 50 % with 6 kept back');
    const d = await detail(sku);
    expect(listings.map((l) => d.byChannel.find((x) => x.accountId === l.shop.accountId)?.sellable)).toEqual([15, 36, 36]);

    const ex = await s.api('PUT', `/api/stock/${sku}/exclusive`, { accountId: b.accountId });
    expect(ex.status, JSON.stringify(ex.body)).toBe(200);
    await platformsShow(listings, [0, 36, 0], 'given to the second shop only');
    const d2 = await detail(sku);
    expect(listings.map((l) => d2.byChannel.find((x) => x.accountId === l.shop.accountId)?.sellable)).toEqual([0, 36, 0]);
    expect(listings.map((l) => onPlatform(l))).toEqual([0, 36, 0]);

    const allocation = await s.api<{ accounts: { accountId: string; accountName: string; ratioPct: number; safetyStock: number; syncEnabled: boolean }[]; exclusive: { sku: string; accountId: string }[] }>('GET', '/api/stock-allocation');
    expect(allocation.body.accounts).toContainEqual(expect.objectContaining({ accountId: a.accountId, ratioPct: 50, safetyStock: 6, syncEnabled: true }));
    expect(allocation.body.exclusive).toContainEqual({ sku, accountId: b.accountId });
    // Every shop is listed, by name and platform; one never set shows the defaults.
    expect(allocation.body.accounts.map((x) => x.accountId)).toEqual(expect.arrayContaining(shops.map((x) => x.accountId)));
    expect(allocation.body.accounts).toContainEqual(expect.objectContaining({ accountId: c.accountId, platform: c.platform, active: true, ratioPct: 100, safetyStock: 0, syncEnabled: true, updatedAt: null }));
    expect(allocation.body.accounts.every((x) => typeof x.accountName === 'string' && x.accountName.length > 0)).toBe(true);
    const audit = await s.api<{ items: { action: string; targetId: string }[] }>('GET', '/api/audit?limit=20');
    expect(audit.body.items.map((x) => x.action)).toEqual(expect.arrayContaining(['stock.allocation', 'stock.exclusive']));

    // Back to normal for the other tests.
    await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 100, safetyStock: 0, syncEnabled: true });
  }, 30_000);

  it('a fixed quantity is written as set but never above what is free', async () => {
    const sku = uniq('SS-FX');
    const [a] = shops;
    if (!a) throw new Error('no shop');
    const listings = await listEverywhere(sku, { fixed: { [a.accountId]: 3 } });
    await setStock(s, sku, 10, 'WH1');
    await platformsShow(listings, [3, 10, 10], 'the fixed quantity');
    await setStock(s, sku, 2, 'WH1');
    await platformsShow(listings, [2, 2, 2], 'fixed, but only 2 free');
  }, 30_000);

  it('refuses bad settings with a clear error and changes nothing', async () => {
    const [a] = shops;
    if (!a) throw new Error('no shop');
    const before = (await s.api<{ accounts: unknown[] }>('GET', '/api/stock-allocation')).body;
    expect((await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 101, safetyStock: 0, syncEnabled: true })).status).toBe(400);
    expect((await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 50, safetyStock: -1, syncEnabled: true })).status).toBe(400);
    expect((await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: '50', safetyStock: 0, syncEnabled: true })).status).toBe(400);
    const missing = await s.api<{ error: { code: string } }>('PUT', '/api/stock-allocation/no-such-account', { ratioPct: 50, safetyStock: 0, syncEnabled: true });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ACCOUNT_NOT_FOUND');
    const unknownSku = await s.api<{ error: { code: string } }>('PUT', `/api/stock/${uniq('NOPE')}/exclusive`, { accountId: a.accountId });
    expect(unknownSku.status).toBe(404);
    expect((await s.api('GET', '/api/stock-allocation')).body).toEqual(before);
  });

  interface SkuListing {
    id: number;
    accountId: string;
    accountName: string;
    platform: string;
    fixedQuantity: number | null;
    capQuantity: number | null;
    offered: number | null;
  }
  const skuListings = async (sku: string, token?: string) => {
    const r = token
      ? await fetch(`${s.url}/api/listings?sku=${sku}`, { headers: { authorization: `Bearer ${token}` } }).then(async (x) => ({ status: x.status, body: (await x.json()) as { items: SkuListing[] } }))
      : await s.api<{ items: SkuListing[] }>('GET', `/api/listings?sku=${sku}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.items;
  };

  it('a listing’s fixed quantity and cap set over the API are pushed, and GET /api/listings?sku= shows them with what each listing is offered', async () => {
    const sku = uniq('SS-OV');
    const [a, b] = shops;
    if (!a || !b) throw new Error('two shops expected');
    const listings = await listEverywhere(sku);
    await setStock(s, sku, 20, 'WH1');
    await platformsShow(listings, 20, 'every shop offers all 20');
    const [la, lb] = listings as [(typeof listings)[number], (typeof listings)[number]];
    const cap = await s.api('PUT', `/api/channel-accounts/${a.accountId}/listings/${la.listingId}/overrides`, { fixedQuantity: null, capQuantity: 6 });
    expect(cap.status, JSON.stringify(cap.body)).toBe(200);
    expect(cap.body).toEqual({ listingId: la.listingId, fixedQuantity: null, capQuantity: 6 });
    const fixed = await s.api('PUT', `/api/channel-accounts/${b.accountId}/listings/${lb.listingId}/overrides`, { fixedQuantity: 25, capQuantity: null });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    // The fixed 25 is more than the 20 free: 20.
    await platformsShow(listings, [6, 20, ...listings.slice(2).map(() => 20)], 'the cap of 6 on the first shop');
    const items = await skuListings(sku);
    expect(items.map((l) => [l.id, l.fixedQuantity, l.capQuantity, l.offered])).toEqual(
      expect.arrayContaining([
        [la.listingId, null, 6, 6],
        [lb.listingId, 25, null, 20],
      ]),
    );
    expect(items.find((l) => l.id === la.listingId)).toMatchObject({ accountId: a.accountId, platform: a.platform });
    // byChannel is the shop's share (a listing's override is that listing's alone).
    expect((await detail(sku)).byChannel.find((c) => c.accountId === a.accountId)?.sellable).toBe(20);
    const audit = await s.api<{ items: { action: string; targetId: string }[] }>('GET', '/api/audit?limit=20');
    expect(audit.body.items.filter((x) => x.action === 'listing.overrides').map((x) => x.targetId)).toEqual(expect.arrayContaining([a.accountId, b.accountId]));
    // Taken away: the shop's share again.
    expect((await s.api('PUT', `/api/channel-accounts/${a.accountId}/listings/${la.listingId}/overrides`, { fixedQuantity: null, capQuantity: null })).status).toBe(200);
    await platformsShow([la], 20, 'the cap taken away');
  }, 30_000);

  it('refuses bad listing overrides with a clear error and writes nothing; a shop-scoped person cannot reach another shop’s listing', async () => {
    const sku = uniq('SS-OVX');
    const [a, b] = shops;
    if (!a || !b) throw new Error('two shops expected');
    const listings = await listEverywhere(sku);
    const la = listings[0] as (typeof listings)[number];
    const lb = listings[1] as (typeof listings)[number];
    const path = `/api/channel-accounts/${a.accountId}/listings/${la.listingId}/overrides`;
    const before = await skuListings(sku);
    for (const body of [
      { fixedQuantity: -1, capQuantity: null },
      { fixedQuantity: null, capQuantity: 1.5 },
      { fixedQuantity: '3', capQuantity: null },
      { fixedQuantity: null, capQuantity: 2_000_000_000 },
      { fixedQuantity: null },
      { fixedQuantity: null, capQuantity: null, ratioPct: 50 },
    ]) {
      const r = await s.api<{ error: { code: string } }>('PUT', path, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
    }
    // The listing of another shop, under this shop's path: not found.
    const wrong = await s.api<{ error: { code: string } }>('PUT', `/api/channel-accounts/${a.accountId}/listings/${lb.listingId}/overrides`, { fixedQuantity: 1, capQuantity: null });
    expect(wrong.status).toBe(404);
    expect(wrong.body.error.code).toBe('LISTING_NOT_FOUND');
    const noShop = await s.api<{ error: { code: string } }>('PUT', `/api/channel-accounts/no-such-shop/listings/${la.listingId}/overrides`, { fixedQuantity: 1, capQuantity: null });
    expect(noShop.status).toBe(404);
    // A person who sees only the first shop: the second shop's listing does not exist for them, and its list leaves it out.
    const role = await s.api('PUT', '/api/roles/alloc_probe', { description: 'stock allocation probe', permissions: ['stock.read', 'stock.adjust'] });
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    const name = uniq('alloc-shop').toLowerCase();
    const u = await s.api<{ id: string }>('POST', '/api/users', { username: name, password: 'correct horse battery', roles: ['alloc_probe'], scope: { accounts: [a.accountId], provinces: null, warehouses: null } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const token = (await s.api<{ token: string }>('POST', '/api/tokens', { name: `${name} token`, userId: u.body.id })).body.token;
    const scoped = await fetch(`${s.url}/api/channel-accounts/${b.accountId}/listings/${lb.listingId}/overrides`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fixedQuantity: 1, capQuantity: null }),
    });
    expect(scoped.status).toBe(404);
    expect((await skuListings(sku, token)).map((l) => l.accountId)).toEqual([a.accountId]);
    expect(await skuListings(sku)).toEqual(before);
  }, 30_000);

  it('a shop whose sync is off is not written to, and byChannel says null', async () => {
    const sku = uniq('SS-OFF');
    const [a] = shops;
    if (!a) throw new Error('no shop');
    const listings = await listEverywhere(sku);
    expect((await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 100, safetyStock: 0, syncEnabled: false })).status).toBe(200);
    try {
      await setStock(s, sku, 9, 'WH1');
      await platformsShow(listings.slice(1), 9, 'the other shops show 9');
      const first = listings[0] as (typeof listings)[number];
      expect(await listingState(s, first.listingId)).toMatchObject({ syncedQuantity: null, syncDueAt: null });
      expect((await detail(sku)).byChannel.find((c) => c.accountId === a.accountId)?.sellable).toBeNull();
    } finally {
      await s.api('PUT', `/api/stock-allocation/${a.accountId}`, { ratioPct: 100, safetyStock: 0, syncEnabled: true });
    }
  });

  it('offers a bundle (组合装) what its components make, following the scarcest one when a component moves', async () => {
    const a = uniq('SS-BA');
    const b = uniq('SS-BB');
    const bundle = uniq('SS-BUNDLE');
    await setStock(s, a, 10, 'WH1');
    await setStock(s, b, 9, 'WH1');
    const defined = await s.api('PUT', `/api/bundles/${bundle}`, { components: [{ sku: a, quantity: 2 }, { sku: b, quantity: 1 }] });
    expect(defined.status, JSON.stringify(defined.body)).toBe(200);
    const listings = await listEverywhere(bundle);
    // Nothing marks a listing inserted behind the feed's back: a stock change of a component does.
    await setStock(s, b, 8, 'WH1');
    // min(⌊10 ÷ 2⌋, ⌊8 ÷ 1⌋) = 5
    await platformsShow(listings, 5, 'every platform shows the 5 bundles the components make');
    expect((await detail(bundle)).byChannel.filter((c) => listings.some((l) => l.shop.accountId === c.accountId)).map((c) => c.sellable)).toEqual(listings.map(() => 5));
    // The scarcer component now decides: ⌊10 ÷ 2⌋ = 5 → ⌊3 ÷ 1⌋ = 3.
    await setStock(s, b, 3, 'WH1');
    await platformsShow(listings, 3, 'every platform follows the scarcest component down to 3');
  }, 30_000);
});

describe.each(allBackends)('the scheduled full push on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let shops: Shop[];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    s = await startServer(backend, {}, { stockSync: { pollMs: 20, gatherMs: 100, retryBaseMs: 50, fullPushEveryMs: 300 } });
    shops = await platformShops(s, sims, `fp-${backend.name}`);
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('repairs a listing changed on the platform behind the hub’s back', async () => {
    const sku = uniq('SS-FP');
    const placed: { shop: Shop; itemId: string; skuId: string; listingId: number }[] = [];
    for (const shop of shops) {
      const { itemId, skuId } = shop.list(sku);
      placed.push({ shop, itemId, skuId, listingId: await insertListing(s, { accountId: shop.accountId, channel: shop.platform, platformItemId: itemId, platformSkuId: skuId, sku }) });
    }
    await setStock(s, sku, 12, 'WH1');
    const show = () => Promise.resolve(placed.map((p) => p.shop.sim.catalogue?.quantityOf(p.itemId, p.skuId) ?? null));
    await eventually('every platform shows 12', show, (q) => q.every((v) => v === 12));
    // The seller types 99 in each platform's back office: the hub's stock did not change, the full push writes 12 again.
    for (const p of placed) p.shop.sim.catalogue?.setQuantity(p.itemId, p.skuId, 99);
    expect(await show()).toEqual(placed.map(() => 99));
    await eventually('the full push wrote 12 again', show, (q) => q.every((v) => v === 12));
  }, 30_000);
});
