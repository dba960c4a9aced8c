// Local fakes of the tracking sources' APIs (Kuaidi100 poll + query.do, AfterShip trackings, 17TRACK register +
// gettrackinfo) on one loopback server, each checking the request the way its source does. For tests and the demo.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrackingSource } from '../../modules/tracking/sources/types.ts';

export interface TrackingFakeCredentials {
  kuaidi100?: { key: string; customer: string };
  aftership?: { apiKey: string };
  track17?: { securityKey: string };
}

export interface TrackingFakeRequest {
  source: TrackingSource;
  kind: 'subscribe' | 'query';
  /** Whether the request's key or signature checked out. */
  signed: boolean;
  number: string | null;
  /** What the fake answered. */
  status: number;
}

export interface TrackingFake {
  readonly url: string;
  /** The apiBase to give a tracking account of this source. */
  apiBase(source: TrackingSource): string;
  readonly requests: TrackingFakeRequest[];
  /** The next n calls answer HTTP 500 (an outage), whatever they are. */
  failNext(n: number): void;
  /**
   * What a query answers for a number, in the source's own shape: Kuaidi100 the query.do body (nu, state, data …),
   * AfterShip the tracking object, 17TRACK one `accepted` item ({number, carrier, track_info}).
   */
  setAnswer(source: TrackingSource, number: string, payload: unknown): void;
  close(): Promise<void>;
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
};
const head = (h: IncomingHttpHeaders, k: string): string => {
  const v = h[k];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
};
const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

interface Answer {
  status: number;
  body: unknown;
}

export async function startTrackingFake(creds: TrackingFakeCredentials, port = 0, host = '127.0.0.1'): Promise<TrackingFake> {
  const requests: TrackingFakeRequest[] = [];
  const answers = new Map<string, unknown>();
  const afterShipIds = new Map<string, string>();
  let failing = 0;

  const kuaidi100 = (path: string, body: string): Answer & { kind: 'subscribe' | 'query'; signed: boolean; number: string | null } => {
    const form = new URLSearchParams(body);
    const c = creds.kuaidi100;
    if (path === '/poll') {
      const p = rec(parse(form.get('param') ?? ''));
      const number = typeof p['number'] === 'string' ? p['number'] : null;
      const salt = rec(p['parameters'])['salt'];
      const signed = !!c && typeof p['key'] === 'string' && same(p['key'], c.key) && typeof salt === 'string' && salt !== '';
      if (!signed) return { kind: 'subscribe', signed, number, status: 200, body: { result: false, returnCode: '600', message: '您不是合法的订阅者（即授权Key出错）' } };
      return { kind: 'subscribe', signed, number, status: 200, body: { result: true, returnCode: '200', message: '提交成功' } };
    }
    const param = form.get('param') ?? '';
    const number = ((): string | null => {
      const n = rec(parse(param))['num'];
      return typeof n === 'string' ? n : null;
    })();
    const expected = c ? createHash('md5').update(param + c.key + c.customer, 'utf8').digest('hex').toUpperCase() : '';
    const signed = !!c && same(form.get('customer') ?? '', c.customer) && same(form.get('sign') ?? '', expected);
    if (!signed) return { kind: 'query', signed, number, status: 200, body: { result: false, returnCode: '601', message: '验证签名失败' } };
    const a = number ? answers.get(`kuaidi100:${number}`) : undefined;
    if (a === undefined) return { kind: 'query', signed, number, status: 200, body: { result: false, returnCode: '500', message: '查询无结果，请隔段时间再查' } };
    return { kind: 'query', signed, number, status: 200, body: a };
  };

  const aftership = (method: string, path: string, headers: IncomingHttpHeaders, body: string) => {
    const signed = !!creds.aftership && same(head(headers, 'as-api-key'), creds.aftership.apiKey);
    const m = /^\/tracking\/[^/]+\/trackings(?:\/([^/]+))?$/.exec(path);
    const kind: 'subscribe' | 'query' = method === 'POST' ? 'subscribe' : 'query';
    if (!signed) return { kind, signed, number: null, status: 401, body: { meta: { code: 401, message: 'Invalid API key.' }, data: {} } };
    if (!m) return { kind, signed, number: null, status: 404, body: { meta: { code: 404, message: 'Not found' }, data: {} } };
    if (method === 'POST') {
      const b = rec(parse(body));
      const number = typeof b['tracking_number'] === 'string' ? b['tracking_number'] : null;
      if (!number) return { kind, signed, number, status: 400, body: { meta: { code: 4001, message: 'tracking_number is required' }, data: {} } };
      const id = `as${createHash('sha1').update(number).digest('hex').slice(0, 16)}`;
      afterShipIds.set(id, number);
      return { kind, signed, number, status: 201, body: { meta: { code: 201 }, data: { id, tracking_number: number, slug: b['slug'] ?? null, tag: 'Pending' } } };
    }
    const number = afterShipIds.get(decodeURIComponent(m[1] ?? '')) ?? null;
    const a = number ? answers.get(`aftership:${number}`) : undefined;
    if (a === undefined) return { kind, signed, number, status: 404, body: { meta: { code: 4004, message: 'Tracking does not exist.' }, data: {} } };
    return { kind, signed, number, status: 200, body: { meta: { code: 200 }, data: a } };
  };

  const track17 = (path: string, headers: IncomingHttpHeaders, body: string) => {
    const signed = !!creds.track17 && same(head(headers, '17token'), creds.track17.securityKey);
    const kind: 'subscribe' | 'query' = path.endsWith('/register') ? 'subscribe' : 'query';
    const list = parse(body);
    const items = Array.isArray(list) ? list.map(rec) : [];
    const number = typeof items[0]?.['number'] === 'string' ? (items[0]['number'] as string) : null;
    if (!signed) return { kind, signed, number, status: 401, body: { code: 401, data: { errors: [{ code: -18010002, message: 'invalid token' }] } } };
    if (kind === 'subscribe') return { kind, signed, number, status: 200, body: { code: 0, data: { accepted: items.map((i) => ({ number: i['number'], carrier: i['carrier'] ?? 0 })), rejected: [] } } };
    const accepted = items.map((i) => answers.get(`track17:${String(i['number'])}`)).filter((a) => a !== undefined);
    return { kind, signed, number, status: 200, body: { code: 0, data: { accepted, rejected: [] } } };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://fake');
      const [, prefix = '', ...rest] = u.pathname.split('/');
      const path = `/${rest.join('/')}`;
      const method = req.method ?? 'GET';
      let out: Answer & { kind: 'subscribe' | 'query'; signed: boolean; number: string | null };
      if (prefix === 'kuaidi100') out = kuaidi100(path, body);
      else if (prefix === 'aftership') out = aftership(method, path, req.headers, body);
      else if (prefix === 'track17') out = track17(path, req.headers, body);
      else {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such source"}');
        return;
      }
      if (failing > 0) {
        failing--;
        out = { ...out, status: 500, body: { error: 'simulated outage' } };
      }
      requests.push({ source: prefix as TrackingSource, kind: out.kind, signed: out.signed, number: out.number, status: out.status });
      res.writeHead(out.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(out.body));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiBase: (source) => `${url}/${source}`,
    requests,
    failNext(n) {
      failing = n;
    },
    setAnswer(source, number, payload) {
      answers.set(`${source}:${number}`, payload);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
