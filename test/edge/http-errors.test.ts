// What Fastify and Node's HTTP parser refuse before a route runs is answered in the error shape, seen over a raw socket
// exactly as a client gets it: a bad percent-escape, a path segment too long (414), headers too large (431), a request
// that is not HTTP (400); and the server timeouts close a slow client with 408 instead of holding it open.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { ConfigError, defaults, loadConfig } from '../../src/platform/config.ts';

interface RawAnswer {
  status: number;
  headers: string;
  body: unknown;
  /** Milliseconds from connecting until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Connects, sends `chunks` (a string is sent at once; a function is called with the socket to dribble), and reads until
 * the server closes the connection — with a generous upper bound, after which the test fails instead of hanging.
 */
function raw(url: string, send: string | ((write: (s: string) => void) => () => void), waitForCloseMs = 20_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: hostname, port: Number(port) });
    let data = '';
    let stop: () => void = () => undefined;
    const bound = setTimeout(() => {
      stop();
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${waitForCloseMs} ms; received: ${data.slice(0, 200)}`));
    }, waitForCloseMs);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(bound);
      stop();
      const [head = '', ...rest] = data.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const text = rest.join('\r\n\r\n');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: the test says so
      }
      resolve({ status, headers: head, body, closedAfterMs: Date.now() - started });
    });
    socket.on('connect', () => {
      if (typeof send === 'string') socket.write(send);
      else stop = send((s) => socket.write(s));
    });
  });
}

const shape = (code: string) => ({ error: { code, message: expect.any(String) } });

describe(`framework refusals over a raw socket on ${allBackends[0]?.name}`, () => {
  let s: TestServer;

  beforeAll(async () => {
    s = await startServer(allBackends[0] as NonNullable<(typeof allBackends)[0]>);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers a bad percent-escape in the path with 400 URL_INVALID', async () => {
    const r = await raw(s.url, 'GET /api/orders/%E0%A4%A HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body).toEqual(shape('URL_INVALID'));
  });

  it('answers a path segment over 100 characters with 414 URI_TOO_LONG', async () => {
    const r = await raw(s.url, `GET /api/orders/${'a'.repeat(101)} HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(414);
    expect(r.body).toEqual(shape('URI_TOO_LONG'));
  });

  it('answers headers over 16 KB with 431 HEADERS_TOO_LARGE and closes', async () => {
    const r = await raw(s.url, `GET /health HTTP/1.1\r\nHost: hub\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(r.body).toEqual(shape('HEADERS_TOO_LARGE'));
    expect(r.headers.toLowerCase()).toContain('content-type: application/json');
  });

  it('answers what is not HTTP with 400 REQUEST_MALFORMED and closes', async () => {
    for (const garbage of ['HELLO THERE\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: hub\r\nBroken header line\r\n\r\n', 'POST /api/orders HTTP/1.1\r\nHost: hub\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello']) {
      const r = await raw(s.url, garbage);
      expect(r.status, garbage).toBe(400);
      expect(r.body).toEqual(shape('REQUEST_MALFORMED'));
    }
  });
});

describe(`server timeouts on ${allBackends[0]?.name}`, () => {
  let s: TestServer;

  beforeAll(async () => {
    // Small on purpose; the defaults are 15 s, 60 s, 5 s and 120 s.
    s = await startServer(allBackends[0] as NonNullable<(typeof allBackends)[0]>, { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2, keepAliveTimeoutSeconds: 1 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('cuts off a body that arrives too slowly with 408 REQUEST_TIMEOUT', async () => {
    const r = await raw(s.url, (write) => {
      write(`PUT /api/stock/SLOW HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
      const drip = setInterval(() => write(' '), 200);
      return () => clearInterval(drip);
    });
    expect(r.status).toBe(408);
    expect(r.body).toEqual(shape('REQUEST_TIMEOUT'));
    // Not before the 2 s the whole request may take; the deadlines are checked once a second.
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect((await s.api('GET', '/api/stock/SLOW')).status).toBe(404);
  });

  it('cuts off headers that never finish with 408 REQUEST_TIMEOUT', async () => {
    const r = await raw(s.url, (write) => {
      write('GET /health HTTP/1.1\r\nHost: hub\r\n');
      const drip = setInterval(() => write('X-Slow: 1\r\n'), 200);
      return () => clearInterval(drip);
    });
    expect(r.status).toBe(408);
    expect(r.body).toEqual(shape('REQUEST_TIMEOUT'));
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(900);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout, and says so in Keep-Alive', async () => {
    const r = await raw(s.url, 'GET /health HTTP/1.1\r\nHost: hub\r\n\r\n');
    expect(r.status).toBe(200);
    expect(r.headers.toLowerCase()).toContain('keep-alive: timeout=1');
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(900);
  });
});

describe('timeout settings', () => {
  it('default to 15 s for headers, 60 s for a whole request, 5 s keep-alive, 120 s idle, and read the environment', () => {
    expect([defaults.headersTimeoutSeconds, defaults.requestTimeoutSeconds, defaults.keepAliveTimeoutSeconds, defaults.idleTimeoutSeconds]).toEqual([15, 60, 5, 120]);
    const c = loadConfig({ ORDERHUB_HEADERS_TIMEOUT_SECONDS: '10', ORDERHUB_REQUEST_TIMEOUT_SECONDS: '30', ORDERHUB_KEEP_ALIVE_TIMEOUT_SECONDS: '2', ORDERHUB_IDLE_TIMEOUT_SECONDS: '300' }, '/nonexistent');
    expect([c.headersTimeoutSeconds, c.requestTimeoutSeconds, c.keepAliveTimeoutSeconds, c.idleTimeoutSeconds]).toEqual([10, 30, 2, 300]);
  });

  it('refuses 0, and headers allowed longer than the whole request (Node would refuse to start)', () => {
    expect(() => loadConfig({ ORDERHUB_KEEP_ALIVE_TIMEOUT_SECONDS: '0' }, '/nonexistent')).toThrow(ConfigError);
    expect(() => loadConfig({ ORDERHUB_HEADERS_TIMEOUT_SECONDS: '90' }, '/nonexistent')).toThrow(/must not exceed ORDERHUB_REQUEST_TIMEOUT_SECONDS/);
  });
});

describe('a refusal by Fastify or a plugin that the hub does not name', () => {
  it('is answered in the error shape with the nearest code, never as 500', async () => {
    const Fastify = (await import('fastify')).default;
    const { errorHandler } = await import('../../src/app/http/errors.ts');
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    app.get('/length', async () => {
      throw Object.assign(new Error('Request body size did not match Content-Length'), { code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 });
    });
    app.get('/precondition', async () => {
      throw Object.assign(new Error('Length Required'), { code: 'FST_ERR_SOMETHING', statusCode: 411 });
    });
    app.get('/incident', async () => {
      throw new Error('a bug');
    });
    const length = await app.inject({ url: '/length' });
    expect([length.statusCode, length.json()]).toEqual([400, { error: { code: 'REQUEST_MALFORMED', message: 'Request body size did not match Content-Length' } }]);
    const other = await app.inject({ url: '/precondition' });
    expect([other.statusCode, other.json().error.code]).toEqual([400, 'REQUEST_MALFORMED']);
    const bug = await app.inject({ url: '/incident' });
    expect([bug.statusCode, bug.json().error.code]).toEqual([500, 'INTERNAL']);
    await app.close();
  });
});
