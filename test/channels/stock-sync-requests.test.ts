// The stock sync's platform requests, checked by the tests' own signers (written from each platform's documented rule,
// apart from the connectors and the simulators): Taobao's taobao.item.quantity.update (TOP MD5, HMAC-MD5,
// HMAC-SHA256), Pinduoduo's pdd.goods.quantity.update (MD5) and JD's jingdong.stock.write.updateSkuStock (MD5 over
// the sorted parameters with 360buy_param_json). A correct call is accepted and changes the listing; the same call
// with one byte of its sign changed is refused. The listing pulls read the catalogue with merchant codes and quantities.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import { pinduoduoSimulator } from '../../src/sandbox/simulators/pinduoduo.ts';
import { jdSimulator } from '../../src/sandbox/simulators/jd.ts';
import type { PlatformSimulator, SimulatorFactory } from '../../src/sandbox/simulators/types.ts';
import { taobao } from '../../src/modules/channels/connectors/taobao/index.ts';
import { pinduoduo } from '../../src/modules/channels/connectors/pinduoduo/index.ts';
import { jd } from '../../src/modules/channels/connectors/jd/index.ts';
import { PlatformWriteError, type ChannelAdapter, type PlatformListing } from '../../src/modules/channels/connectors/types.ts';

interface Recorded {
  url: string;
  /** Every parameter the request carries: the query and the form or JSON body. */
  params: Record<string, string>;
  /** Where the body went (form or JSON) and which keys were in the query, to send a tampered copy. */
  json: boolean;
  queryKeys: string[];
}

function record(out: Recorded[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? init.body : '';
    const json = body.startsWith('{');
    const fromBody = json ? Object.fromEntries(Object.entries(JSON.parse(body) as Record<string, unknown>).map(([k, v]) => [k, String(v)])) : Object.fromEntries(new URLSearchParams(body));
    out.push({ url: `${url.origin}${url.pathname}`, params: { ...Object.fromEntries(url.searchParams), ...fromBody }, json, queryKeys: [...url.searchParams.keys()] });
    return fetch(input, init);
  };
}

// ---- the tests' own signers ---------------------------------------------------------------------------------------

/** TOP: sorted k+v of every parameter but sign (empty ones left out); md5(secret+s+secret) or HMAC; upper hex. */
function topSign(p: Record<string, string>, secret: string): string {
  let s = '';
  for (const k of Object.keys(p).sort()) if (k !== 'sign' && p[k]) s += k + p[k];
  const m = p.sign_method ?? 'md5';
  const d = m === 'md5' ? createHash('md5').update(secret + s + secret).digest('hex') : createHmac(m === 'hmac' ? 'md5' : 'sha256', secret).update(s).digest('hex');
  return d.toUpperCase();
}

/** PDD: every parameter but sign, sorted, k+v, wrapped in the client secret, MD5, upper hex. */
function pddSign(p: Record<string, string>, secret: string): string {
  const s = Object.keys(p)
    .filter((k) => k !== 'sign')
    .sort()
    .map((k) => k + p[k])
    .join('');
  return createHash('md5').update(secret + s + secret).digest('hex').toUpperCase();
}

/** JOS: the same shape as TOP's MD5 rule, 360buy_param_json among the parameters, empty values left out. */
function josSign(p: Record<string, string>, secret: string): string {
  let s = secret;
  for (const k of Object.keys(p).sort()) if (k !== 'sign' && p[k] !== '') s += k + p[k];
  return createHash('md5').update(s + secret).digest('hex').toUpperCase();
}

const flip = (t: string, i: number) => t.slice(0, i) + String.fromCharCode(t.charCodeAt(i) ^ 1) + t.slice(i + 1);

interface Case {
  name: string;
  factory: SimulatorFactory;
  adapter: ChannelAdapter<unknown>;
  secret: (sim: PlatformSimulator) => string;
  sign: (p: Record<string, string>, secret: string) => string;
  /** The write's method name as the request names it, and how the quantity is carried. */
  write: { method: (p: Record<string, string>) => string | undefined; name: string; quantity: (p: Record<string, string>) => number };
  /** Whether an answer says the signature was refused. */
  refusedSign: (body: unknown) => boolean;
  signMethods: readonly (string | undefined)[];
}

const cases: Case[] = [
  {
    name: 'Taobao',
    factory: taobaoSimulator,
    adapter: taobao as ChannelAdapter<unknown>,
    secret: (sim) => (sim.credentials as { appSecret: string }).appSecret,
    sign: topSign,
    write: { method: (p) => p.method, name: 'taobao.item.quantity.update', quantity: (p) => Number(p.quantity) },
    refusedSign: (b) => (b as { error_response?: { code?: number } }).error_response?.code === 25,
    signMethods: ['md5', 'hmac', 'hmac-sha256'],
  },
  {
    name: 'Pinduoduo',
    factory: pinduoduoSimulator,
    adapter: pinduoduo as ChannelAdapter<unknown>,
    secret: (sim) => (sim.credentials as { clientSecret: string }).clientSecret,
    sign: pddSign,
    write: { method: (p) => p.type, name: 'pdd.goods.quantity.update', quantity: (p) => Number(p.quantity) },
    refusedSign: (b) => (b as { error_response?: { error_code?: number } }).error_response?.error_code === 20004,
    signMethods: [undefined],
  },
  {
    name: 'JD',
    factory: jdSimulator,
    adapter: jd as ChannelAdapter<unknown>,
    secret: (sim) => (sim.credentials as { appSecret: string }).appSecret,
    sign: josSign,
    write: { method: (p) => p.method, name: 'jingdong.stock.write.updateSkuStock', quantity: (p) => Number((JSON.parse(p['360buy_param_json'] ?? '{}') as { stockNum?: number }).stockNum) },
    refusedSign: (b) => (b as { error_response?: { code?: string } }).error_response?.code === '12',
    signMethods: [undefined],
  },
];

async function collect(pages: AsyncGenerator<PlatformListing[], void, void>): Promise<PlatformListing[]> {
  const out: PlatformListing[] = [];
  for await (const p of pages) out.push(...p);
  return out;
}

describe.each(cases)('$name stock writes and listing pull, checked by the tests’ own signer', (c) => {
  let sims: SimulatorServer;
  beforeAll(async () => {
    sims = await startSimulatorServer();
  });
  afterAll(async () => {
    await sims?.close();
  });

  it.each(c.signMethods)('writes the full quantity, signed (%s); a tampered byte is refused and changes nothing', async (signMethod) => {
    const sim = sims.mount(`w-${signMethod ?? 'x'}`, c.factory, `w-${signMethod ?? 'x'}`);
    const credentials = signMethod ? { ...sim.credentials, signMethod } : sim.credentials;
    sim.catalogue?.add({ itemId: '610000000100', title: '保温杯', skus: [{ skuId: '610000000101', outerId: 'CUP-1', quantity: 30 }] });
    const seen: Recorded[] = [];
    const r = await c.adapter.setStock!({ credentials, fetch: record(seen), now: Date.now }, { listing: { platformItemId: '610000000100', platformSkuId: '610000000101', ref: {} }, quantity: 7, expected: 30 });
    expect(r).toMatchObject({ already: false, status: 200 });
    expect(seen).toHaveLength(1);
    const call = seen[0] as Recorded;
    expect(c.write.method(call.params)).toBe(c.write.name);
    expect(c.write.quantity(call.params)).toBe(7);
    if (signMethod) expect(call.params.sign_method).toBe(signMethod);
    expect(call.params.sign).toBe(c.sign(call.params, c.secret(sim)));
    expect(sim.catalogue?.quantityOf('610000000100', '610000000101')).toBe(7);

    // One byte of the sign changed: refused by the platform's check, the listing unchanged.
    const before = sim.stats.refusedSignature;
    const tampered: Record<string, string> = { ...call.params, sign: flip(call.params.sign ?? '', 4) };
    const query = new URLSearchParams(Object.fromEntries(call.queryKeys.map((k) => [k, tampered[k] ?? ''])));
    const bodyParams = Object.fromEntries(Object.entries(tampered).filter(([k]) => !call.queryKeys.includes(k)));
    const res = await fetch(`${call.url}${call.queryKeys.length ? `?${query.toString()}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': call.json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: call.json ? JSON.stringify(bodyParams) : new URLSearchParams(bodyParams).toString(),
    });
    expect(c.refusedSign(await res.json())).toBe(true);
    expect(sim.stats.refusedSignature).toBe(before + 1);
    expect(sim.catalogue?.writes.map((w) => w.quantity)).toEqual([7]);

    // The same call sent again unchanged (a resend after a lost answer) sets the same number: accepted, nothing else moves.
    const again = await fetch(`${call.url}${call.queryKeys.length ? `?${new URLSearchParams(Object.fromEntries(call.queryKeys.map((k) => [k, call.params[k] ?? '']))).toString()}` : ''}`, {
      method: 'POST',
      headers: { 'content-type': call.json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: call.json
        ? JSON.stringify(Object.fromEntries(Object.entries(call.params).filter(([k]) => !call.queryKeys.includes(k))))
        : new URLSearchParams(Object.fromEntries(Object.entries(call.params).filter(([k]) => !call.queryKeys.includes(k)))).toString(),
    });
    expect(c.refusedSign(await again.json())).toBe(false);
    expect(sim.catalogue?.quantityOf('610000000100', '610000000101')).toBe(7);
  });

  it('pulls the shop’s listings with merchant codes and quantities, every request signed', async () => {
    const sim = sims.mount('pull', c.factory, 'pull');
    sim.catalogue?.add({ itemId: '620000000100', title: '保温杯', skus: [{ skuId: '620000000101', outerId: 'CUP-RED', quantity: 3 }, { skuId: '620000000102', outerId: 'CUP-BLUE', quantity: 5 }] });
    sim.catalogue?.add({ itemId: '620000000200', title: '茶叶', skus: [{ skuId: '620000000201', outerId: null, quantity: 9 }] });
    const seen: Recorded[] = [];
    const listings = await collect(c.adapter.pullListings!({ credentials: sim.credentials, fetch: record(seen), now: Date.now }));
    expect(listings.map((l) => [l.platformItemId, l.platformSkuId, l.merchantCode, l.quantity]).sort()).toEqual(
      [
        ['620000000100', '620000000101', 'CUP-RED', 3],
        ['620000000100', '620000000102', 'CUP-BLUE', 5],
        ['620000000200', '620000000201', null, 9],
      ].sort(),
    );
    expect(seen.length).toBeGreaterThan(0);
    for (const x of seen) expect(x.params.sign).toBe(c.sign(x.params, c.secret(sim)));
  });

  it('maps a refusal (kept, with the platform’s words) and a call limit (retried)', async () => {
    const sim = sims.mount('err', c.factory, 'err');
    sim.catalogue?.add({ itemId: '630000000100', title: '保温杯', skus: [{ skuId: '630000000101', outerId: 'CUP-1', quantity: 30 }] });
    const write = () => c.adapter.setStock!({ credentials: sim.credentials, fetch, now: Date.now }, { listing: { platformItemId: '630000000100', platformSkuId: '630000000101', ref: {} }, quantity: 2, expected: null });
    sim.catalogue?.refuseNextWrite('goods_locked', '活动中的商品不能减库存');
    await expect(write()).rejects.toMatchObject({ message: expect.stringContaining('活动中的商品不能减库存') as unknown, opts: { refused: true } });
    expect(sim.catalogue?.quantityOf('630000000100', '630000000101')).toBe(30);
    sim.throttleNext(1);
    const limited = await write().then(
      () => null,
      (e: unknown) => e as PlatformWriteError,
    );
    expect(limited).toBeInstanceOf(PlatformWriteError);
    expect(limited?.opts.refused ?? false).toBe(false);
    expect(limited?.opts.retryAfterMs).toBeGreaterThan(0);
    expect(await write()).toMatchObject({ status: 200 });
    expect(sim.catalogue?.quantityOf('630000000100', '630000000101')).toBe(2);
  });
});
