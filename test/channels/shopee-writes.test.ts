// Shopee listings and stock over real HTTP on loopback: the listing pull (v2.product.get_item_list →
// get_item_base_info → get_model_list, model_sku / item_sku as merchant code, seller stock as the quantity) and the
// stock write (v2.product.update_stock with seller_stock) against the simulator, which keeps a catalogue of the SKUs
// its orders use. Every request's sign is checked by the test's own Shopee signer, written from the platform's
// formula (hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id)) apart from the
// adapter and the simulator; a tampered byte is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { shopeeSimulator, type ShopeeSimulatorHooks } from '../../src/sandbox/simulators/shopee.ts';
import type { PlatformSimulator, SimOrder } from '../../src/sandbox/simulators/types.ts';
import { shopee } from '../../src/modules/channels/connectors/shopee/index.ts';
import type { CallContext, ChannelAdapter, PlatformListing, StockWrite } from '../../src/modules/channels/connectors/types.ts';
import { ourShopeeSign } from '../support/platform-signers.ts';

const adapter = shopee as ChannelAdapter<unknown>;

function simOrder(id: string, lines: [string, number][]): SimOrder {
  const now = Date.now();
  return {
    id,
    phase: 'paid',
    createdAt: now - 120_000,
    updatedAt: now - 60_000,
    currency: 'SGD',
    lines: lines.map(([sku, quantity]) => ({ sku, title: `Item ${sku.split('-')[0] ?? sku}`, quantity, unitPrice: 1000, discount: 0 })),
    shippingFee: 0,
    discountPlatform: 0,
    discountSeller: 0,
    buyer: { id: '777', name: 'Tan', phone: '6591234567' },
    receiver: { name: 'Tan', phone: '6591234567', province: 'Singapore', city: 'Singapore', district: 'Central', address: '1 Orchard Road' },
  };
}

interface Recorded {
  url: URL;
  method: string;
  body: string;
}

function recordingFetch(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    out.push({ url: new URL(String(input)), method: init?.method ?? 'GET', body: typeof init?.body === 'string' ? init.body : '' });
    return fetch(input, init);
  };
}

/** The path below the simulator's mount point, as Shopee signs it. */
const apiPath = (u: URL) => u.pathname.slice(u.pathname.indexOf('/api/v2/'));

function expectSigned(seen: Recorded[], partnerKey: string): void {
  expect(seen.length).toBeGreaterThan(0);
  for (const x of seen) expect(x.url.searchParams.get('sign'), apiPath(x.url)).toBe(ourShopeeSign(partnerKey, x.url.searchParams, apiPath(x.url)));
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

describe('Shopee listings and stock, checked by the test’s own signer', () => {
  let sims: SimulatorServer;
  let sim: PlatformSimulator;
  let partnerKey: string;
  let ctx: CallContext<unknown>;
  const seen: Recorded[] = [];

  beforeAll(async () => {
    sims = await startSimulatorServer();
    sim = sims.mount('shopee', shopeeSimulator, 'writes');
    partnerKey = (sim.credentials as { partnerKey: string }).partnerKey;
    ctx = { credentials: sim.credentials, fetch: recordingFetch(seen), now: Date.now };
    sim.record(simOrder('2612070001AAAA', [['SPA-RED', 1], ['SPA-BLUE', 2], ['SPB', 1]]), 'http://127.0.0.1:9/unused');
  });
  afterAll(async () => {
    await sims?.close();
  });

  const pull = async () => {
    const out: PlatformListing[] = [];
    for await (const page of adapter.pullListings!(ctx)) out.push(...page);
    return new Map(out.map((l) => [l.merchantCode, l]));
  };
  const quantityOf = (code: string) => sim.catalogueOf!().find((c) => c.code === code)?.quantity;
  const writeOf = (l: PlatformListing, quantity: number): StockWrite => ({ listing: { platformItemId: l.platformItemId, platformSkuId: l.platformSkuId, ref: l.ref ?? {} }, quantity, expected: null });

  it('pulls item and model listings with model_sku / item_sku as the merchant code and the seller stock as the quantity, every call signed', async () => {
    seen.length = 0;
    const listings = await pull();
    const cat = new Map(sim.catalogueOf!().map((c) => [c.code, c]));
    expect([...listings.keys()].sort()).toEqual(['SPA-BLUE', 'SPA-RED', 'SPB']);
    for (const code of ['SPA-RED', 'SPA-BLUE']) {
      expect(listings.get(code)).toMatchObject({ platformItemId: cat.get(code)?.itemId, platformSkuId: cat.get(code)?.skuId, merchantCode: code, quantity: 100, ref: {} });
      expect(listings.get(code)?.platformSkuId).toMatch(/^\d+$/);
    }
    // An item without variations is one listing, its item_sku the code, no model.
    expect(listings.get('SPB')).toEqual({ platformItemId: cat.get('SPB')?.itemId, platformSkuId: '', merchantCode: 'SPB', title: 'Item SPB', quantity: 100, ref: {} });
    expect(seen.map((x) => `${x.method} ${apiPath(x.url)}`)).toEqual(['GET /api/v2/product/get_item_list', 'GET /api/v2/product/get_item_base_info', 'GET /api/v2/product/get_model_list']);
    expect(seen[0]?.url.searchParams.get('item_status')).toBe('NORMAL');
    expectSigned(seen, partnerKey);

    // Changed behind the hub's back: the next pull reads it.
    sim.setCatalogueQuantity!('SPA-RED', 7);
    expect((await pull()).get('SPA-RED')?.quantity).toBe(7);
  });

  it('writes the absolute seller stock with update_stock (model_id 0 for an item without models); the next pull follows; a tampered byte is refused', async () => {
    const listings = await pull();
    const red = listings.get('SPA-RED') as PlatformListing;
    const plain = listings.get('SPB') as PlatformListing;
    seen.length = 0;
    expect(await adapter.setStock!(ctx, writeOf(red, 3))).toMatchObject({ status: 200, already: false });
    expect(seen).toHaveLength(1);
    expect(`${seen[0]?.method} ${apiPath(seen[0]!.url)}`).toBe('POST /api/v2/product/update_stock');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ item_id: Number(red.platformItemId), stock_list: [{ model_id: Number(red.platformSkuId), seller_stock: [{ stock: 3 }] }] });
    expectSigned(seen, partnerKey);
    expect(quantityOf('SPA-RED')).toBe(3);
    // The same again: the same number, not 3 more.
    await adapter.setStock!(ctx, writeOf(red, 3));
    expect(quantityOf('SPA-RED')).toBe(3);

    await adapter.setStock!(ctx, writeOf(plain, 5));
    expect(JSON.parse(seen.at(-1)?.body ?? '')).toEqual({ item_id: Number(plain.platformItemId), stock_list: [{ model_id: 0, seller_stock: [{ stock: 5 }] }] });
    expect(quantityOf('SPB')).toBe(5);
    const after = await pull();
    expect([after.get('SPA-RED')?.quantity, after.get('SPB')?.quantity]).toEqual([3, 5]);

    // The write again with one byte of its sign, then of its timestamp, changed: Shopee refuses both, nothing changes.
    const write = seen.find((x) => apiPath(x.url) === '/api/v2/product/update_stock') as Recorded;
    const tamperedBody = JSON.stringify({ item_id: Number(red.platformItemId), stock_list: [{ model_id: Number(red.platformSkuId), seller_stock: [{ stock: 90 }] }] });
    for (const name of ['sign', 'timestamp']) {
      const u = new URL(write.url);
      const v = u.searchParams.get(name) ?? '';
      u.searchParams.set(name, flip(v, v.length - 1));
      const before = sim.stats.refusedSignature;
      const res = await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json' }, body: tamperedBody });
      expect(res.status, name).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('error_sign');
      expect(sim.stats.refusedSignature).toBe(before + 1);
    }
    expect(quantityOf('SPA-RED')).toBe(3);
  });

  it('refuses what Shopee refuses (below promotion stock, an unknown item) with its reason; a rate limit is retried, not refused', async () => {
    const listings = await pull();
    const blue = listings.get('SPA-BLUE') as PlatformListing;
    (sim as ShopeeSimulatorHooks).reservePromotionStock('SPA-BLUE', 10);
    await expect(adapter.setStock!(ctx, writeOf(blue, 4))).rejects.toMatchObject({ code: 'STOCK_FAILED', message: expect.stringContaining('reserved stock of an ongoing promotion') as unknown, opts: { refused: true } });
    expect(quantityOf('SPA-BLUE')).toBe(100);
    expect(await adapter.setStock!(ctx, writeOf(blue, 12))).toMatchObject({ status: 200 });
    expect(quantityOf('SPA-BLUE')).toBe(12);

    await expect(adapter.setStock!(ctx, { listing: { platformItemId: '999', platformSkuId: '1', ref: {} }, quantity: 1, expected: null })).rejects.toMatchObject({ code: 'error_item_not_found', opts: { refused: true, status: 400 } });

    sim.throttleNext(1);
    const limited = adapter.setStock!(ctx, writeOf(blue, 11));
    await expect(limited).rejects.toMatchObject({ code: 'error_rate_limit', opts: { status: 429, retryAfterMs: 60_000 } });
    await expect(limited).rejects.not.toMatchObject({ opts: { refused: true } });
    expect(quantityOf('SPA-BLUE')).toBe(12);

    sim.throttleNext(1);
    await expect((async () => {
      for await (const page of adapter.pullListings!(ctx)) void page;
    })()).rejects.toMatchObject({ code: 'error_rate_limit', opts: { retryAfterMs: 60_000 } });

    const before = seen.length;
    await expect(adapter.setStock!(ctx, writeOf(blue, -1))).rejects.toMatchObject({ code: 'QUANTITY_INVALID', opts: { refused: true } });
    expect(seen.length).toBe(before);
  });

  it('pages get_item_list (100 a page, by next_offset) and reads base info 50 items at a time', async () => {
    const shop = sims.mount('shopee-pages', shopeeSimulator, 'pages');
    const codes = Array.from({ length: 101 }, (_, i) => `PG${String(i).padStart(3, '0')}`);
    shop.record(simOrder('2612070002BBBB', codes.map((c) => [c, 1])), 'http://127.0.0.1:9/unused');
    const calls: Recorded[] = [];
    const got: PlatformListing[] = [];
    for await (const page of adapter.pullListings!({ credentials: shop.credentials, fetch: recordingFetch(calls), now: Date.now })) got.push(...page);
    expect(got.map((l) => l.merchantCode).sort()).toEqual(codes);
    expect(calls.filter((x) => apiPath(x.url) === '/api/v2/product/get_item_list').map((x) => x.url.searchParams.get('offset'))).toEqual(['0', '100']);
    expect(calls.filter((x) => apiPath(x.url) === '/api/v2/product/get_item_base_info').map((x) => x.url.searchParams.get('item_id_list')?.split(',').length)).toEqual([50, 50, 1]);
    expectSigned(calls, (shop.credentials as { partnerKey: string }).partnerKey);
  });
});
