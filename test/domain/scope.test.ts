// The data-scope policy's pure half: reading a scope strictly, widening, and contains() failing closed.
import { describe, expect, it } from 'vitest';
import { closedScope, contains, isWithin, parseScope, readStoredScope, unlimitedScope, type DataScope } from '../../src/kernel/scope.ts';
import { HubError } from '../../src/kernel/errors.ts';

const refusal = (input: unknown): { code: string; message: string; path: unknown } => {
  try {
    parseScope(input);
  } catch (e) {
    if (e instanceof HubError) return { code: e.code, message: e.message, path: (e.details as { path?: unknown } | undefined)?.path };
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
};

describe('parseScope', () => {
  it('reads absent and null dimensions as no limit, lists trimmed and sorted, an empty list as nothing', () => {
    expect(parseScope({})).toEqual(unlimitedScope);
    expect(parseScope({ accounts: null, provinces: [' 浙江省', '广东省 '] })).toEqual({ accounts: null, warehouses: null, provinces: ['广东省', '浙江省'] });
    expect(parseScope({ warehouses: [] })).toEqual({ accounts: null, warehouses: [], provinces: null });
  });

  it('refuses a misspelt key, naming it, instead of dropping it', () => {
    expect(refusal({ province: ['浙江省'] })).toMatchObject({ code: 'VALIDATION_FAILED', path: 'scope.province' });
    expect(refusal({ provinces: ['浙江省'], __proto__x: 1 })).toMatchObject({ path: 'scope.__proto__x' });
    expect(refusal(JSON.parse('{"__proto__": {"accounts": null}}'))).toMatchObject({ path: 'scope.__proto__' });
  });

  it('refuses what coercion would have read as "no limit": "", 0, false, a bare list, a string for a list', () => {
    for (const bad of ['', 0, false, true, 'null', [], ['浙江省'], null, undefined]) expect(refusal(bad).path, JSON.stringify(bad)).toBe('scope');
    for (const bad of ['', 0, false, 'A', { a: 1 }]) expect(refusal({ accounts: bad }).path, JSON.stringify(bad)).toBe('scope.accounts');
  });

  it('refuses empty, non-string, over-long and repeated entries, naming the entry', () => {
    expect(refusal({ accounts: ['A', ''] }).path).toBe('scope.accounts[1]');
    expect(refusal({ accounts: ['  '] }).path).toBe('scope.accounts[0]');
    expect(refusal({ warehouses: [1] }).path).toBe('scope.warehouses[0]');
    expect(refusal({ warehouses: ['x'.repeat(65)] }).path).toBe('scope.warehouses[0]');
    expect(refusal({ provinces: ['浙江省', ' 浙江省'] })).toMatchObject({ path: 'scope.provinces[1]', message: expect.stringContaining('twice') });
    expect(refusal({ provinces: Array.from({ length: 101 }, (_, i) => `p${i}`) }).path).toBe('scope.provinces');
  });
});

describe('a stored scope', () => {
  it('that does not read as a scope closes everything instead of opening it', () => {
    expect(readStoredScope('{"province":["浙江省"]}')).toEqual(closedScope);
    expect(readStoredScope('""')).toEqual(closedScope);
    expect(readStoredScope('not json')).toEqual(closedScope);
    expect(readStoredScope('{"accounts":["A"],"warehouses":null,"provinces":null}')).toEqual({ accounts: ['A'], warehouses: null, provinces: null });
  });
});

describe('isWithin', () => {
  const zj: DataScope = { accounts: null, warehouses: null, provinces: ['浙江省'] };
  it('lets a scope give only what it has', () => {
    expect(isWithin(unlimitedScope, unlimitedScope)).toBe(true);
    expect(isWithin(zj, unlimitedScope)).toBe(true);
    expect(isWithin(unlimitedScope, zj)).toBe(false);
    expect(isWithin({ ...zj, provinces: ['广东省'] }, zj)).toBe(false);
    expect(isWithin({ ...zj, accounts: ['A'] }, zj)).toBe(true);
    expect(isWithin({ ...zj, provinces: [] }, zj)).toBe(true);
  });
});

describe('contains', () => {
  const shopA: DataScope = { accounts: ['A'], warehouses: null, provinces: null };
  const wh1: DataScope = { accounts: null, warehouses: ['WH1'], provinces: null };
  it('needs the facts of every limited dimension to meet the scope', () => {
    expect(contains(shopA, 'order', { accounts: ['A'], provinces: ['浙江省'], warehouses: [] })).toBe(true);
    expect(contains(shopA, 'order', { accounts: ['B'], provinces: ['浙江省'] })).toBe(false);
    expect(contains(wh1, 'order', { accounts: ['A'], warehouses: ['WH2', 'WH1'] })).toBe(true);
    expect(contains({ ...wh1, accounts: ['A'] }, 'order', { accounts: ['B'], warehouses: ['WH1'] })).toBe(false);
  });

  it('fails closed: no fact for a limited dimension is out of scope; an empty list admits nothing', () => {
    expect(contains(wh1, 'order', { accounts: ['A'], provinces: ['浙江省'] })).toBe(false);
    expect(contains(shopA, 'payment_exception', {})).toBe(false);
    expect(contains(unlimitedScope, 'payment_exception', {})).toBe(true);
    expect(contains({ accounts: [], warehouses: null, provinces: null }, 'order', { accounts: ['A'] })).toBe(false);
  });

  it('judges stock by its warehouse only, and a shop by the account dimension only', () => {
    expect(contains(shopA, 'stock', { warehouses: ['WH9'] })).toBe(true);
    expect(contains(wh1, 'stock', { warehouses: ['WH9'] })).toBe(false);
    expect(contains(wh1, 'channel_account', { accounts: ['B'] })).toBe(true);
    expect(contains(shopA, 'channel_account', { accounts: ['B'] })).toBe(false);
  });
});
