// The transactional outbox: events delivered to subscribers and to outbound webhooks, at least once, signed, retried.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createHmac, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { allBackends, httpBackends, pgUrl } from './support/backends.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody } from './support/sign.ts';
import { OutboxRelay, type OutboxEvent } from '../src/platform/outbox/relay.ts';
import { createLogger } from '../src/platform/log.ts';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver that fails the first `failures` calls, like an integration that is briefly down. */
async function receiver(failures: number): Promise<{ url: string; got: Received[]; close: () => Promise<void>; server: Server }> {
  const got: Received[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      if (calls <= failures) {
        res.writeHead(500).end('down');
        return;
      }
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, server, close: () => new Promise((r) => server.close(() => r())) };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(httpBackends)('outbox on $name', (backend) => {
  let s: TestServer;
  let shop: { id: string; secret: string };
  beforeAll(async () => {
    s = await startServer(backend, {}, { webhook: { baseDelayMs: 40, maxDelayMs: 200, maxAttempts: 4, pollMs: 30, timeoutMs: 2000 } });
    shop = await createShop(s);
  });
  afterAll(async () => s?.close());

  it('delivers signed webhooks for an order, retrying until the endpoint answers', async () => {
    const rx = await receiver(2);
    const secret = 'endpoint-secret-0123456789';
    const reg = await s.api<{ id: string; secret: string }>('POST', '/api/webhooks', { url: rx.url, secret, events: ['order.created', 'order.status_changed'] });
    expect(reg.status).toBe(201);
    expect(reg.body.secret).toBe(secret);
    const sku = `W-${randomUUID().slice(0, 6)}`;
    await setStock(s, sku, 5);
    const b = orderBody({ lines: [{ sku, quantity: 1, unitPrice: 100 }] });
    await s.push(shop.id, shop.secret, b);
    await s.push(shop.id, shop.secret, { ...b, status: 'paid', updatedAt: '2026-11-22T10:05:00+08:00', paidAmount: 100 });

    const mine = () => rx.got.filter((g) => (JSON.parse(g.body) as { data: { platformOrderId: string } }).data.platformOrderId === b.orderId);
    await until('two deliveries', () => mine().length >= 2);
    const types = mine().map((g) => (JSON.parse(g.body) as { type: string }).type).sort();
    expect(types).toEqual(['order.created', 'order.status_changed']);
    for (const g of mine()) {
      // Verified with our own HMAC, not the hub's signer.
      const ts = g.headers['x-orderhub-timestamp'] as string;
      const expected = 'v1=' + createHmac('sha256', secret).update(`${ts}.${g.body}`).digest('hex');
      expect(g.headers['x-orderhub-signature']).toBe(expected);
      expect(g.headers['x-orderhub-event-id']).toMatch(/^evt_\d+$/);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
    }
    const deliveries = await until('deliveries marked delivered', async () => {
      const d = await s.api<{ items: { state: string; attempts: number; lastError: string | null }[] }>('GET', `/api/webhooks/${reg.body.id}/deliveries`);
      return d.body.items.length >= 2 && d.body.items.every((i) => i.state === 'delivered') ? d.body.items : undefined;
    });
    // The first two calls failed: whichever deliveries met them were retried.
    expect(deliveries.reduce((a, d) => a + d.attempts, 0)).toBe(deliveries.length + 2);
    await s.api('DELETE', `/api/webhooks/${reg.body.id}`);
    await rx.close();
  });

  it('refuses a subscription to an event type the hub never emits, naming the known ones, and registers nothing', async () => {
    const before = await s.api<{ items: unknown[] }>('GET', '/api/webhooks');
    const bad = await s.api<{ error: { code: string; message: string; details: { unknown: string[]; known: string[] } } }>('POST', '/api/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      events: ['order.created', 'order.shipped', 'shipment.delivered'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(bad.body.error.details.unknown).toEqual(['order.shipped']);
    expect(bad.body.error.details.known).toContain('order.status_changed');
    expect(bad.body.error.message).toContain('order.shipped');
    expect(bad.body.error.message).toContain('order.status_changed');
    const after = await s.api<{ items: unknown[] }>('GET', '/api/webhooks');
    expect(after.body.items.length).toBe(before.body.items.length);
    const star = await s.api<{ id: string; events: string[] }>('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] });
    expect(star.status).toBe(201);
    expect(star.body.events).toEqual(['*']);
    await s.api('DELETE', `/api/webhooks/${star.body.id}`);
  });

  it('gives up after the last attempt and says so', async () => {
    const rx = await receiver(1000);
    const reg = await s.api<{ id: string }>('POST', '/api/webhooks', { url: rx.url, events: ['stock.set'] });
    await setStock(s, `DEAD-${randomUUID().slice(0, 6)}`, 1);
    const d = await until('dead delivery', async () => {
      const r = await s.api<{ items: { state: string; attempts: number; lastStatus: number }[] }>('GET', `/api/webhooks/${reg.body.id}/deliveries`);
      return r.body.items.find((i) => i.state === 'dead');
    });
    expect(d).toMatchObject({ attempts: 4, lastStatus: 500 });
    await s.api('DELETE', `/api/webhooks/${reg.body.id}`);
    await rx.close();
  });

  it.skipIf(backend.writerThread)('hands every event to an in-process subscriber at least once, in order, resuming from its saved cursor', async () => {
    const relay = new OutboxRelay(s.hub.db, createLogger('silent'), 20);
    const seen: number[] = [];
    let failOnce = true;
    relay.subscribe({
      name: `test-${randomUUID()}`,
      types: '*',
      async handle(events: OutboxEvent[]) {
        if (failOnce) {
          failOnce = false;
          throw new Error('subscriber briefly broken');
        }
        seen.push(...events.map((e) => e.id));
      },
    });
    await setStock(s, `SUB-${randomUUID().slice(0, 6)}`, 1);
    const max = await s.hub.db.read.get<{ m: number }>('SELECT MAX(id) AS m FROM outbox');
    relay.start();
    await until('subscriber caught up', () => seen.includes(Number(max?.m)));
    await relay.stop();
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
    const total = await s.hub.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE id <= ?', [Number(max?.m)]);
    expect(seen.filter((id) => id <= Number(max?.m))).toHaveLength(Number(total?.n));
  });
});

describe.skipIf(!allBackends.some((b) => b.name === 'postgres'))('outbox on postgres: a transaction that commits late', () => {
  const clients: pg.Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
  });

  it('is never skipped by a subscriber that already saw later ids', async () => {
    const backend = allBackends.find((b) => b.name === 'postgres');
    if (!backend) return;
    const s = await startServer(backend, {}, { workers: false });
    try {
      const schema = s.place.pgSchema as string;
      const connect = async () => {
        const c = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
        await c.connect();
        clients.push(c);
        return c;
      };
      const slow = await connect();
      const fast = await connect();
      const insert = (c: pg.Client, type: string) =>
        c.query(`INSERT INTO outbox (tenant_id, type, aggregate_type, aggregate_id, payload, created_at) VALUES ('default', $1, 'test', 'x', '{}', 0)`, [type]);
      await slow.query('BEGIN');
      await insert(slow, 'slow'); // takes the lower id, commits last
      await insert(fast, 'fast'); // autocommits with a higher id
      const relay = new OutboxRelay(s.hub.db, createLogger('silent'));
      const seen: string[] = [];
      relay.subscribe({ name: 'late-commit', types: '*', handle: async (events) => void seen.push(...events.map((e) => e.type)) });
      await relay.drain();
      expect(seen).not.toContain('slow');
      await slow.query('COMMIT');
      // Any transaction still running in the cluster holds the relay back; it delivers once that ends.
      await until('both events', async () => {
        await relay.drain();
        return seen.length >= 2;
      });
      expect(seen.sort()).toEqual(['fast', 'slow']);
    } finally {
      await s.close();
    }
  });
});
