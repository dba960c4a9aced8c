// Keep-alive HTTP client for the benchmark: admin API calls and the timed push load.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { freshen, type Delivery } from './orders.ts';

export interface Answer {
  /** HTTP status, or 0 when no answer came (connection error, timeout). */
  status: number;
  body: Buffer;
  ms: number;
  error?: string;
}

export class HubClient {
  readonly agent: http.Agent;

  constructor(
    readonly port: number,
    private readonly token: string,
    concurrency: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  send(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: Buffer): Promise<Answer> {
    const start = performance.now();
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - start }));
        res.on('error', (e) => resolve({ status: 0, body: Buffer.alloc(0), ms: performance.now() - start, error: e.message }));
      });
      // A stuck server must show up as an error in the results, not as a benchmark that never ends.
      req.setTimeout(60_000, () => req.destroy(new Error('timeout after 60 s')));
      req.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ status: 0, body: Buffer.alloc(0), ms: performance.now() - start, error: e.code ?? e.message }),
      );
      req.end(body);
    });
  }

  /** Admin API call; anything but 2xx is an error, because setup and checks must not silently go wrong. */
  async api<T>(method: string, path: string, json?: unknown): Promise<T> {
    const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
    const headers: http.OutgoingHttpHeaders = { authorization: `Bearer ${this.token}` };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = body.length;
    }
    const a = await this.send(method, `/api${path}`, headers, body);
    if (a.status < 200 || a.status > 299) {
      throw new Error(`${method} /api${path} → ${a.status || a.error}: ${a.body.toString('utf8').slice(0, 300)}`);
    }
    return JSON.parse(a.body.toString('utf8')) as T;
  }

  private readonly warehouses = new Set<string>();

  /**
   * Counts a SKU's stock in a warehouse, with the reason every count needs; the warehouse is made first (a count never
   * makes one: an unknown warehouse is refused), once per warehouse and client.
   */
  async setStock(sku: string, warehouse: string, onHand: number): Promise<void> {
    if (!this.warehouses.has(warehouse)) {
      const list = await this.api<{ code: string }[]>('GET', '/warehouses');
      if (!list.some((w) => w.code === warehouse)) await this.api('PUT', `/warehouses/${encodeURIComponent(warehouse)}`, { name: warehouse });
      this.warehouses.add(warehouse);
    }
    await this.api('PUT', `/stock/${encodeURIComponent(sku)}`, { warehouse, onHand, reason: 'benchmark set-up' });
  }

  push(accountId: string, d: Delivery, secret: string): Promise<Answer> {
    freshen(d, secret, Math.floor(Date.now() / 1000));
    return this.send(
      'POST',
      `/hooks/ownshop/${accountId}`,
      {
        'content-type': 'application/json',
        'content-length': d.body.length,
        'x-orderhub-event-id': d.eventId,
        'x-orderhub-timestamp': String(d.timestamp),
        'x-orderhub-signature': d.signature,
      },
      d.body,
    );
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs fn over items with at most `concurrency` in flight (each worker takes the next index). */
export async function forEachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

interface PushAnswerBody {
  orders?: { reservation?: string; hold?: string | null }[];
}

export interface LoadResult {
  sent: number;
  wallMs: number;
  /** Latencies of 2xx answers only, ms. */
  okLatencies: Float64Array;
  ok: number;
  /** Non-2xx answers by status (`0:<error>` for no answer). */
  failures: Map<string, number>;
  /** Per delivery: the reservation state the hub answered with, or null when not acknowledged. */
  reservation: (string | null)[];
  /** Example bodies of non-2xx answers, to show what went wrong. */
  failureSamples: string[];
}

/** Pushes every delivery once; wall time runs from the first send to the last answer. */
export async function pushAll(client: Pick<HubClient, 'push'>, accountId: string, secret: string, deliveries: readonly Delivery[], concurrency: number): Promise<LoadResult> {
  const latencies = new Float64Array(deliveries.length);
  const reservation: (string | null)[] = new Array<string | null>(deliveries.length).fill(null);
  const failures = new Map<string, number>();
  const failureSamples: string[] = [];
  let ok = 0;
  const start = performance.now();
  await forEachLimited(deliveries, concurrency, async (d, i) => {
    const a = await client.push(accountId, d, secret);
    if (a.status >= 200 && a.status <= 299) {
      latencies[ok++] = a.ms;
      const parsed = JSON.parse(a.body.toString('utf8')) as PushAnswerBody;
      reservation[i] = parsed.orders?.[0]?.reservation ?? 'unknown';
    } else {
      const key = a.status === 0 ? `0:${a.error ?? 'error'}` : String(a.status);
      failures.set(key, (failures.get(key) ?? 0) + 1);
      if (failureSamples.length < 5) failureSamples.push(`${key} ${a.body.toString('utf8').slice(0, 200)}`);
    }
  });
  const wallMs = performance.now() - start;
  return { sent: deliveries.length, wallMs, okLatencies: latencies.subarray(0, ok), ok, failures, reservation, failureSamples };
}
