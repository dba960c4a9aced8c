// The composition root: opens the database, applies migrations, wires services and background workers.
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { assertValidMachine } from '../domain/status-machine.ts';
import { openDatabase, type Database } from '../store/db.ts';
import { appliedVersion, latestVersion, migrate } from '../store/migrate.ts';
import { AccountService } from '../services/accounts.ts';
import { IngestService, OrderNumbers, type Delivery, type DeliveryResult } from '../services/ingest.ts';
import { OrderService } from '../services/orders.ts';
import { StockService } from '../services/stock.ts';
import { WebhookEndpointService } from '../services/webhook-endpoints.ts';
import { ensureAdminToken } from '../services/admin-token.ts';
import { GroupCommitter } from './group-commit.ts';
import { OutboxRelay } from './outbox-relay.ts';
import { TimerRunner } from './timers.ts';
import { WebhookSender, webhookFanout, defaultWebhookOptions, type WebhookSenderOptions } from './webhooks.ts';

export interface HubOptions {
  /** Run the relay, timers and webhook sender (a CLI command that only reads does not need them). */
  workers?: boolean;
  pgSchema?: string;
  webhook?: Partial<WebhookSenderOptions>;
  relayPollMs?: number;
  timerPollMs?: number;
}

export interface Hub {
  config: Config;
  log: Logger;
  db: Database;
  adminToken: { token: string; generated: boolean; source: string };
  accounts: AccountService;
  orders: OrderService;
  stock: StockService;
  webhooks: WebhookEndpointService;
  ingest: GroupCommitter<Delivery, DeliveryResult>;
  relay: OutboxRelay;
  timers: TimerRunner;
  sender: WebhookSender;
  isReady(): Promise<{ database: boolean; migrations: { applied: number; expected: number } }>;
  close(): Promise<void>;
}

export function sqliteFileFor(config: Config): string {
  return resolve(join(config.dataDir, 'orderhub.db'));
}

export async function openHubDatabase(config: Config, schemaOverride?: string): Promise<Database> {
  const pgSchema = schemaOverride || config.pgSchema;
  return openDatabase(
    config.databaseUrl
      ? { databaseUrl: config.databaseUrl, pgPoolSize: config.pgPoolSize, ...(pgSchema ? { pgSchema } : {}) }
      : { sqliteFile: sqliteFileFor(config), sqliteSynchronous: config.sqliteSynchronous },
  );
}

export async function startHub(config: Config, log: Logger, opts: HubOptions = {}): Promise<Hub> {
  assertValidMachine();
  const db = await openHubDatabase(config, opts.pgSchema);
  try {
    const m = await migrate(db);
    if (m.applied.length) log.info({ applied: m.applied, database: db.location }, 'migrations applied');
  } catch (e) {
    await db.close();
    throw e;
  }
  const adminToken = await ensureAdminToken(db, config.adminToken);
  const lifecycle = { paymentTimeoutMs: config.paymentTimeoutMinutes * 60_000 };
  const accounts = new AccountService(db);
  const orders = new OrderService(db, lifecycle);
  const stock = new StockService(db, { ...lifecycle, sellableRatio: config.sellableRatio });
  const webhooks = new WebhookEndpointService(db);
  const ingestService = new IngestService({ ...lifecycle, timezone: config.timezone }, new OrderNumbers(db, config.timezone));
  const relay = new OutboxRelay(db, log, opts.relayPollMs ?? 250);
  relay.subscribe(webhookFanout());
  const ingest = new GroupCommitter<Delivery, DeliveryResult>(
    db,
    (tx, d) => ingestService.apply(tx, d),
    {
      maxBatch: config.ingestBatchMax,
      lanes: db.dialect === 'sqlite' ? 1 : config.pgWriteLanes,
      maxQueue: 20_000,
      beforeBatch: (tx, items) => ingestService.lockStockFor(tx, items as Delivery[]),
    },
    log,
  );
  const timers = new TimerRunner(db, orders, log, opts.timerPollMs ?? 1000);
  const sender = new WebhookSender(db, log, { ...defaultWebhookOptions, ...opts.webhook });
  if (opts.workers !== false) {
    relay.start();
    timers.start();
    sender.start();
  }
  let closed = false;
  return {
    config,
    log,
    db,
    adminToken,
    accounts,
    orders,
    stock,
    webhooks,
    ingest,
    relay,
    timers,
    sender,
    async isReady() {
      let database = true;
      try {
        await db.ping();
      } catch {
        database = false;
      }
      const applied = database ? await appliedVersion(db) : 0;
      return { database, migrations: { applied, expected: latestVersion() } };
    },
    async close() {
      if (closed) return;
      closed = true;
      await ingest.idle();
      await Promise.all([relay.stop(), timers.stop(), sender.stop()]);
      await db.close();
    },
  };
}
