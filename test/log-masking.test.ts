// No log line carries personal data or a secret: a real hub logs at `trace` into a captured stream (and, in the
// production mode, `orderhub serve` with its SQLite writer thread logs to stdout), every path that logs is driven
// over real HTTP, and then every captured line is searched for the phone numbers, address, names and secrets used.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/platform/log.ts';
import { HubError } from '../src/kernel/errors.ts';
import { allBackends } from './support/backends.ts';
import { startServer } from './support/server.ts';
import { exited, spawnHub } from './support/process.ts';
import { orderBody, ownshopHeaders } from './support/sign.ts';

// Personal data in the pushed orders.
const PHONE = '13967284051';
const BUYER_PHONE = '15820937716';
const RECEIVER_NAME = '欧阳明月';
const BUYER_NAME = '司马青衫';
const ADDRESS = '长江路 88 号 5 栋 1201 室';
// Secrets.
const ADMIN_TOKEN = 'Qx7vL2k9Rt4Wm8Np3Zs6-admin';
const SHOP_SECRET = 'sHp5Gm2Xw9Kq4Tz7Vb1N';
const PASSWORD = 'Tr0ub4dor&3 horse Zq8';
const WRONG_PASSWORD = 'Tr0ub4dor&4 horse Yw2';
const WEBHOOK_SECRET = 'Wh9Kd3Lp7Qs2Xv6Nm4Bc';
const WEBHOOK_URL_PASSWORD = 'Bz4Tq8Rw2Jk6';

interface Needle {
  label: string;
  pattern: RegExp;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Any 7 digits in a row of the number (the mask 139****4051 shows 3 + 4 apart), with or without separators. */
function phoneNeedles(label: string, phone: string): Needle[] {
  const out: Needle[] = [];
  for (let i = 0; i + 7 <= phone.length; i++) {
    const part = phone.slice(i, i + 7).split('').join('[\\s\\-.·/()]{0,2}');
    out.push({ label: `${label} (digits ${i + 1}–${i + 7})`, pattern: new RegExp(`(?<!\\d)${part}|${part}(?!\\d)`) });
  }
  return out;
}

/** The value, and every run of `run` characters of it (a cut-off excerpt is still a leak). */
function textNeedles(label: string, value: string, run: number): Needle[] {
  const chars = [...value];
  const out: Needle[] = [{ label, pattern: new RegExp(escapeRe(value)) }];
  for (let i = 0; i + run < chars.length; i++) out.push({ label: `${label} (part)`, pattern: new RegExp(escapeRe(chars.slice(i, i + run).join(''))) });
  return out;
}

function staticNeedles(): Needle[] {
  return [
    ...phoneNeedles('receiver phone', PHONE),
    ...phoneNeedles('buyer phone', BUYER_PHONE),
    ...textNeedles('receiver name', RECEIVER_NAME, 3),
    ...textNeedles('buyer name', BUYER_NAME, 3),
    ...textNeedles('street address', ADDRESS, 6),
    ...textNeedles('admin token', ADMIN_TOKEN, 12),
    ...textNeedles('shop signing secret', SHOP_SECRET, 12),
    ...textNeedles('password', PASSWORD, 12),
    ...textNeedles('wrong password', WRONG_PASSWORD, 12),
    ...textNeedles('webhook secret', WEBHOOK_SECRET, 12),
    ...textNeedles('webhook URL password', WEBHOOK_URL_PASSWORD, 10),
  ];
}

/** Every form a value can take in a line: as written, JSON-decoded, URL-decoded, and Buffers as their bytes. */
function readings(line: string): string[] {
  const out = [line];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      out.push(v);
      try {
        const d = decodeURIComponent(v.replace(/\+/g, ' '));
        if (d !== v) out.push(d);
      } catch {
        // not URL-encoded
      }
    } else if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'Buffer' && Array.isArray(o.data)) out.push(Buffer.from(o.data as number[]).toString('utf8'));
      Object.values(o).forEach(walk);
    }
  };
  try {
    walk(JSON.parse(line));
  } catch {
    // not JSON: searched as written
  }
  return out;
}

/** One entry per offending line: what it carries, then the line (cut short). */
function leaks(lines: string[], needles: Needle[]): string[] {
  const found: string[] = [];
  for (const line of lines) {
    const texts = readings(line);
    const what = new Set(needles.filter((n) => texts.some((t) => n.pattern.test(t))).map((n) => n.label.replace(/ \(.*\)$/, '')));
    if (what.size) found.push(`${[...what].join(', ')} in: ${line.slice(0, 300)}`);
  }
  return found;
}

/** Where the hub's log lines end up, one JSON object a line. */
function capture() {
  const lines: string[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      const text = rest + chunk.toString();
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) lines.push(p);
      cb();
    },
  });
  return { stream, lines };
}

/** A webhook receiver that always fails, so that the sender logs its retries. */
async function failingReceiver(): Promise<{ server: Server; base: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    res.statusCode = 500;
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
  headers: Headers;
}

async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; cookie?: string; csrf?: string; body?: unknown; authorization?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.authorization) headers.authorization = opts.authorization;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // not JSON
  }
  return { status: res.status, text, json, headers: res.headers };
}

/** Bytes over a plain socket: a request Node's HTTP parser refuses (Fastify logs such client errors at trace). */
function rawRequest(base: string, request: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(u.port), u.hostname, () => socket.write(request));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
  });
}

interface Exercised {
  /** Secrets only known once the hub handed them out: session cookie, CSRF token, API token. */
  issued: { label: string; value: string }[];
  /** Raw bodies and headers sent, for the sanity check that the detector sees what was sent. */
  sent: string[];
  accountId: string;
}

/** Drives every path that logs. `base` is the hub, `receiver` a webhook receiver that fails. */
async function exercise(base: string, receiver: string): Promise<Exercised> {
  const sent: string[] = [];
  const admin = { token: ADMIN_TOKEN };

  // Channel account with credentials; stock.
  const acct = await call(base, 'POST', '/api/channel-accounts', { ...admin, body: { platform: 'ownshop', name: 'Web shop', credentials: { secret: SHOP_SECRET } } });
  expect(acct.status, acct.text).toBe(201);
  const accountId = acct.json.id as string;
  expect((await call(base, 'PUT', '/api/warehouses/WH1', { ...admin, body: { name: 'WH1' } })).status).toBe(200);
  expect((await call(base, 'PUT', '/api/stock/A1', { ...admin, body: { warehouse: 'WH1', onHand: 100, reason: 'test count' } })).status).toBe(200);

  // Webhook endpoints, one with a secret, one whose URL carries basic-auth credentials; both fail, so the sender logs.
  const hook = await call(base, 'POST', '/api/webhooks', { ...admin, body: { url: `${receiver}/orderhub`, secret: WEBHOOK_SECRET, events: ['*'] } });
  expect(hook.status, hook.text).toBe(201);
  const basicUrl = receiver.replace('http://', `http://hooks:${WEBHOOK_URL_PASSWORD}@`) + '/basic';
  const basic = await call(base, 'POST', '/api/webhooks', { ...admin, body: { url: basicUrl, events: ['*'] } });
  expect(basic.status, basic.text).toBe(201);

  // Signed pushes: a new order, the same delivery again, a wrong signature, malformed bodies.
  const order = orderBody({
    orderId: `LOG-${Date.now()}`,
    buyer: { id: 'b-1', name: BUYER_NAME, phone: `+86 ${BUYER_PHONE.slice(0, 3)}-${BUYER_PHONE.slice(3, 7)}-${BUYER_PHONE.slice(7)}` },
    receiver: { name: RECEIVER_NAME, phone: PHONE, province: '江苏省', city: '南京市', district: '鼓楼区', address: ADDRESS },
  });
  const raw = JSON.stringify(order);
  sent.push(raw);
  const push = async (body: string, secret: string, eventId?: string) => {
    const headers = ownshopHeaders(secret, body, eventId ? { eventId } : {});
    sent.push(JSON.stringify(headers));
    const res = await fetch(`${base}/hooks/ownshop/${accountId}`, { method: 'POST', headers, body });
    return { status: res.status, json: (await res.json()) as { duplicate?: boolean; orders?: { orderId: string; orderNo: string }[] } };
  };
  const eventId = `evt-log-${Date.now()}`;
  const first = await push(raw, SHOP_SECRET, eventId);
  expect(first.status).toBe(200);
  const orderId = first.json.orders?.[0]?.orderId as string;
  const orderNo = first.json.orders?.[0]?.orderNo as string;
  const again = await push(raw, SHOP_SECRET, eventId);
  expect(again.status).toBe(200);
  expect(again.json.duplicate).toBe(true);
  expect((await push(raw, 'not-the-shop-secret-at-all')).status).toBe(401);
  // Malformed JSON, signed: V8's parse error quotes the text around the fault (the whole body when it is short).
  const broken = raw.replace(`"phone":"${PHONE}",`, `"phone":"${PHONE}",x`);
  expect(broken).not.toBe(raw);
  sent.push(broken);
  expect((await push(broken, SHOP_SECRET)).status).toBe(400);
  const shortBroken = `{"phone":x${PHONE}}`;
  sent.push(shortBroken);
  expect((await push(shortBroken, SHOP_SECRET)).status).toBe(400);
  const brokenAddress = raw.replace(`"address":"${ADDRESS}"`, `"address":${ADDRESS}`);
  expect(brokenAddress).not.toBe(raw);
  sent.push(brokenAddress);
  expect((await push(brokenAddress, SHOP_SECRET)).status).toBe(400);
  // Valid JSON that is not a valid order.
  const invalid = JSON.stringify({ ...order, lines: [] });
  sent.push(invalid);
  expect((await push(invalid, SHOP_SECRET)).status).toBe(400);

  // Orders: list, detail masked and revealed, search by full phone (as typed, and with separators) and by name.
  expect((await call(base, 'GET', '/api/orders', admin)).status).toBe(200);
  expect((await call(base, 'GET', `/api/orders/${orderId}`, admin)).status).toBe(200);
  const revealed = await call(base, 'GET', `/api/orders/${orderNo}?reveal=true`, admin);
  expect(revealed.status).toBe(200);
  expect(revealed.text).toContain(PHONE);
  const byPhone = await call(base, 'GET', `/api/orders?q=${PHONE}`, admin);
  expect(byPhone.status).toBe(200);
  expect(byPhone.json.total).toBe(1);
  expect((await call(base, 'GET', `/api/orders?q=${encodeURIComponent('139 6728 4051')}`, admin)).status).toBe(200);
  expect((await call(base, 'GET', `/api/orders?q=${encodeURIComponent(RECEIVER_NAME)}`, admin)).status).toBe(200);
  expect((await call(base, 'GET', `/api/orders?q=${'x'.repeat(101)}${PHONE}`, admin)).status).toBe(400);

  // People: a user with a password, a wrong and a right sign-in, the session's reads and writes, an API token.
  const user = await call(base, 'POST', '/api/users', { ...admin, body: { username: 'log.tester', displayName: BUYER_NAME, password: PASSWORD, roles: ['customer_service'] } });
  expect(user.status, user.text).toBe(201);
  const userId = user.json.id as string;
  expect((await call(base, 'POST', '/api/auth/sign-in', { body: { username: 'log.tester', password: WRONG_PASSWORD } })).status).toBe(401);
  expect((await call(base, 'POST', '/api/auth/sign-in', { body: { username: 'no.such.user', password: PASSWORD } })).status).toBe(401);
  const signIn = await call(base, 'POST', '/api/auth/sign-in', { body: { username: 'log.tester', password: PASSWORD } });
  expect(signIn.status, signIn.text).toBe(200);
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
  const session = cookie.split('=')[1] as string;
  expect(session).toMatch(/^ohs_/);
  const csrf = signIn.json.csrfToken as string;
  expect((await call(base, 'GET', '/api/auth/me', { cookie })).status).toBe(200);
  expect((await call(base, 'GET', `/api/orders/${orderId}?reveal=true`, { cookie })).status).toBe(200);
  expect((await call(base, 'PUT', '/api/stock/A1', { cookie, body: { warehouse: 'WH1', onHand: 100, reason: 'test count' } })).status).toBe(403);
  expect((await call(base, 'PUT', '/api/stock/A1', { cookie, csrf: `${csrf}x`, body: { warehouse: 'WH1', onHand: 100, reason: 'test count' } })).status).toBe(403);
  const tok = await call(base, 'POST', '/api/tokens', { ...admin, body: { name: 'ERP', userId } });
  expect(tok.status, tok.text).toBe(201);
  const apiToken = tok.json.token as string;
  expect((await call(base, 'GET', `/api/orders?q=${PHONE}`, { token: apiToken })).status).toBe(200);
  expect((await call(base, 'GET', '/api/orders', { token: `${apiToken}x` })).status).toBe(401);
  expect((await call(base, 'GET', '/api/orders', { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` })).status).toBe(401);
  expect((await call(base, 'GET', '/api/orders', { cookie: `orderhub_session=${session}x` })).status).toBe(401);

  // Unknown routes, with personal data and a token in the URL.
  expect((await call(base, 'GET', `/api/no-such-route?phone=${PHONE}&token=${ADMIN_TOKEN}`, admin)).status).toBe(404);
  expect((await call(base, 'GET', `/no-such-page/${PHONE}?password=${encodeURIComponent(PASSWORD)}`)).status).toBe(404);

  // Requests the HTTP parser refuses, carrying the admin token and the session cookie.
  const bad = `GET /api/orders?q=${PHONE} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nCookie: orderhub_session=${session}\r\nX-Bad\u0001Header: y\r\n\r\n`;
  sent.push(bad);
  expect(await rawRequest(base, bad)).toMatch(/^HTTP\/1\.1 400/);
  const huge = `GET /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
  expect(await rawRequest(base, huge)).toMatch(/^HTTP\/1\.1 431/);

  // Sign out, with the CSRF token.
  expect((await call(base, 'POST', '/api/auth/sign-out', { cookie, csrf })).status).toBe(204);

  return {
    issued: [
      { label: 'session cookie', value: session },
      { label: 'CSRF token', value: csrf },
      { label: 'API token', value: apiToken },
    ],
    sent,
    accountId,
  };
}

function allNeedles(ex: Exercised): Needle[] {
  return [...staticNeedles(), ...ex.issued.flatMap((s) => textNeedles(s.label, s.value, 12))];
}

/** The detector is only worth something if it finds what was sent: each kind of value in the raw requests. */
function expectDetectorSeesSent(ex: Exercised, needles: Needle[]) {
  const seen = new Set(leaks(ex.sent, needles).flatMap((l) => (l.split(' in: ')[0] as string).split(', ')));
  for (const label of ['receiver phone', 'buyer phone', 'receiver name', 'buyer name', 'street address', 'admin token', 'session cookie']) {
    expect(seen, `the detector should find the ${label} in what was sent`).toContain(label);
  }
}

describe.each(allBackends)('log lines on $name carry no personal data or secrets', (backend) => {
  const receivers: Server[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => new Promise((done) => r.close(done))));
  });

  it('keeps them out of every line logged at trace, request logs and background workers included', async () => {
    const rx = await failingReceiver();
    receivers.push(rx.server);
    const { stream, lines } = capture();
    const s = await startServer(
      backend,
      { adminToken: ADMIN_TOKEN, logLevel: 'trace' },
      { log: createLogger('trace', stream), webhook: { baseDelayMs: 50, maxDelayMs: 100, maxAttempts: 2, pollMs: 50 } },
    );
    let ex: Exercised;
    try {
      ex = await exercise(s.url, rx.base);

      // A 500 on a search by full phone: the error handler logs the failing request.
      const list = vi.spyOn(s.hub.orders, 'list');
      list.mockRejectedValueOnce(new Error('the database went away'));
      expect((await call(s.url, 'GET', `/api/orders?q=${PHONE}&pageSize=5`, { token: ADMIN_TOKEN })).status).toBe(500);
      list.mockRejectedValueOnce(new HubError('NOT_READY', 'the database is not ready'));
      expect((await call(s.url, 'GET', `/api/orders?q=${encodeURIComponent(RECEIVER_NAME)}`, { token: ADMIN_TOKEN })).status).toBe(503);
      list.mockRestore();

      // Both webhook endpoints failed and were retried until given up; the sender logged each attempt.
      await expect.poll(() => lines.filter((l) => l.includes('webhook delivery gave up')).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    } finally {
      await s.close();
    }

    // Sanity: the capture holds request-scoped lines, worker lines and the 500, and the detector finds what was sent.
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.some((l) => typeof l.reqId === 'string' && String(l.msg).startsWith('push refused'))).toBe(true);
    expect(parsed.some((l) => l.msg === 'unhandled error')).toBe(true);
    expect(parsed.some((l) => String(l.msg).startsWith('client error'))).toBe(true);
    expect(parsed.some((l) => String(l.msg).startsWith('webhook delivery failed'))).toBe(true);
    const needles = allNeedles(ex);
    expectDetectorSeesSent(ex, needles);

    const hubLines = [...lines];
    expect(leaks(hubLines, needles)).toEqual([]);

    // And the check can fail: a line that does carry a phone number, through the same logger and stream, is found;
    // the same value under a redacted path is not.
    const probe = createLogger('trace', stream);
    probe.info({ note: `call back on ${PHONE.slice(0, 3)} ${PHONE.slice(3, 7)} ${PHONE.slice(7)}` }, 'probe');
    probe.info({ receiver: { name: RECEIVER_NAME, phone: PHONE, address: ADDRESS } }, 'redaction probe');
    const probes = lines.slice(hubLines.length);
    expect(probes).toHaveLength(2);
    expect(leaks([probes[0] as string], needles).length).toBeGreaterThan(0);
    expect(leaks([probes[1] as string], needles)).toEqual([]);
  });
});

describe('the logger itself', () => {
  it('cleans what a call site could pass it: a whole request, a URL, an error quoting the body, a URL with credentials', () => {
    const { stream, lines } = capture();
    const log = createLogger('trace', stream);
    const req = { method: 'GET', url: `/api/orders?q=${PHONE}&page=2`, ip: '127.0.0.1', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: 'orderhub_session=ohs_x' } };
    log.info({ req }, 'incoming request');
    log.error({ url: `/api/orders?q=${encodeURIComponent(RECEIVER_NAME)}&${PHONE}` }, 'unhandled error');
    let parseError: unknown;
    try {
      JSON.parse(`{"phone":x${PHONE}}`);
    } catch (e) {
      parseError = e;
    }
    log.warn({ err: parseError }, `push refused: ${(parseError as Error).message}`);
    log.warn({ error: `fetch to https://hooks:${WEBHOOK_URL_PASSWORD}@example.com/x failed` }, 'webhook delivery failed; will retry');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(parsed[0]?.req).toEqual({ method: 'GET', url: '/api/orders?q=[hidden]&page=[hidden]', remoteAddress: '127.0.0.1' });
    expect(parsed[1]?.url).toBe('/api/orders?q=[hidden]&[hidden]');
    expect(parsed[2]?.msg).toBe("push refused: Unexpected token 'x', (excerpt hidden) is not valid JSON");
    expect(parsed[3]?.error).toBe('fetch to https://[hidden]@example.com/x failed');
    expect(leaks(lines, staticNeedles())).toEqual([]);
  });
});

describe('log lines of `orderhub serve` (SQLite writer thread, trace) carry no personal data or secrets', () => {
  it('keeps them out of stdout and stderr, the writer thread included', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orderhub-logs-'));
    const rx = await failingReceiver();
    let hub: Awaited<ReturnType<typeof spawnHub>> | null = null;
    try {
      hub = await spawnHub({
        ORDERHUB_DATA_DIR: dir,
        ORDERHUB_ADMIN_TOKEN: ADMIN_TOKEN,
        ORDERHUB_SQLITE_WRITER_THREAD: 'true',
        LOG_LEVEL: 'trace',
        DATABASE_URL: '',
        ORDERHUB_PG_SCHEMA: '',
        ORDERHUB_DATA_KEYS: '',
        ORDERHUB_CONFIG: '',
      });
      const ex = await exercise(hub.url, rx.base);
      // The writer thread sends webhooks: wait for its first failed attempt on both endpoints.
      await expect.poll(() => (hub?.output().match(/webhook delivery failed/g) ?? []).length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      hub.child.kill('SIGTERM');
      expect(await exited(hub.child)).toBe(0);

      const lines = hub.output().split('\n').filter((l) => l.trim());
      // Every line is a structured (JSON) log line; the writer thread's lines are among them.
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
      const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(parsed.some((l) => l.thread === 'writer' && String(l.msg).startsWith('webhook delivery failed'))).toBe(true);
      expect(parsed.some((l) => String(l.msg).startsWith('push refused'))).toBe(true);
      expect(parsed.some((l) => String(l.msg).startsWith('client error'))).toBe(true);
      expect(parsed.some((l) => l.msg === 'stopped')).toBe(true);
      const needles = allNeedles(ex);
      expectDetectorSeesSent(ex, needles);
      expect(leaks(lines, needles)).toEqual([]);
    } finally {
      if (hub && hub.child.exitCode === null && hub.child.signalCode === null) {
        hub.child.kill('SIGKILL');
        await exited(hub.child);
      }
      await new Promise((done) => rx.server.close(done));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
