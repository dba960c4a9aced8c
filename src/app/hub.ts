// The composition root: opens the database, applies migrations, wires services and background workers.
import { join, resolve } from 'node:path';
import { ConfigError, type Config } from '../platform/config.ts';
import type { Logger } from '../platform/log.ts';
import { assertValidMachines, type MachineEntry } from '../kernel/machine.ts';
import { hubMachines } from './machines.ts';
import { openDatabase, type Database } from '../platform/db/database.ts';
import { appliedVersion, latestVersion, migrate } from '../platform/db/migrate.ts';
import { AccountService } from '../modules/channels/accounts.ts';
import { IngestService, OrderNumbers, type Delivery, type DeliveryResult } from '../modules/orders/ingest/ingest.ts';
import { OrderService } from '../modules/orders/service.ts';
import { StockService } from '../modules/inventory/service.ts';
import { WebhookEndpointService } from '../modules/webhooks/endpoints.ts';
import { AdminTokenCheck, ensureAdminToken, type AdminToken } from '../modules/access/admin-token.ts';
import { PeopleService } from '../modules/access/people.ts';
import { ApprovalService } from '../modules/access/approvals.ts';
import { EventService } from '../modules/webhooks/event-log.ts';
import { DashboardService } from '../modules/orders/queries/dashboard.ts';
import { LiveFeed } from '../modules/orders/live-feed.ts';
import { IntegrationService } from '../modules/channels/integration.ts';
import { DriftWatch } from '../modules/channels/drift-watch.ts';
import { Poller, defaultPollerOptions } from '../modules/channels/poller.ts';
import { TmcConsumer, defaultTmcOptions, type TmcOptions } from '../modules/channels/tmc-consumer.ts';
import { ListingPuller, defaultListingPullerOptions } from '../modules/channels/listing-puller.ts';
import { parseApprovalPolicy } from '../modules/access/domain/approvals.ts';
import { contains } from '../kernel/scope.ts';
import { loadKeyring, type Keyring } from '../platform/security/keyring.ts';
import { GroupCommitter } from '../platform/db/group-commit.ts';
import { OutboxRelay } from '../platform/outbox/relay.ts';
import { TimerRunner } from '../platform/jobs/timers.ts';
import { WebhookSender, webhookFanout, defaultWebhookOptions, type WebhookSenderOptions } from '../modules/webhooks/sender.ts';
import { forwardedWrites, localWrites, type Reads, type WriteApi } from './commands.ts';
import { startWriterThread } from './writer-thread/thread.ts';
import { PaymentAccountService } from '../modules/payments/accounts.ts';
import { PaymentService } from '../modules/payments/notices.ts';
import { RefundService } from '../modules/payments/refunds.ts';
import { RefundWorker } from '../modules/payments/refund-worker.ts';
import { defaultOutboundOptions, OutboundWorker, type OutboundWorkerOptions } from '../modules/channels/outbound-worker.ts';
import { defaultStockSyncOptions, StockSyncWorker, stockSyncFeed, type StockSyncOptions } from '../modules/channels/stock-sync-worker.ts';
import { adapterFor } from '../modules/channels/connectors/registry.ts';
import { parseWriteRates, writeRates, WritePacer, type PacerClock, type RateOf } from '../modules/channels/write-pacing.ts';
import { RoutingService } from '../modules/fulfilment/routing/service.ts';
import { WarehouseFlowService } from '../modules/fulfilment/warehouse-flow.ts';
import { TrackingAccountService } from '../modules/tracking/accounts.ts';
import { WmsService } from '../modules/fulfilment/wms/service.ts';
import { WaybillService } from '../modules/fulfilment/waybills/service.ts';
import { WaybillWorker } from '../modules/fulfilment/waybills/worker.ts';
import { TrackingService } from '../modules/tracking/service.ts';
import { TrackingWorker, defaultTrackingWorkerOptions, trackingSubscriptionFeed, type TrackingWorkerOptions } from '../modules/tracking/worker.ts';
import { RoutingRunner, defaultRoutingRunnerOptions } from '../modules/fulfilment/routing/runner.ts';
import { LeaseKeeper, sqlLeaseStore } from '../platform/jobs/leases.ts';

export interface HubOptions {
  /** Run the relay, timers and webhook sender (a CLI command that only reads does not need them). */
  workers?: boolean;
  /**
   * On SQLite, run every write (and the relay, timers, webhook sender) in a writer thread, so commits
   * never stall HTTP. Off for tests and CLI commands, which want the runtime in reach.
   */
  writerThread?: boolean;
  /** Called when the writer thread dies: the hub can no longer store anything. */
  onWriterDeath?: (why: string) => void;
  pgSchema?: string;
  webhook?: Partial<WebhookSenderOptions>;
  relayPollMs?: number;
  timerPollMs?: number;
  /** How often the refund worker looks for refunds to send or ask about, and how long after sending it first asks. */
  refundPollMs?: number;
  refundQueryAfterMs?: number;
  /** The outbound worker (ship-back): how often it looks, the first retry's delay, attempts before giving up. */
  outbound?: Partial<Omit<OutboundWorkerOptions, 'fetch'>>;
  /** The stock sync worker (库存同步): its pass, gathering time, full push, back-off; onWrite only in this thread. */
  stockSync?: Partial<Omit<StockSyncOptions, 'fetch'>>;
  /** Pull channel accounts on the schedule (off in the writer thread: the serving thread pulls). */
  poller?: boolean;
  /** Taobao's message service consumer (TMC over HTTP): how often, how many, which group. Runs where the poller runs. */
  tmc?: Partial<Omit<TmcOptions, 'requestTimeoutMs'>>;
  /** HTTP for platform pulls (tests count or fail requests). */
  fetch?: typeof fetch;
  /** The write pacer's clock (tests step it to check pacing without waiting on the wall clock). */
  pacerClock?: PacerClock;
  /** How often the listing puller looks for accounts due (tests look more often than every 5 s). */
  listingTickMs?: number;
  /** Tracking worker settings (subscription back-off, stale re-query, alert pass). */
  tracking?: Partial<TrackingWorkerOptions>;
  /** The machines checked before anything starts (default: every machine of the hub, app/machines.ts). */
  machines?: readonly MachineEntry[];
  /** The writes' arguments arrive already made storable (the SQLite writer thread: the serving thread did it). */
  argsStorable?: boolean;
}

/** The write-side machinery, present where writes run in this thread. */
export interface LocalRuntime {
  ingest: GroupCommitter<Delivery, DeliveryResult>;
  relay: OutboxRelay;
  timers: TimerRunner;
  sender: WebhookSender;
  refunds: RefundWorker;
  /** Platform writes the hub owes (ship-back). */
  outbound: OutboundWorker;
  stockSync: StockSyncWorker;
  /** Tracking subscriptions, delivery re-checks, stale re-queries and tracking alerts. */
  tracking: TrackingWorker;
  /** Waybill numbers owed back to the carrier networks (stopped parcels). */
  waybills: WaybillWorker;
}

export interface Hub {
  config: Config;
  log: Logger;
  /** Reads always; writes only where `local` is set. */
  db: Database;
  /** The admin token as this start knows it (the token only when configured or generated now). */
  adminToken: AdminToken;
  /** Checks presented bearer tokens against the stored hash (a rotation by the CLI lands within seconds). */
  adminTokenCheck: AdminTokenCheck;
  /** Data keys: personal data, credentials, phone index, audit chain. */
  keyring: Keyring;
  /**
   * Services for reading (Reads: their commands, background writes and in-transaction helpers left out, so a write that
   * is not in the command registry cannot be called from here); every write goes through `writes`.
   */
  accounts: Reads<'accounts'>;
  approvals: Reads<'approvals'>;
  events: EventService;
  dashboard: DashboardService;
  /** Order events for the console's live views (read in this thread). */
  live: LiveFeed;
  people: Reads<'people'>;
  orders: Reads<'orders'>;
  stock: Reads<'stock'>;
  /** Payment accounts, notices, refunds and payment exceptions. */
  paymentAccounts: Reads<'paymentAccounts'>;
  payments: Reads<'payments'>;
  refunds: Reads<'refunds'>;
  /** Routing rules, warehouse attributes, SKU traits, dry runs. */
  routing: Reads<'routing'>;
  /** Shipments, waves and pick lists. */
  warehouseFlow: Reads<'warehouseFlow'>;
  /** Tracking source accounts, tracking timelines, the trust board and "not received" cases. */
  trackingAccounts: Reads<'trackingAccounts'>;
  tracking: Reads<'tracking'>;
  /** External WMS accounts and their status dictionaries. */
  wms: Reads<'wms'>;
  /** E-waybill accounts, parcels' waybill numbers and their labels. */
  waybills: Reads<'waybills'>;
  webhooks: Reads<'webhooks'>;
  /** Per-account integration health: deliveries, refusals, recovered by polling, drift alerts, pull log. */
  integration: Reads<'integration'>;
  drift: DriftWatch;
  poller: Poller;
  /** Consumes Taobao's messages (TMC) for every Taobao account: the near-real-time feed beside the pull. */
  tmc: TmcConsumer;
  /** Pulls each account's listings (商品下载): new accounts, on a schedule, on demand. */
  listings: ListingPuller;
  /** Routes paid orders once their merge window has passed (runPass(now) drives it by hand). */
  autoRouting: RoutingRunner;
  writes: WriteApi;
  /** Null when writes run in the writer thread. */
  local: LocalRuntime | null;
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

/** Ready when the database answers (and its writer runs) and every migration is applied. */
async function readiness(db: Database, writerAlive: boolean): ReturnType<Hub['isReady']> {
  let database = writerAlive;
  try {
    await db.ping();
  } catch {
    database = false;
  }
  const applied = database ? await appliedVersion(db) : 0;
  return { database, migrations: { applied, expected: latestVersion() } };
}

function services(db: Database, config: Config, keyring: Keyring, log: Logger, fetchFn: typeof fetch = fetch) {
  const lifecycle = { paymentTimeoutMs: config.paymentTimeoutMinutes * 60_000 };
  const paymentAccounts = new PaymentAccountService(db, keyring);
  const refunds = new RefundService(db, keyring, { refundStuckMs: config.refundStuckHours * 3_600_000, publicUrl: config.publicUrl || null });
  const payments = new PaymentService(db, keyring, paymentAccounts, refunds, { ...lifecycle, queryAttempts: Math.max(1, config.paymentQueryAttempts) }, log, fetchFn);
  const approvals = new ApprovalService(db, keyring, { required: parseApprovalPolicy(config.approvals), ttlHours: config.approvalHours });
  const accounts = new AccountService(db, keyring, approvals, fetchFn);
  const orders = new OrderService(db, lifecycle, keyring, approvals);
  const stock = new StockService(db, { ...lifecycle, sellableRatio: config.sellableRatio }, keyring, approvals);
  const warehouseFlow = new WarehouseFlowService(db, keyring, lifecycle);
  const people = new PeopleService(db, keyring, approvals, {
    sessionHours: config.sessionHours,
    lockoutThreshold: config.lockoutThreshold,
    lockoutMinutes: config.lockoutMinutes,
  });
  // What each kind of approved request runs, and who may see it (data scope).
  approvals.register('order.price_change', {
    apply: (tx, who, p, ctx, now) => orders.applyPriceChange(tx, who, p, ctx, now),
    visible: (who, a) => orders.visibleTo(who, a.targetId),
  });
  approvals.register('order.cancel_paid', {
    apply: (tx, who, p, ctx, now) => orders.applyCancelPaid(tx, who, p, ctx, now),
    visible: (who, a) => orders.visibleTo(who, a.targetId),
  });
  approvals.register('stock.bulk_adjust', {
    apply: (tx, who, p, ctx, now) => stock.applyAdjustments(tx, who, p, ctx, now),
    visible: async (who, a) => stock.visibleTo(who, a.payload),
  });
  approvals.register('channel_account.delete', {
    apply: (tx, who, p, ctx, now) => accounts.applyDelete(tx, who, p, ctx, now),
    visible: async (who, a) => a.targetId !== null && contains(who.scope, 'channel_account', { accounts: [a.targetId] }),
  });
  approvals.register('user.delete', { apply: (tx, who, p, ctx, now) => people.applyDeleteUser(tx, who, p, ctx, now) });
  return {
    lifecycle,
    approvals,
    accounts,
    orders,
    stock,
    webhooks: new WebhookEndpointService(db, keyring),
    people,
    paymentAccounts,
    payments,
    refunds,
    events: new EventService(db, keyring),
    dashboard: new DashboardService(db, config.timezone),
    routing: new RoutingService(db, keyring, { timezone: config.timezone, defaultShipHours: 48 }),
    warehouseFlow,
    wms: new WmsService(db, keyring, warehouseFlow),
    waybills: new WaybillService(db, keyring, log, fetchFn),
    trackingAccounts: new TrackingAccountService(db, keyring),
    tracking: new TrackingService(db, keyring, lifecycle, undefined, log),
  };
}

/** The keyring, created on first start when none is configured (the caller warns that it must be backed up). */
function keyringFor(config: Config, log: Logger): Keyring {
  const k = loadKeyring(config.dataKeys, config.dataDir);
  if (k.created) {
    log.warn({ file: k.source }, 'created a new data key file: back it up apart from the database; without it personal data cannot be read');
  }
  return k.keyring;
}

/** Each platform's write pace: the connector's default (ChannelAdapter.writeRate) unless the configuration overrides it. */
function platformWriteRates(config: Config): RateOf {
  const overrides = parseWriteRates(config.platformWriteRates);
  for (const platform of overrides.keys()) {
    const a = adapterFor(platform);
    if (!a || !(a.shipBack || a.setStock || a.setRemark)) throw new ConfigError(`ORDERHUB_PLATFORM_WRITE_RATES: "${platform}" is not a platform the hub writes to`);
  }
  return writeRates((platform) => adapterFor(platform)?.writeRate, overrides);
}

export async function startHub(config: Config, log: Logger, opts: HubOptions = {}): Promise<Hub> {
  // A malformed machine (or an effect it names with no implementation) stops the start before the database is touched.
  assertValidMachines(opts.machines ?? hubMachines);
  // A write rate for a platform the hub does not write to is a typo: refused before anything starts.
  platformWriteRates(config);
  if (opts.writerThread && !config.databaseUrl) return startThreadedHub(config, log, opts);
  const db = await openHubDatabase(config, opts.pgSchema);
  try {
    const m = await migrate(db);
    if (m.applied.length) log.info({ applied: m.applied, database: db.location }, 'migrations applied');
  } catch (e) {
    await db.close();
    throw e;
  }
  const adminToken = await ensureAdminToken(db, config.adminToken);
  const keyring = keyringFor(config, log);
  const { lifecycle, ...svc } = services(db, config, keyring, log, opts.fetch);
  const { approvals, accounts, orders, stock, webhooks, people, payments, paymentAccounts, refunds: refundService, routing, warehouseFlow, trackingAccounts, tracking: trackingService } = svc;
  const live = new LiveFeed(db, log);
  const ingestService = new IngestService(lifecycle, new OrderNumbers(db, config.timezone), keyring);
  // Background work is leased (platform/jobs/leases.ts): two hub processes on one database never run it twice.
  const leaseStore = sqlLeaseStore(db);
  const leases = new LeaseKeeper(leaseStore, log, config.leaseTtlSeconds * 1000);
  const relay = new OutboxRelay(db, log, opts.relayPollMs ?? 250, undefined, undefined, leases);
  relay.subscribe(webhookFanout());
  relay.subscribe(trackingSubscriptionFeed());
  const ingest = new GroupCommitter<Delivery, DeliveryResult>(
    db,
    (tx, d) => ingestService.apply(tx, d),
    {
      maxBatch: config.ingestBatchMax,
      lanes: db.dialect === 'sqlite' ? 1 : config.pgWriteLanes,
      maxQueue: 20_000,
      beforeBatch: (tx, items) => ingestService.lockFor(tx, items as Delivery[]),
      onCommit: () => relay.poke(),
    },
    log,
  );
  const integration = new IntegrationService(db, keyring, accounts, ingestService);
  const timers = new TimerRunner(db, orders, log, opts.timerPollMs ?? 1000, leases);
  timers.payments = payments;
  const refunds = new RefundWorker(refundService, paymentAccounts, log, {
    pollMs: opts.refundPollMs ?? 5000,
    queryAfterMs: opts.refundQueryAfterMs ?? 60_000,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  }, leases);
  // A requested refund wakes the worker at once (the table stays the truth; the worker also polls). Not an outbox
  // subscriber: a cursor of its own would cost a write per relay batch on the ingest path.
  refundService.onRefundRequested = () => refunds.poke();
  // One pacer for both write workers: an account's ship-backs, remarks and stock writes share its platform's rate.
  const pacer = new WritePacer(platformWriteRates(config), opts.pacerClock);
  const outbound = new OutboundWorker(integration, accounts, log, { ...defaultOutboundOptions, unconfirmedAfterMs: config.shipBackConfirmMinutes * 60_000, callLogKeepMs: config.callLogDays * 86_400_000, pacer, ...opts.outbound, ...(opts.fetch ? { fetch: opts.fetch } : {}) }, leases);
  // A ship, a retry, a resend or a remark wakes the outbound worker at once (it also polls).
  warehouseFlow.onShipped = () => outbound.poke();
  integration.onOutboundDue = () => outbound.poke();
  orders.onRemark = () => outbound.poke();
  const stockSyncOptions: StockSyncOptions = {
    ...defaultStockSyncOptions,
    gatherMs: config.stockSyncGatherMs,
    fullPushEveryMs: config.stockSyncFullPushMinutes > 0 ? config.stockSyncFullPushMinutes * 60_000 : 2 ** 31 - 1,
    pacer,
    ...opts.stockSync,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  };
  const stockSync = new StockSyncWorker(db, accounts, log, stockSyncOptions, leases);
  relay.subscribe(stockSyncFeed(stockSyncOptions, () => stockSync.poke()));
  const sender = new WebhookSender(db, log, keyring, { ...defaultWebhookOptions, ...opts.webhook }, leases);
  const trackingWorker = new TrackingWorker(
    db,
    trackingService,
    trackingAccounts,
    log,
    {
      ...defaultTrackingWorkerOptions,
      pollMs: opts.timerPollMs ?? defaultTrackingWorkerOptions.pollMs,
      publicBase: config.publicUrl || `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${config.port}`,
      ...opts.tracking,
    },
    opts.fetch ?? fetch,
    leases,
  );
  const waybillWorker = new WaybillWorker(svc.waybills, log, opts.outbound?.pollMs ?? 5000);
  if (opts.workers !== false) {
    waybillWorker.start();
    relay.start();
    timers.start();
    sender.start();
    refunds.start();
    outbound.start();
    stockSync.start();
    trackingWorker.start();
  }
  const writes = localWrites({ ingest, accounts, stock, orders, webhooks, people, approvals, integration, payments, paymentAccounts, refunds: refundService, routing, warehouseFlow, trackingAccounts, tracking: trackingService, wms: svc.wms, waybills: svc.waybills, leases: leaseStore }, { argsStorable: opts.argsStorable ?? false });
  const { drift, poller, tmc, listings } = channelWatch(db, config, log, accounts, writes, opts, leases);
  const autoRouting = routingRunner(routing, writes, config, log, opts, leases);
  let closed = false;
  return {
    config,
    log,
    db,
    adminToken,
    adminTokenCheck: new AdminTokenCheck(db, config.adminToken),
    keyring,
    ...svc,
    integration,
    drift,
    poller,
    tmc,
    listings,
    autoRouting,
    live,
    writes,
    local: { ingest, relay, timers, sender, refunds, outbound, tracking: trackingWorker, stockSync, waybills: waybillWorker },
    isReady: () => readiness(db, true),
    async close() {
      if (closed) return;
      closed = true;
      live.close();
      await poller.stop();
      await tmc.stop();
      await listings.stop();
      await autoRouting.stop();
      await drift.idle();
      await ingest.idle();
      // Tracking pushes queued for a group commit are written (and answered) before the database closes.
      await trackingService.idle();
      await Promise.all([relay.stop(), timers.stop(), sender.stop(), refunds.stop(), outbound.stop(), stockSync.stop(), trackingWorker.stop(), waybillWorker.stop()]);
      await db.close();
    },
  };
}

/** Contract drift and the poller run in the thread that serves HTTP; they store through `writes`. */
function channelWatch(db: Database, config: Config, log: Logger, accounts: AccountService, writes: WriteApi, opts: HubOptions, leases: LeaseKeeper) {
  const drift = new DriftWatch(db, () => writes, log, config.bodyLimitBytes);
  const poller = new Poller(
    db,
    accounts,
    writes,
    drift,
    log,
    {
      ...defaultPollerOptions,
      intervalMs: config.pullIntervalSeconds * 1000,
      overlapMs: config.pullOverlapMinutes * 60_000,
      lookbackMs: config.pullLookbackHours * 3_600_000,
    },
    opts.fetch ?? fetch,
    leases,
  );
  if (opts.workers !== false && opts.poller !== false) poller.start();
  // Scheduled channel reads switched off (pullIntervalSeconds 0: tests, a CLI) switch TMC off too, unless asked for.
  const tmcPollMs = opts.tmc?.pollMs ?? (config.pullIntervalSeconds > 0 ? defaultTmcOptions.pollMs : 0);
  const tmc = new TmcConsumer(db, accounts, writes, log, { ...defaultTmcOptions, ...opts.tmc, pollMs: tmcPollMs }, opts.fetch ?? fetch, leases);
  if (opts.workers !== false && opts.poller !== false) tmc.start();
  const listings = new ListingPuller(
    db,
    accounts,
    writes,
    log,
    { ...defaultListingPullerOptions, intervalMs: config.listingPullIntervalHours * 3_600_000, ...(opts.listingTickMs ? { tickMs: opts.listingTickMs } : {}) },
    opts.fetch ?? fetch,
    leases,
  );
  if (opts.workers !== false && opts.poller !== false) listings.start();
  return { drift, poller, tmc, listings };
}

/** Like the poller, the routing runner runs where HTTP is served (not in the writer thread) and stores through `writes`. */
function routingRunner(routing: RoutingService, writes: WriteApi, config: Config, log: Logger, opts: HubOptions, leases: LeaseKeeper): RoutingRunner {
  const runner = new RoutingRunner(routing, writes, log, {
    ...defaultRoutingRunnerOptions,
    enabled: config.autoRouting,
    intervalMs: config.autoRoutingIntervalSeconds * 1000,
    mergeWindowMs: config.autoRoutingMergeWindowMinutes * 60_000,
    retryAfterMs: config.autoRoutingRetryMinutes * 60_000,
    batchSize: config.autoRoutingBatchSize,
  }, leases);
  if (opts.workers !== false && opts.poller !== false) runner.start();
  return runner;
}

/** SQLite with a writer thread: this thread serves HTTP and reads; the writer thread stores. */
async function startThreadedHub(config: Config, log: Logger, opts: HubOptions): Promise<Hub> {
  // Created here, before the writer thread starts, so both threads read the same file.
  const keyring = keyringFor(config, log);
  const writer = await startWriterThread(
    config,
    log,
    (why) => {
      log.fatal({ why }, 'the writer thread died; nothing more can be stored');
      opts.onWriterDeath?.(why);
    },
    {
      ...(opts.webhook ? { webhook: opts.webhook } : {}),
      ...(opts.relayPollMs !== undefined ? { relayPollMs: opts.relayPollMs } : {}),
      ...(opts.timerPollMs !== undefined ? { timerPollMs: opts.timerPollMs } : {}),
      ...(opts.refundPollMs !== undefined ? { refundPollMs: opts.refundPollMs } : {}),
      ...(opts.refundQueryAfterMs !== undefined ? { refundQueryAfterMs: opts.refundQueryAfterMs } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      ...(opts.stockSync ? { stockSync: (({ onWrite: _onWrite, ...plain }) => plain)(opts.stockSync) } : {}),
    },
  );
  let db: Database;
  try {
    db = await openDatabase({ sqliteFile: sqliteFileFor(config), readOnly: true });
  } catch (e) {
    await writer.close();
    throw e;
  }
  const { lifecycle: _lifecycle, ...svc } = services(db, config, keyring, log, opts.fetch);
  const accounts = svc.accounts;
  const live = new LiveFeed(db, log);
  // Every write goes to the writer thread, prepared here and followed by what this thread must forget (commands.ts).
  const writes = forwardedWrites((op, args) => writer.send(op, args), {
    keyring,
    caches: { accounts, paymentAccounts: svc.paymentAccounts, trackingAccounts: svc.trackingAccounts, wms: svc.wms },
  });
  // This thread's connection only reads: its leases (pulls, routing) are writes of the writer thread.
  const leases = new LeaseKeeper({ acquire: writes.acquireLease, renew: writes.renewLease, release: writes.releaseLease }, log, config.leaseTtlSeconds * 1000);
  const { drift, poller, tmc, listings } = channelWatch(db, config, log, accounts, writes, opts, leases);
  const autoRouting = routingRunner(svc.routing, writes, config, log, opts, leases);
  let closed = false;
  return {
    config,
    log,
    db,
    adminToken: writer.adminToken,
    adminTokenCheck: new AdminTokenCheck(db, config.adminToken),
    keyring,
    ...svc,
    integration: new IntegrationService(db, keyring, accounts),
    drift,
    poller,
    tmc,
    listings,
    autoRouting,
    live,
    writes,
    local: null,
    isReady: () => readiness(db, writer.alive()),
    async close() {
      if (closed) return;
      closed = true;
      live.close();
      await poller.stop();
      await tmc.stop();
      await listings.stop();
      await autoRouting.stop();
      await drift.idle();
      await writer.close();
      await db.close();
    },
  };
}
