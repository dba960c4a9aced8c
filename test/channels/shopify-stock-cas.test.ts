// Shopify stock sync (库存同步) with compare-and-set, over real HTTP on loopback against the Shopify simulator: the
// GraphQL Admin mutation inventorySetQuantities at one location, checked by the test's own reading of Shopify's
// documentation (POST /admin/api/2025-10/graphql.json, X-Shopify-Access-Token, the InventorySetQuantitiesInput of API
// 2025-10: name, reason, referenceDocumentUri, quantities[{inventoryItemId, locationId, quantity, compareQuantity}]),
// apart from the connector and the simulator. The connector alone: the level read first when the hub never wrote
// there, then only the mutation comparing against the hub's last write; a level changed behind the hub's back answered
// COMPARE_QUANTITY_STALE, read again and the hub's number written over it, the change reported; GraphQL THROTTLED and
// HTTP 429 retryable after the bucket refills; refusals refused. Then a real hub on SQLite (with and without the
// writer thread) and PostgreSQL: the stockLocationId setting checked with the shop when saved, the primary location
// read once and kept, a multi-location shop written at the chosen location only, a change behind the hub's back shown
// on the listing, a throttled write retried until it lands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends, httpBackends } from '../support/backends.ts';
import { setStock, startServer, type TestServer } from '../support/server.ts';
import { eventually, listingState } from '../support/listings.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { shopifySimulator } from '../../src/sandbox/simulators/shopify.ts';
import type { PlatformSimulator } from '../../src/sandbox/simulators/types.ts';
import { shopify } from '../../src/modules/channels/connectors/shopify/index.ts';
import type { CallContext, ChannelAdapter, ListingRef, PlatformListing } from '../../src/modules/channels/connectors/types.ts';
import type { StockWriteRecord } from '../../src/modules/channels/stock-sync-worker.ts';

// ---- the test's own reading of Shopify's documentation ---------------------------------------------------------

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function recordingFetch(out: Recorded[], inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    out.push({ method: init?.method ?? 'GET', url: String(input), headers: Object.fromEntries(new Headers(init?.headers).entries()), body: typeof init?.body === 'string' ? init.body : '' });
    return inner(input, init);
  };
}

interface GraphqlCall {
  query: string;
  variables: Record<string, unknown>;
}

/** A GraphQL Admin request as shopify.dev documents it: POST {shop}/admin/api/2025-10/graphql.json, JSON {query, variables}, the token header. */
function graphqlCall(r: Recorded, token: string): GraphqlCall {
  expect(r.method).toBe('POST');
  expect(new URL(r.url).pathname).toMatch(/\/admin\/api\/2025-10\/graphql\.json$/);
  expect(r.headers['x-shopify-access-token']).toBe(token);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { query?: unknown; variables?: unknown };
  expect(typeof body.query).toBe('string');
  expect(body.variables === undefined || (typeof body.variables === 'object' && body.variables !== null)).toBe(true);
  return { query: body.query as string, variables: (body.variables ?? {}) as Record<string, unknown> };
}

const itemGid = /^gid:\/\/shopify\/InventoryItem\/\d+$/;
const locationGid = /^gid:\/\/shopify\/Location\/\d+$/;

/** The problems of an inventorySetQuantities call against InventorySetQuantitiesInput of API 2025-10 (empty: as documented). */
function setQuantitiesProblems(c: GraphqlCall): string[] {
  const p: string[] = [];
  const decl = /mutation\b[^{(]*\(\s*\$(\w+)\s*:\s*InventorySetQuantitiesInput!\s*\)/.exec(c.query);
  if (!decl) p.push('the mutation does not declare an InventorySetQuantitiesInput! variable');
  if (!new RegExp(`inventorySetQuantities\\s*\\(\\s*input\\s*:\\s*\\$${decl?.[1] ?? 'input'}\\s*\\)`).test(c.query)) p.push('inventorySetQuantities(input: $…) is not called with it');
  if (!/userErrors\s*\{[^}]*\bcode\b/.test(c.query)) p.push('userErrors { code } is not asked for (COMPARE_QUANTITY_STALE is read from it)');
  const input = c.variables[decl?.[1] ?? 'input'] as Record<string, unknown> | undefined;
  if (!input || typeof input !== 'object') return [...p, 'no input variable'];
  for (const k of Object.keys(input)) if (!['name', 'reason', 'referenceDocumentUri', 'ignoreCompareQuantity', 'quantities'].includes(k)) p.push(`input.${k} is not a field of InventorySetQuantitiesInput`);
  if (input.name !== 'available') p.push('input.name is not "available"');
  if (input.reason !== 'correction') p.push('input.reason is not "correction"');
  if (input.ignoreCompareQuantity === true) p.push('the compare check is switched off');
  if (typeof input.referenceDocumentUri !== 'string' || !/^gid:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+$/.test(input.referenceDocumentUri)) p.push('referenceDocumentUri is not a gid://app/Entity/id');
  const qs = input.quantities;
  if (!Array.isArray(qs) || qs.length === 0) return [...p, 'no quantities'];
  for (const [i, q] of (qs as Record<string, unknown>[]).entries()) {
    for (const k of Object.keys(q)) if (!['inventoryItemId', 'locationId', 'quantity', 'compareQuantity'].includes(k)) p.push(`quantities[${i}].${k} is not a field of InventoryQuantityInput (2025-10)`);
    if (typeof q.inventoryItemId !== 'string' || !itemGid.test(q.inventoryItemId)) p.push(`quantities[${i}].inventoryItemId is not an InventoryItem gid`);
    if (typeof q.locationId !== 'string' || !locationGid.test(q.locationId)) p.push(`quantities[${i}].locationId is not a Location gid`);
    if (!Number.isSafeInteger(q.quantity) || (q.quantity as number) < 0) p.push(`quantities[${i}].quantity is not a whole number >= 0`);
    if (!Number.isSafeInteger(q.compareQuantity)) p.push(`quantities[${i}].compareQuantity is not a whole number`);
  }
  return p;
}

/** What a set call asks for: item, location, quantity and compare value. */
function setOf(c: GraphqlCall): { item: string; location: string; quantity: number; compare: number } {
  const q = ((c.variables.input as { quantities: Record<string, unknown>[] }).quantities[0] ?? {}) as { inventoryItemId: string; locationId: string; quantity: number; compareQuantity: number };
  return { item: q.inventoryItemId, location: q.locationId, quantity: q.quantity, compare: q.compareQuantity };
}

/** A level read as documented: inventoryItem(id) → inventoryLevel(locationId) → quantities(names: ["available"]). */
function levelReadOf(c: GraphqlCall): { item: unknown; location: unknown } | null {
  const item = /inventoryItem\s*\(\s*id\s*:\s*\$(\w+)\s*\)/.exec(c.query);
  const level = /inventoryLevel\s*\(\s*locationId\s*:\s*\$(\w+)\s*\)/.exec(c.query);
  if (!item || !level || !/quantities\s*\(\s*names\s*:\s*\[\s*"available"\s*\]\s*\)/.test(c.query)) return null;
  return { item: c.variables[item[1] ?? ''], location: c.variables[level[1] ?? ''] };
}

const kindOf = (c: GraphqlCall) => (/^\s*mutation\b/.test(c.query) && /inventorySetQuantities/.test(c.query) ? 'set' : levelReadOf(c) ? 'read' : /\blocation\b/.test(c.query) ? 'location' : 'other');

const primary = 70_000_000_001;
const second = 70_000_000_002;
const gidOf = (loc: number) => `gid://shopify/Location/${loc}`;

async function listingOf(sim: PlatformSimulator, code: string): Promise<ListingRef> {
  const pages = (shopify as ChannelAdapter<unknown>).pullListings?.({ credentials: sim.credentials, fetch, now: Date.now });
  if (!pages) throw new Error('no listing pull');
  const all: PlatformListing[] = [];
  for await (const p of pages) all.push(...p);
  const l = all.find((x) => x.merchantCode === code);
  if (!l) throw new Error(`no listing ${code}`);
  return { platformItemId: l.platformItemId, platformSkuId: l.platformSkuId, ref: l.ref ?? {} };
}

// ---- the connector against the simulator ----------------------------------------------------------------------

describe('Shopify inventorySetQuantities with compare-and-set, checked from Shopify’s documentation', () => {
  let sims: SimulatorServer;
  const setStock_ = (shopify as ChannelAdapter<unknown>).setStock!;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  function context(sim: PlatformSimulator, seen: Recorded[], extra: Partial<CallContext<unknown>> = {}, inner?: typeof fetch): CallContext<unknown> & { learnt: Record<string, string> } {
    const learnt: Record<string, string> = {};
    return {
      credentials: sim.credentials,
      fetch: recordingFetch(seen, inner),
      now: Date.now,
      learn: async (f) => void Object.assign(learnt, f),
      ...extra,
      learnt,
    };
  }

  it('reads the level once when it never wrote there, then writes with the documented input and the level as compareQuantity; a tampered token is refused', async () => {
    const sim = sims.mount('cas-shape', shopifySimulator, 'cas-shape');
    const token = (sim.credentials as { accessToken: string }).accessToken;
    sim.putListing!('CAS-1', { quantity: 9 });
    const listing = await listingOf(sim, 'CAS-1');
    const seen: Recorded[] = [];
    const ctx = context(sim, seen);
    const r = await setStock_(ctx, { listing, quantity: 4, expected: null, listingId: 17 });
    expect(r).toMatchObject({ already: false, status: 200, target: gidOf(primary) });
    expect(r.drift).toBeUndefined();
    expect(r.platformRef).toMatch(/^gid:\/\/shopify\/InventoryAdjustmentGroup\/\d+$/);
    const calls = seen.map((x) => graphqlCall(x, token));
    // The primary location (no setting), the level there, then the write.
    expect(calls.map(kindOf)).toEqual(['location', 'read', 'set']);
    expect(calls[0]?.query).toMatch(/\blocation\s*\{/);
    expect(levelReadOf(calls[1] as GraphqlCall)).toEqual({ item: `gid://shopify/InventoryItem/${listing.ref.inventoryItemId}`, location: gidOf(primary) });
    const set = calls[2] as GraphqlCall;
    expect(setQuantitiesProblems(set)).toEqual([]);
    expect(setOf(set)).toEqual({ item: `gid://shopify/InventoryItem/${listing.ref.inventoryItemId}`, location: gidOf(primary), quantity: 4, compare: 9 });
    expect((set.variables.input as { referenceDocumentUri: string }).referenceDocumentUri).toBe('gid://orderhub/Listing/17');
    expect(sim.levelsOf!('CAS-1')).toEqual({ [primary]: 4 });
    // The primary location is kept with the account: the next call does not ask again.
    expect(ctx.learnt.primaryLocationId).toBe(gidOf(primary));

    // The hub wrote 4 there: the next write is the mutation alone, comparing against 4.
    seen.length = 0;
    const next = context(sim, seen, { learned: ctx.learnt });
    expect(await setStock_(next, { listing, quantity: 6, expected: 4, expectedTarget: gidOf(primary) })).toMatchObject({ target: gidOf(primary), already: false });
    expect(seen.map((x) => kindOf(graphqlCall(x, token)))).toEqual(['set']);
    expect(setOf(graphqlCall(seen[0] as Recorded, token))).toMatchObject({ quantity: 6, compare: 4 });
    expect(sim.levelsOf!('CAS-1')).toEqual({ [primary]: 6 });

    // The same request with one byte of the token changed: refused, and the level stays.
    const last = seen[0] as Recorded;
    const tampered = `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
    const replay = JSON.parse(last.body) as { variables: { input: { quantities: { quantity: number; compareQuantity: number }[] } } };
    const q0 = replay.variables.input.quantities[0] as { quantity: number; compareQuantity: number };
    q0.quantity = 1;
    q0.compareQuantity = 6;
    const refused = await fetch(last.url, { method: 'POST', headers: { ...last.headers, 'x-shopify-access-token': tampered }, body: JSON.stringify(replay) });
    expect(refused.status).toBe(401);
    expect(sim.levelsOf!('CAS-1')).toEqual({ [primary]: 6 });
    // The same with the right token lands: the simulator takes what the documentation describes.
    expect((await fetch(last.url, { method: 'POST', headers: last.headers, body: JSON.stringify(replay) })).status).toBe(200);
    expect(sim.levelsOf!('CAS-1')).toEqual({ [primary]: 1 });
  });

  it('a level changed behind the hub’s back is refused as stale, read again, and the hub’s number written over it; the change is reported', async () => {
    const sim = sims.mount('cas-stale', shopifySimulator, 'cas-stale');
    const token = (sim.credentials as { accessToken: string }).accessToken;
    sim.putListing!('CAS-2', { quantity: 6 });
    const listing = await listingOf(sim, 'CAS-2');
    // A person sets 11 in Shopify's admin after the hub wrote 6.
    sim.stockAt!('CAS-2', primary, 11);
    const seen: Recorded[] = [];
    const ctx = context(sim, seen, { learned: { primaryLocationId: gidOf(primary) } });
    const r = await setStock_(ctx, { listing, quantity: 5, expected: 6, expectedTarget: gidOf(primary) });
    expect(r).toMatchObject({ already: false, target: gidOf(primary), drift: { expected: 6, found: 11 } });
    const calls = seen.map((x) => graphqlCall(x, token));
    expect(calls.map(kindOf)).toEqual(['set', 'read', 'set']);
    for (const c of calls.filter((c) => kindOf(c) === 'set')) expect(setQuantitiesProblems(c)).toEqual([]);
    expect(setOf(calls[0] as GraphqlCall)).toMatchObject({ quantity: 5, compare: 6 });
    expect(setOf(calls[2] as GraphqlCall)).toMatchObject({ quantity: 5, compare: 11 });
    expect(sim.levelsOf!('CAS-2')).toEqual({ [primary]: 5 });
    // Shopify took one set: the stale one changed nothing.
    expect(sim.stockWrites!().map((w) => [w.quantity, w.compareQuantity])).toEqual([[5, 11]]);

    // The hub's own write whose answer was lost: Shopify already shows the number; no second write, no change reported.
    seen.length = 0;
    const again = await setStock_(ctx, { listing, quantity: 5, expected: 2, expectedTarget: gidOf(primary) });
    expect(again).toMatchObject({ already: true });
    expect(again.drift).toBeUndefined();
    expect(seen.map((x) => kindOf(graphqlCall(x, token)))).toEqual(['set', 'read']);

    // A last write made at another location says nothing about this one: the level is read, nothing is reported.
    seen.length = 0;
    sim.stockAt!('CAS-2', primary, 8);
    const moved = await setStock_(ctx, { listing, quantity: 3, expected: 5, expectedTarget: gidOf(second) });
    expect(moved.drift).toBeUndefined();
    expect(seen.map((x) => kindOf(graphqlCall(x, token)))).toEqual(['read', 'set']);
    expect(sim.levelsOf!('CAS-2')).toEqual({ [primary]: 3 });
  });

  it('writes only the chosen location of a multi-location shop; an item not stocked there is refused', async () => {
    const sim = sims.mount('cas-multi', shopifySimulator, 'cas-multi');
    sim.addLocation!(second, 'Warehouse 2');
    sim.putListing!('CAS-3', { quantity: 9 });
    sim.stockAt!('CAS-3', second, 4);
    const listing = await listingOf(sim, 'CAS-3');
    const seen: Recorded[] = [];
    const ctx = context(sim, seen, { settings: { stockLocationId: String(second) } });
    expect(await setStock_(ctx, { listing, quantity: 2, expected: null })).toMatchObject({ target: gidOf(second) });
    expect(sim.levelsOf!('CAS-3')).toEqual({ [primary]: 9, [second]: 2 });
    // A location chosen: the primary is never asked for.
    expect(seen.map((x) => kindOf(graphqlCall(x, (sim.credentials as { accessToken: string }).accessToken)))).toEqual(['read', 'set']);
    expect(ctx.learnt).toEqual({});
    sim.stockAt!('CAS-3', second, null);
    await expect(setStock_(ctx, { listing, quantity: 1, expected: 2, expectedTarget: gidOf(second) })).rejects.toMatchObject({ code: 'ITEM_NOT_STOCKED_AT_LOCATION', opts: { refused: true } });
    expect(sim.levelsOf!('CAS-3')).toEqual({ [primary]: 9 });
  });

  it('a throttled call (GraphQL THROTTLED or HTTP 429) is retryable after the bucket refills; a userError or a missing item is refused', async () => {
    const sim = sims.mount('cas-limit', shopifySimulator, 'cas-limit');
    sim.putListing!('CAS-4', { quantity: 3 });
    const listing = await listingOf(sim, 'CAS-4');
    const learned = { primaryLocationId: gidOf(primary) };
    sim.throttleNext(1);
    const throttled = await setStock_(context(sim, [], { learned }), { listing, quantity: 1, expected: 3, expectedTarget: gidOf(primary) }).catch((e: unknown) => e);
    // 100 points a second restore the 10 a mutation costs: a second at the least.
    expect(throttled).toMatchObject({ code: 'THROTTLED' });
    expect((throttled as { opts: { refused?: boolean; retryAfterMs?: number } }).opts.refused).toBeFalsy();
    expect((throttled as { opts: { retryAfterMs: number } }).opts.retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(sim.levelsOf!('CAS-4')).toEqual({ [primary]: 3 });
    // Shopify's bucket refills at its restore rate: after the wait it names, calls go through again.
    await new Promise((r) => setTimeout(r, (throttled as { opts: { retryAfterMs: number } }).opts.retryAfterMs));

    // An HTTP 429 with Retry-After, as a proxy or Shopify may answer.
    let first = true;
    const limited: typeof fetch = async (input, init) => {
      if (first) {
        first = false;
        return new Response(JSON.stringify({ errors: 'Exceeded 2 calls per second for api client.' }), { status: 429, headers: { 'retry-after': '2.0', 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    const e429 = await setStock_(context(sim, [], { learned }, limited), { listing, quantity: 1, expected: 3, expectedTarget: gidOf(primary) }).catch((e: unknown) => e);
    expect(e429).toMatchObject({ code: 'THROTTLED', opts: { status: 429, retryAfterMs: 2000 } });
    expect((e429 as { opts: { refused?: boolean } }).opts.refused).toBeFalsy();

    sim.failNextStockWrite!({ status: 422, code: 'NON_MUTABLE_INVENTORY_ITEM', message: 'The specified inventory item is not allowed to be adjusted via API.' });
    await expect(setStock_(context(sim, [], { learned }), { listing, quantity: 1, expected: 3, expectedTarget: gidOf(primary) })).rejects.toMatchObject({ code: 'NON_MUTABLE_INVENTORY_ITEM', opts: { refused: true } });
    // A listing without its inventory item, and a quantity below 0: refused before any request.
    const seen: Recorded[] = [];
    await expect(setStock_(context(sim, seen, { learned }), { listing: { ...listing, ref: {} }, quantity: 1, expected: null })).rejects.toMatchObject({ code: 'LISTING_REF_MISSING', opts: { refused: true } });
    await expect(setStock_(context(sim, seen, { learned }), { listing, quantity: -1, expected: null })).rejects.toMatchObject({ code: 'QUANTITY_INVALID', opts: { refused: true } });
    expect(seen).toEqual([]);
    // A token Shopify does not know: refused.
    await expect(setStock_(context(sim, [], { credentials: { ...sim.credentials, accessToken: 'shpat_00000000000000000000000000000000' }, learned }), { listing, quantity: 1, expected: 3, expectedTarget: gidOf(primary) })).rejects.toMatchObject({ code: 'HTTP_401', opts: { refused: true } });
    expect(sim.levelsOf!('CAS-4')).toEqual({ [primary]: 3 });
    expect((await setStock_(context(sim, [], { learned }), { listing, quantity: 1, expected: 3, expectedTarget: gidOf(primary) })).already).toBe(false);
    expect(sim.levelsOf!('CAS-4')).toEqual({ [primary]: 1 });
  });
});

// ---- the hub ---------------------------------------------------------------------------------------------------

interface AccountBody {
  id: string;
  settings: Record<string, unknown>;
  learned: Record<string, string>;
  error?: { code: string; message: string };
}
interface ListingItem {
  id: number;
  merchantCode: string | null;
  sku: string | null;
  syncedQuantity: number | null;
  syncError: string | null;
  platformChange: { at: string | null; lastWritten: number; found: number; written: number } | null;
}

describe.each(allBackends)('Shopify stock sync with compare-and-set in the hub on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let shop: PlatformSimulator;
  let accountId: string;
  let token: string;
  const seen: Recorded[] = [];
  const records: StockWriteRecord[] = [];
  const run = Math.random().toString(36).slice(2, 8).toUpperCase();
  const sku = `CAS-${run}`;

  const patchSettings = (settings: unknown) => s.api<AccountBody>('PATCH', `/api/channel-accounts/${accountId}`, { settings });
  const account = async () => (await s.api<AccountBody>('GET', `/api/channel-accounts/${accountId}`)).body;
  const listing = async () => (await s.api<{ items: ListingItem[] }>('GET', `/api/channel-accounts/${accountId}/listings?limit=500`)).body.items.find((l) => l.merchantCode === sku) as ListingItem;
  const levels = () => shop.levelsOf!(sku);
  /** The GraphQL calls the hub made since `seen` was last emptied (its REST listing and order reads left out). */
  const calls = () => seen.filter((r) => new URL(r.url).pathname.endsWith('/graphql.json')).map((r) => graphqlCall(r, token));
  const sets = () => calls().filter((c) => kindOf(c) === 'set');

  beforeAll(async () => {
    sims = await startSimulatorServer();
    shop = sims.mount('shop', shopifySimulator, `cas-hub-${backend.name}`);
    token = (shop.credentials as { accessToken: string }).accessToken;
    shop.addLocation!(second, 'Warehouse 2');
    shop.addLocation!(70_000_000_003, 'Closed store', false);
    s = await startServer(backend, {}, { fetch: recordingFetch(seen), stockSync: { pollMs: 20, gatherMs: 100, retryBaseMs: 50, fullPushEveryMs: 3_600_000, onWrite: (r) => records.push(r) } });
    await setStock(s, sku, 9, 'WH1');
    shop.putListing!(sku, { title: 'Compare-and-set mug', quantity: 9 });
    shop.stockAt!(sku, second, 4);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify CAS', credentials: shop.credentials });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    accountId = a.body.id;
    const asked = Date.now() - 5;
    expect((await s.api('POST', `/api/channel-accounts/${accountId}/listings/pull`)).status).toBe(202);
    await eventually(
      'the listing pull finished',
      async () => (await s.api<{ lastPull: { startedAt: string | null; finishedAt: string | null } | null }>('GET', `/api/channel-accounts/${accountId}/listings/pull`)).body.lastPull,
      (p) => Boolean(p?.finishedAt && Date.parse(p.startedAt ?? '') >= asked),
    );
    expect(await listing()).toMatchObject({ sku });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('refuses a stock location that is not an active location of the shop, keeps nothing of it, and says so when the shop cannot be asked', { timeout: 60_000 }, async () => {
    const platforms = await s.api<{ items: { platform: string; settingFields: { name: string }[] }[] }>('GET', '/api/platforms');
    expect(platforms.body.items.find((p) => p.platform === 'shopify')?.settingFields.map((f) => f.name)).toEqual(['stockLocationId']);
    expect(platforms.body.items.find((p) => p.platform === 'taobao')?.settingFields).toEqual([]);

    const notHers = await patchSettings({ stockLocationId: 'gid://shopify/Location/70000000999' });
    expect(notHers.status).toBe(400);
    expect(notHers.body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(notHers.body.error?.message).toMatch(/not a location of this shop/);
    const closed = await patchSettings({ stockLocationId: '70000000003' });
    expect(closed.status).toBe(400);
    expect(closed.body.error?.message).toMatch(/deactivated/);
    expect((await patchSettings({ stockLocationId: 'warehouse two' })).body.error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await patchSettings({ stockLocationId: 70000000002 })).status).toBe(400);
    const unknown = await patchSettings({ stockLocation: String(second) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toMatch(/not a setting of Shopify/);
    expect((await patchSettings('gid://shopify/Location/1')).status).toBe(400);
    // The shop cannot be asked now (throttled): 503, try again; nothing kept.
    shop.throttleNext(1);
    const busy = await patchSettings({ stockLocationId: gidOf(second) });
    expect(busy.status).toBe(503);
    expect(busy.body.error?.code).toBe('PLATFORM_UNAVAILABLE');
    expect((await account()).settings).toEqual({});
    // Another organisation's view of this account: it does not exist.
    expect((await s.api('PATCH', '/api/channel-accounts/no-such-account', { settings: { stockLocationId: gidOf(second) } })).status).toBe(404);
  });

  it('writes the sellable number to the primary location (read once and kept), comparing against what it last wrote there; the other location is left alone', { timeout: 60_000 }, async () => {
    const l = await listing();
    await setStock(s, sku, 7, 'WH1');
    await eventually('the primary location shows 7', async () => levels(), (v) => v[primary] === 7);
    expect(levels()).toEqual({ [primary]: 7, [second]: 4 });
    expect((await account()).learned).toMatchObject({ primaryLocationId: gidOf(primary), primaryLocationName: 'Shop location' });
    await eventually('the listing records 7', () => listingState(s, l.id), (x) => x.syncedQuantity === 7 && x.claimedBy === null);
    const row = await s.hub.db.read.get<{ synced_target: string }>('SELECT synced_target FROM listings WHERE id = ?', [l.id]);
    expect(row?.synced_target).toBe(gidOf(primary));
    // Never written there before: the level read (9) was the compare value.
    expect(sets().map(setOf).at(-1)).toMatchObject({ location: gidOf(primary), quantity: 7, compare: 9 });
    for (const c of sets()) expect(setQuantitiesProblems(c)).toEqual([]);

    seen.length = 0;
    await setStock(s, sku, 5, 'WH1');
    await eventually('the primary location shows 5', async () => levels(), (v) => v[primary] === 5);
    // The primary location is not asked for again, nor the level read: one call, comparing against the 7 it wrote.
    await eventually('the write is recorded', () => listingState(s, l.id), (x) => x.syncedQuantity === 5 && x.claimedBy === null);
    expect(calls().map(kindOf)).toEqual(['set']);
    expect(setOf(sets()[0] as GraphqlCall)).toMatchObject({ quantity: 5, compare: 7 });
    expect(levels()[second]).toBe(4);
    expect((await listing()).platformChange).toBeNull();
  });

  it('a level changed on Shopify behind the hub’s back is noticed and shown on the listing, and the hub’s number written over it', { timeout: 60_000 }, async () => {
    const l = await listing();
    shop.stockAt!(sku, primary, 12);
    seen.length = 0;
    await setStock(s, sku, 3, 'WH1');
    await eventually('the primary location shows 3', async () => levels(), (v) => v[primary] === 3);
    const shown = await eventually('the change is on the listing', listing, (x) => x.platformChange !== null && x.syncedQuantity === 3);
    expect(shown).toMatchObject({ syncError: null, platformChange: { lastWritten: 5, found: 12, written: 3 } });
    expect(Date.parse(shown.platformChange?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(calls().map(kindOf)).toEqual(['set', 'read', 'set']);
    expect(sets().map((c) => [setOf(c).quantity, setOf(c).compare])).toEqual([
      [3, 5],
      [3, 12],
    ]);
    expect((await listingState(s, l.id)).syncErrorCode).toBeNull();
  });

  it('a location chosen in the settings: every listing is written there at once, and only there', { timeout: 60_000 }, async () => {
    const l = await listing();
    const before = l.platformChange;
    seen.length = 0;
    const saved = await patchSettings({ stockLocationId: gidOf(second) });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.settings).toEqual({ stockLocationId: gidOf(second) });
    // Nothing changed in the stock: the new location gets the hub's number because the setting moved.
    await eventually('Warehouse 2 shows 3', async () => levels(), (v) => v[second] === 3);
    expect(levels()[primary]).toBe(3);
    // The last write went elsewhere: the level at Warehouse 2 (4) was read and compared, no change reported.
    expect(sets().map(setOf).at(-1)).toMatchObject({ location: gidOf(second), quantity: 3, compare: 4 });
    await eventually('the write is recorded', () => listingState(s, l.id), (x) => x.claimedBy === null && x.syncDueAt === null);
    expect((await listing()).platformChange).toEqual(before);

    await setStock(s, sku, 2, 'WH1');
    await eventually('Warehouse 2 shows 2', async () => levels(), (v) => v[second] === 2);
    expect(levels()[primary]).toBe(3);
    expect(new Set(sets().map((c) => setOf(c).location))).toEqual(new Set([gidOf(second)]));
    // Removing the setting: back to the primary location.
    expect((await patchSettings({ stockLocationId: null })).body.settings).toEqual({});
    await eventually('the primary location shows 2', async () => levels(), (v) => v[primary] === 2);
  });

  it('a throttled write is retried after the bucket refills and lands; a refusal is shown on the listing', { timeout: 60_000 }, async () => {
    const l = await listing();
    // The last test's write may still be recording on a busy machine: start from a listing that owes nothing.
    await eventually('nothing owed', () => listingState(s, l.id), (x) => x.syncDueAt === null && x.claimedBy === null);
    const from = records.length;
    shop.throttleNext(1);
    await setStock(s, sku, 6, 'WH1');
    await eventually('the primary location shows 6', async () => levels(), (v) => v[primary] === 6, 30_000);
    // The throttled attempt, then a write that lands: on a busy machine another write of the listing may come first
    // (the one that owes nothing yet took the throttle), so the pair is looked for, not the whole sequence.
    const retried = (m: StockWriteRecord[]) => {
      const i = m.findIndex((r) => r.outcome === 'retry');
      const landed = i < 0 ? undefined : m.slice(i + 1).find((r) => r.outcome === 'done');
      return i < 0 || !landed ? null : { retry: m[i] as StockWriteRecord, landed };
    };
    const mine = await eventually('the write is recorded after its retry', async () => records.slice(from).filter((r) => r.listingId === l.id), (m) => retried(m) !== null);
    const pair = retried(mine);
    // Not before the bucket had refilled: Shopify's restore rate makes a second at the least.
    expect((pair?.landed.computedAt ?? 0) - (pair?.retry.doneAt ?? 0)).toBeGreaterThanOrEqual(900);
    expect(shop.stats.throttled).toBeGreaterThanOrEqual(1);
    await eventually('the listing is clear', () => listingState(s, l.id), (x) => x.syncedQuantity === 6 && x.syncAttempts === 0 && x.syncError === null);

    shop.failNextStockWrite!({ status: 422, code: 'NON_MUTABLE_INVENTORY_ITEM', message: 'The specified inventory item is not allowed to be adjusted via API.' });
    await setStock(s, sku, 4, 'WH1');
    const refused = await eventually('the refusal is on the listing', () => listingState(s, l.id), (x) => x.syncErrorCode === 'NON_MUTABLE_INVENTORY_ITEM');
    expect(refused.syncError).toMatch(/not allowed to be adjusted/);
    expect(levels()[primary]).toBe(6);
  });
});

// Where `orderhub serve` runs writes — the SQLite writer thread — the settings check and the stock sync worker run in
// that thread (its own fetch, no test hooks): the same outcomes, seen from the shop.
describe('Shopify stock location and compare-and-set with the SQLite writer thread', () => {
  const backend = httpBackends.find((b) => b.writerThread) as (typeof httpBackends)[number];
  let s: TestServer;
  let sims: SimulatorServer;
  let shop: PlatformSimulator;
  let accountId: string;
  const sku = `CASW-${Math.random().toString(36).slice(2, 8).toUpperCase()}`;

  beforeAll(async () => {
    sims = await startSimulatorServer();
    shop = sims.mount('shop', shopifySimulator, 'cas-writer');
    shop.addLocation!(second, 'Warehouse 2');
    s = await startServer(backend, {}, { stockSync: { pollMs: 20, gatherMs: 100, retryBaseMs: 50, fullPushEveryMs: 3_600_000 } });
    await setStock(s, sku, 9, 'WH1');
    shop.putListing!(sku, { quantity: 9 });
    shop.stockAt!(sku, second, 4);
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'shopify', name: 'Shopify CAS', credentials: shop.credentials });
    accountId = a.body.id;
    const asked = Date.now() - 5;
    expect((await s.api('POST', `/api/channel-accounts/${accountId}/listings/pull`)).status).toBe(202);
    await eventually(
      'the listing pull finished',
      async () => (await s.api<{ lastPull: { startedAt: string | null; finishedAt: string | null } | null }>('GET', `/api/channel-accounts/${accountId}/listings/pull`)).body.lastPull,
      (p) => Boolean(p?.finishedAt && Date.parse(p.startedAt ?? '') >= asked),
    );
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('checks the location with the shop, writes only there, and notices a change behind the hub’s back', { timeout: 60_000 }, async () => {
    const bad = await s.api<AccountBody>('PATCH', `/api/channel-accounts/${accountId}`, { settings: { stockLocationId: '70000000999' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/not a location of this shop/);
    const ok = await s.api<AccountBody>('PATCH', `/api/channel-accounts/${accountId}`, { settings: { stockLocationId: String(second) } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    // The setting moved the listing: the hub's 9 goes to Warehouse 2 (whenever the listing's first match lands).
    await eventually('Warehouse 2 shows 9', async () => shop.levelsOf!(sku), (v) => v[second] === 9);
    const from = shop.stockWrites!().length;
    await setStock(s, sku, 6, 'WH1');
    await eventually('Warehouse 2 shows 6', async () => shop.levelsOf!(sku), (v) => v[second] === 6);
    expect(shop.levelsOf!(sku)[primary]).toBe(9);
    shop.stockAt!(sku, second, 1);
    await setStock(s, sku, 5, 'WH1');
    await eventually('Warehouse 2 shows 5', async () => shop.levelsOf!(sku), (v) => v[second] === 5);
    const l = await eventually(
      'the change is on the listing',
      async () => (await s.api<{ items: ListingItem[] }>('GET', `/api/channel-accounts/${accountId}/listings`)).body.items.find((x) => x.merchantCode === sku),
      (x) => x?.platformChange !== null && x?.platformChange !== undefined,
    );
    expect(l?.platformChange).toMatchObject({ lastWritten: 6, found: 1, written: 5 });
    expect(shop.stockWrites!().slice(from).map((w) => [w.locationId, w.quantity, w.compareQuantity])).toEqual([
      [second, 6, 9],
      [second, 5, 1],
    ]);
    // Only ever Warehouse 2 since the setting.
    expect(shop.stockWrites!().slice(from - 1).every((w) => w.locationId === second)).toBe(true);
  });
});
