// NUL and lone UTF-16 surrogates, numbers JSON cannot keep exactly, and query values outside their one written form are
// refused at the edge with 400 naming where, on every store — before they reach a query (PostgreSQL answered 500 for a
// NUL, even at sign-in) or are stored altered (a lone surrogate became U+FFFD).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';

interface ErrorAnswer {
  error?: { code: string; message: string; details?: { errors?: { path: string; message: string }[] } };
}

describe.each(httpBackends)('text and numbers at the edge on $name', (backend) => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer(backend);
  });
  afterAll(async () => {
    await s?.close();
  });

  /** Sends the JSON text as written (JSON.stringify would escape differently on each side). */
  const send = async (method: string, path: string, text?: string, auth = true) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { ...(auth ? { authorization: `Bearer ${s.token}` } : {}), ...(text !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(text !== undefined ? { body: text } : {}),
    });
    const body = await res.text();
    return { status: res.status, body: (body ? JSON.parse(body) : null) as ErrorAnswer };
  };
  const refusedAt = (r: { status: number; body: ErrorAnswer }, path: string) => {
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    expect(r.body.error?.details?.errors?.[0]?.path).toBe(path);
  };
  const audits = async (action: string) => Number((await s.hub.db.read.get<{ c: number }>('SELECT COUNT(*) AS c FROM audit_log WHERE action = ?', [action]))?.c ?? 0);

  it('refuses a NUL in a sign-in username with 400, unauthenticated, and records nothing', async () => {
    const before = await audits('auth.sign_in_failed');
    const r = await send('POST', '/api/auth/sign-in', '{"username":"a\\u0000b","password":"whatever-it-is"}', false);
    refusedAt(r, 'body/username');
    expect(r.body.error?.message).toContain('NUL');
    expect(await audits('auth.sign_in_failed')).toBe(before);
  });

  it('refuses a lone surrogate in a username, a display name, a key or a nested string, and stores nothing altered', async () => {
    const before = await audits('auth.sign_in_failed');
    refusedAt(await send('POST', '/api/auth/sign-in', '{"username":"mallory\\ud800","password":"whatever-it-is"}', false), 'body/username');
    expect(await audits('auth.sign_in_failed')).toBe(before);
    const name = `u${randomUUID().slice(0, 8)}`;
    refusedAt(await send('POST', '/api/users', `{"username":"${name}","displayName":"\\udc00x","password":"correct horse battery","roles":["readonly"]}`), 'body/displayName');
    expect((await s.hub.db.read.get('SELECT id FROM users WHERE username = ?', [name])) ?? null).toBeNull();
    refusedAt(await send('PUT', '/api/stock/TXT-1', '{"warehouse":"WH1","onHand":1,"reason":"t","x\\u0000":1}'), 'body/x\u0000');
    refusedAt(await send('POST', '/api/stock/adjustments', '{"items":[{"sku":"TXT-1","warehouse":"WH\\ud83d","onHand":1}],"reason":"count"}'), 'body/items/0/warehouse');
    // A well-formed pair is a character like any other.
    const pair = await send('POST', '/api/orders/ORD-NONE/notes', '{"text":"\\ud83d\\ude00 顾客说谢谢"}');
    expect(pair.status).toBe(404);
  });

  it('refuses NUL and lone surrogates in the query string and the path', async () => {
    refusedAt(await send('GET', '/api/orders?q=a%00b'), 'querystring/q');
    refusedAt(await send('GET', '/api/orders?q%00=1'), 'querystring/q\u0000');
    refusedAt(await send('GET', '/api/orders/a%00b'), 'params/idOrOrderNo');
    refusedAt(await send('GET', '/api/stock/x%00'), 'params/sku');
    // Unauthenticated and on a platform hook too: nothing with a NUL reaches the account lookup.
    const hook = await fetch(`${s.url}/hooks/ownshop/acc%00unt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(hook.status).toBe(400);
    expect(((await hook.json()) as ErrorAnswer).error?.code).toBe('VALIDATION_FAILED');
  });

  it('refuses numbers that are not finite or beyond 2^53 − 1, wherever they are', async () => {
    refusedAt(await send('PUT', '/api/routing/rules', '{"rules":[{"kind":"max_parcel_weight","grams":9007199254740993}]}'), 'body/rules/0/grams');
    refusedAt(await send('POST', '/api/orders/ORD-NONE/refunds', '{"amount":1e309,"reason":"damaged"}'), 'body/amount');
    refusedAt(await send('POST', '/api/orders/ORD-NONE/refunds', '{"amount":-9007199254740992,"reason":"damaged"}'), 'body/amount');
    // The largest safe integer is kept exactly (and then judged by the route: here, no such order).
    expect((await send('POST', '/api/orders/ORD-NONE/refunds', '{"amount":9007199254740991,"reason":"damaged"}')).status).toBe(404);
  });

  it('takes a query number or boolean only in its canonical form', async () => {
    expect((await send('GET', '/api/orders?page=2&pageSize=5')).status).toBe(200);
    expect((await send('GET', '/api/stock?low=true')).status).toBe(200);
    for (const q of ['page=1e309', 'page=2.0', 'page=', 'page=02', 'page=%202', 'page=+2', 'page=0x10', 'page=9007199254740993', 'page=1&page=2', 'pageSize=Infinity']) {
      const r = await send('GET', `/api/orders?${q}`);
      expect(r.status, `${q}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    }
    for (const q of ['low=1', 'low=TRUE', 'low=yes', 'low=']) expect((await send('GET', `/api/stock?${q}`)).status, q).toBe(400);
    expect((await send('GET', '/api/raw-events/01')).status).toBe(400);
    expect((await send('GET', '/api/raw-events/1')).status).toBe(404);
  });
});
