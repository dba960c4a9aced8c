// A real hub on loopback for a test: real HTTP, a real database (SQLite file or PostgreSQL schema).
import type { Config } from '../../src/platform/config.ts';
import { createLogger, type Logger } from '../../src/platform/log.ts';
import { startHub, type Hub, type HubOptions } from '../../src/app/hub.ts';
import { buildApp, type AppOptions } from '../../src/app/http/app.ts';
import type { Backend } from './backends.ts';
import { ownshopHeaders, type OrderBody } from './sign.ts';

export interface TestServer {
  hub: Hub;
  url: string;
  config: Config;
  token: string;
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  push(accountId: string, secret: string, order: OrderBody | string, opts?: { eventId?: string; timestamp?: number }): Promise<{ status: number; body: PushBody }>;
  /** Stops the server but keeps the data (for restart tests). */
  stop(): Promise<void>;
  /** Stops and removes the data. */
  close(): Promise<void>;
}

export interface PushBody {
  ok?: boolean;
  duplicate?: boolean;
  orders?: { orderId: string; orderNo: string; outcome: string; status: string; reservation: string; hold: string | null }[];
  error?: { code: string; message: string; details?: unknown };
}

export async function startServer(
  backend: Backend,
  overrides: Partial<Config> = {},
  hubOptions: HubOptions & { /** Where the hub logs (default: nowhere). */ log?: Logger; /** What the app is built with (the demo's sign-in hint …). */ app?: AppOptions } = {},
  reuse?: { config: Config; pgSchema?: string; cleanup: () => Promise<void> },
): Promise<TestServer & { place: { config: Config; pgSchema?: string; cleanup: () => Promise<void> } }> {
  const place = reuse ?? (await backend.fresh(overrides));
  const { log = createLogger('silent'), app: appOptions, ...options } = hubOptions;
  const hub = await startHub(place.config, log, {
    writerThread: backend.writerThread ?? false,
    relayPollMs: 50,
    timerPollMs: 100,
    ...(place.pgSchema ? { pgSchema: place.pgSchema } : {}),
    ...options,
  });
  const app = await buildApp(hub, appOptions);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const token = place.config.adminToken || (hub.adminToken.token ?? '');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await hub.close();
  };
  return {
    hub,
    url: address,
    config: place.config,
    token,
    place,
    async api<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(address + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async push(accountId, secret, order, opts = {}) {
      const raw = typeof order === 'string' ? order : JSON.stringify(order);
      const res = await fetch(`${address}/hooks/ownshop/${accountId}`, {
        method: 'POST',
        headers: ownshopHeaders(secret, raw, opts),
        body: raw,
      });
      return { status: res.status, body: (await res.json()) as PushBody };
    },
    stop,
    async close() {
      await stop();
      await place.cleanup();
    },
  };
}

export async function createShop(s: TestServer, secret = 'shop-secret-0123456789'): Promise<{ id: string; secret: string }> {
  const r = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'ownshop', name: 'Web shop', credentials: { secret } });
  if (r.status !== 201) throw new Error(`account creation failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.id, secret };
}

/** Creates a warehouse (named after its code, every region) unless it exists: what a stock count now needs first. */
export async function ensureWarehouse(s: TestServer, code: string): Promise<void> {
  const list = await s.api<{ code: string }[]>('GET', '/api/warehouses');
  if (list.status === 200 && list.body.some((w) => w.code === code)) return;
  const r = await s.api('PUT', `/api/warehouses/${encodeURIComponent(code)}`, { name: code });
  if (r.status !== 200) throw new Error(`warehouse create failed: ${r.status} ${JSON.stringify(r.body)}`);
}

export async function setStock(s: TestServer, sku: string, onHand: number, warehouse = 'WH1', safetyStock?: number) {
  const body = { warehouse, onHand, reason: 'test count', ...(safetyStock !== undefined ? { safetyStock } : {}) };
  let r = await s.api<{ error?: { code: string } }>('PUT', `/api/stock/${encodeURIComponent(sku)}`, body);
  // A warehouse is created by its own action, never by a stock count: the helper creates it the first time.
  if (r.status === 404 && r.body.error?.code === 'WAREHOUSE_NOT_FOUND') {
    await ensureWarehouse(s, warehouse);
    r = await s.api('PUT', `/api/stock/${encodeURIComponent(sku)}`, body);
  }
  if (r.status !== 200) throw new Error(`stock set failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Stock rows where reserved exceeds on hand (must always be empty), and open (held or paid, unshipped) reservations vs the reserved column. */
export async function stockInvariants(hub: Hub) {
  const oversold = await hub.db.read.all<{ sku: string; warehouse: string }>('SELECT sku, warehouse FROM stock WHERE reserved > on_hand OR reserved < 0');
  const mismatched = await hub.db.read.all<{ sku: string; warehouse: string; reserved: number; held: number }>(
    `SELECT s.sku, s.warehouse, s.reserved, COALESCE(SUM(r.quantity), 0) AS held
     FROM stock s LEFT JOIN reservations r ON r.tenant_id = s.tenant_id AND r.sku = s.sku AND r.warehouse = s.warehouse AND r.state IN ('held', 'deducted')
     GROUP BY s.tenant_id, s.sku, s.warehouse, s.reserved
     HAVING s.reserved <> COALESCE(SUM(r.quantity), 0)`,
  );
  return { oversold, mismatched };
}
