// The command registry: every write the hub makes, declared once. The write interface (WriteApi), the list of
// operations, the way a write runs where the database is (runCommand), the hand-off to the SQLite writer thread and
// what the serving thread must forget after it are all derived from this one table — and, for scale-out, a queue
// consumer would dispatch through runCommand the same way. Arguments and answers are plain data, so they cross a
// thread (or a queue) unchanged. Every write but the platform deliveries names who asks (a Principal), so that its
// audit row commits with it.
import type { Delivery, DeliveryResult } from '../modules/orders/ingest/ingest.ts';
import { sealDelivery } from '../modules/orders/ingest/ingest.ts';
import type { AccountService } from '../modules/channels/accounts.ts';
import type { StockService } from '../modules/inventory/service.ts';
import type { OrderService } from '../modules/orders/service.ts';
import type { WebhookEndpointService } from '../modules/webhooks/endpoints.ts';
import type { PeopleService } from '../modules/access/people.ts';
import type { ApprovalService } from '../modules/access/approvals.ts';
import type { IntegrationService } from '../modules/channels/integration.ts';
import type { GroupCommitter } from '../platform/db/group-commit.ts';
import type { PaymentAccountService } from '../modules/payments/accounts.ts';
import type { PaymentService } from '../modules/payments/notices.ts';
import type { RefundService } from '../modules/payments/refunds.ts';
import type { RoutingService } from '../modules/fulfilment/routing/service.ts';
import type { WarehouseFlowService } from '../modules/fulfilment/warehouse-flow.ts';
import type { TrackingAccountService } from '../modules/tracking/accounts.ts';
import type { TrackingService } from '../modules/tracking/service.ts';
import type { WmsService } from '../modules/fulfilment/wms/service.ts';
import type { WaybillService } from '../modules/fulfilment/waybills/service.ts';
import type { LeaseStore } from '../platform/jobs/leases.ts';
import type { Tx } from '../platform/db/database.ts';
import type { Keyring } from '../platform/security/keyring.ts';
import { storableValue } from '../kernel/text.ts';

/** Where writes run: the services that hold the database connection (this thread, or the SQLite writer thread). */
export interface WriteServices {
  ingest: GroupCommitter<Delivery, DeliveryResult>;
  accounts: AccountService;
  stock: StockService;
  orders: OrderService;
  webhooks: WebhookEndpointService;
  people: PeopleService;
  approvals: ApprovalService;
  integration: IntegrationService;
  payments: PaymentService;
  paymentAccounts: PaymentAccountService;
  refunds: RefundService;
  routing: RoutingService;
  warehouseFlow: WarehouseFlowService;
  trackingAccounts: TrackingAccountService;
  tracking: TrackingService;
  wms: WmsService;
  waybills: WaybillService;
  leases: LeaseStore;
}

type Service = keyof WriteServices;
/** The methods of a service that answer with a promise: the ones a command may name. */
type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...a: never[]) => Promise<unknown> ? K : never }[keyof T] & string;
type MethodOf<S extends Service, M extends string> = M extends keyof WriteServices[S] ? WriteServices[S][M] : never;
/** A method as a free function: its arguments and its answer, no `this`. */
type AsCall<F> = F extends (...a: infer A) => Promise<infer R> ? (...a: A) => Promise<R> : never;

/** Accounts the serving thread keeps for a few seconds (push paths), by the service that keeps them. */
export type AccountCacheName = 'accounts' | 'paymentAccounts' | 'trackingAccounts' | 'wms';

/** What a write needs besides running: hooks for the hand-off to another thread. */
export interface CommandHooks<F> {
  /**
   * Runs in the calling thread before a hand-off: work that belongs beside the one writer, not in it (sealing a
   * delivery's personal data). Local writes skip it; the write does the same work itself when it was not done.
   */
  prepare?: (ctx: { keyring: Keyring }, args: Parameters<AsCall<F>>) => Parameters<AsCall<F>>;
  /** Turns what a thread boundary flattened back into what the write expects (a Uint8Array back into a Buffer). */
  revive?: (args: Parameters<AsCall<F>>) => Parameters<AsCall<F>>;
  /** The cached accounts a thread that did not run the write must drop once it is done. */
  forgets?: (args: Parameters<AsCall<F>>, answer: Awaited<ReturnType<AsCall<F>>>) => { cache: AccountCacheName; id: string }[];
}

export interface Command<S extends Service, M extends string> {
  service: S;
  method: M;
  hooks: CommandHooks<MethodOf<S, M>>;
}

function command<S extends Service, M extends AsyncMethods<WriteServices[S]>>(service: S, method: M, hooks: CommandHooks<MethodOf<S, M>> = {}): Command<S, M> {
  return { service, method, hooks };
}

const forgetId =
  (cache: AccountCacheName) =>
  (args: readonly unknown[]): { cache: AccountCacheName; id: string }[] => [{ cache, id: args[1] as string }];

export const commands = {
  ingest: command('ingest', 'submit', {
    // Encryption and hashing of the delivery's personal data happen beside the one writer, not in it.
    prepare: ({ keyring }, [d]) => [{ ...d, sealed: sealDelivery(keyring, d) }] as [Delivery],
    revive: ([d]) => [{ ...d, rawBody: Buffer.from(d.rawBody.buffer, d.rawBody.byteOffset, d.rawBody.byteLength) }] as [Delivery],
  }),
  createAccount: command('accounts', 'create'),
  updateAccount: command('accounts', 'update', { forgets: forgetId('accounts') }),
  deleteAccount: command('accounts', 'requestDelete', { forgets: forgetId('accounts') }),
  setStock: command('stock', 'set'),
  mapSku: command('stock', 'mapSku'),
  createSku: command('stock', 'createSku'),
  adjustStock: command('stock', 'requestAdjustments'),
  saveStockAllocation: command('stock', 'saveAllocation'),
  setStockExclusive: command('stock', 'setExclusive'),
  defineBundle: command('stock', 'defineBundle'),
  deleteBundle: command('stock', 'deleteBundle'),
  transitionOrder: command('orders', 'transition'),
  retryReservation: command('orders', 'retryReservation'),
  requestPriceChange: command('orders', 'requestPriceChange'),
  addOrderNote: command('orders', 'addNote'),
  setSellerRemark: command('orders', 'setSellerRemark'),
  createWebhook: command('webhooks', 'create'),
  removeWebhook: command('webhooks', 'remove'),
  createUser: command('people', 'createUser'),
  updateUser: command('people', 'updateUser'),
  deleteUser: command('people', 'requestDeleteUser'),
  saveRole: command('people', 'saveRole'),
  deleteRole: command('people', 'deleteRole'),
  recordSignIn: command('people', 'recordSignIn'),
  signOut: command('people', 'signOut'),
  createToken: command('people', 'createToken'),
  revokeToken: command('people', 'revokeToken'),
  touchToken: command('people', 'touchToken'),
  recordAudit: command('people', 'record'),
  decideApproval: command('approvals', 'decide', {
    // An approved deletion of a channel account changes it like updateAccount does.
    forgets: (_args, a) => (a.targetType === 'channel_account' && a.targetId ? [{ cache: 'accounts', id: a.targetId }] : []),
  }),
  withdrawApproval: command('approvals', 'withdraw'),
  recordPull: command('integration', 'recordPull'),
  recordDrift: command('integration', 'recordDrift'),
  acknowledgeAlert: command('integration', 'acknowledgeAlert'),
  replayRawEvent: command('integration', 'replay'),
  retryOutbound: command('integration', 'retryOutbound'),
  resendShipBack: command('integration', 'resendShipBack'),
  markOutboundHandled: command('integration', 'markOutboundHandled'),
  recordPaymentNotice: command('payments', 'recordNotice'),
  recheckPayment: command('payments', 'recheck'),
  createPaymentAccount: command('paymentAccounts', 'create'),
  updatePaymentAccount: command('paymentAccounts', 'update', { forgets: forgetId('paymentAccounts') }),
  requestRefund: command('refunds', 'requestRefund'),
  decideRefundProposal: command('refunds', 'decideProposal'),
  resolvePaymentException: command('refunds', 'resolveException'),
  saveRoutingRules: command('routing', 'saveRules'),
  saveWarehouse: command('routing', 'saveWarehouse'),
  saveSkuTraits: command('routing', 'saveSkuTraits'),
  runRouting: command('routing', 'run'),
  createWave: command('warehouseFlow', 'createWave'),
  confirmPicked: command('warehouseFlow', 'confirmPicked'),
  scanShipment: command('warehouseFlow', 'scan'),
  shipShipment: command('warehouseFlow', 'ship'),
  correctShipmentTracking: command('warehouseFlow', 'correctTracking'),
  recordTracking: command('tracking', 'record'),
  reportNotReceived: command('tracking', 'reportNotReceived'),
  saveTrackingSettings: command('tracking', 'saveSettings'),
  createTrackingAccount: command('trackingAccounts', 'create'),
  updateTrackingAccount: command('trackingAccounts', 'update', { forgets: forgetId('trackingAccounts') }),
  deleteTrackingAccount: command('trackingAccounts', 'remove', { forgets: forgetId('trackingAccounts') }),
  createWmsAccount: command('wms', 'create'),
  updateWmsAccount: command('wms', 'update', { forgets: forgetId('wms') }),
  rotateWmsSecret: command('wms', 'rotateSecret', { forgets: forgetId('wms') }),
  deleteWmsAccount: command('wms', 'remove', { forgets: forgetId('wms') }),
  recordWmsPush: command('wms', 'apply'),
  createWaybillAccount: command('waybills', 'createAccount'),
  getWaybill: command('waybills', 'issue'),
  getWaveWaybills: command('waybills', 'issueWave'),
  cancelWaybill: command('waybills', 'cancel'),
  // Job leases (platform/jobs/leases.ts): writes like any other, so on SQLite they run in the writer thread.
  acquireLease: command('leases', 'acquire'),
  renewLease: command('leases', 'renew'),
  releaseLease: command('leases', 'release'),
  // Listings (商品下载, 商品对应): the listing puller's steps and a person's ignore.
  startListingPull: command('integration', 'startListingPull'),
  recordListingPage: command('integration', 'recordListingPage'),
  finishListingPull: command('integration', 'finishListingPull'),
  ignoreListing: command('integration', 'ignoreListing'),
  matchListing: command('integration', 'matchListing'),
  // 库存分配 per listing: a fixed quantity or a cap.
  setListingOverrides: command('integration', 'setListingOverrides'),
};

type Commands = typeof commands;
export type WriteOp = keyof Commands;
type CallOf<C> = C extends Command<infer S, infer M> ? AsCall<MethodOf<S, M>> : never;

/** Every write, as one interface: derived from the registry, so a write that is not declared there does not exist. */
export type WriteApi = { [K in WriteOp]: CallOf<Commands[K]> };

export const writeOps = Object.keys(commands) as WriteOp[];

export function isWriteOp(op: string): op is WriteOp {
  return Object.hasOwn(commands, op);
}

/**
 * Writes the hub makes by itself, in the background (timers, the refund worker): not commands anyone can ask for, and
 * not reads either — kept out of the read views below like the commands are.
 */
export const backgroundWrites = {
  orders: ['expireUnpaid'],
  refunds: ['afterAttempt'],
  integration: ['claimDueOutbound', 'afterOutboundAttempt', 'raiseUnconfirmedShipBacks'],
  payments: ['beforeClose', 'recordClosedUnconfirmed'],
  waybills: ['cancelDue', 'fillDue'],
} as const satisfies { [S in Service]?: readonly AsyncMethods<WriteServices[S]>[] };

type Registered<S extends Service> = { [K in WriteOp]: Commands[K]['service'] extends S ? Commands[K]['method'] : never }[WriteOp];
type Background<S extends Service> = S extends keyof typeof backgroundWrites ? (typeof backgroundWrites)[S][number] : never;
/** Methods that run inside a caller's transaction (their first argument is a Tx): only other writes may call them. */
type InTransaction<T> = { [K in keyof T]: T[K] extends (...a: infer A) => unknown ? (A extends [infer F, ...unknown[]] ? ([F] extends [Tx] ? K : never) : never) : never }[keyof T];

/**
 * A service as the serving side sees it: its reads. The commands it declares, its background writes and its
 * in-transaction helpers are left out, so a route that calls a write outside the registry does not type-check.
 */
export type Reads<S extends Service> = Omit<WriteServices[S], Registered<S> | Background<S> | InTransaction<WriteServices[S]>>;

/**
 * Runs one write where the database is. Strings are made storable first (no NUL, no lone surrogate), whatever the
 * caller sent: the edge refuses them from people, and a platform's delivery is stored, never lost for a character.
 */
export function runCommand(s: WriteServices, op: WriteOp, args: readonly unknown[], opts: { argsStorable?: boolean } = {}): Promise<unknown> {
  const c = commands[op] as Command<Service, string>;
  const target = s[c.service] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const fn = target[c.method];
  if (typeof fn !== 'function') return Promise.reject(new Error(`command ${op}: ${c.service}.${c.method} is not a write`));
  try {
    return fn.apply(target, opts.argsStorable ? (args as unknown[]) : args.map((a) => storableValue(a)));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** The commands whose service has no such method (a renamed method, a service left out): refused at boot. */
export function missingCommands(s: WriteServices): string[] {
  return writeOps.filter((op) => {
    const c = commands[op] as Command<Service, string>;
    return typeof (s[c.service] as unknown as Record<string, unknown> | undefined)?.[c.method] !== 'function';
  }).map((op) => `${op} → ${commands[op].service}.${commands[op].method}`);
}

/**
 * The write interface of the thread that holds the database. `argsStorable`: the arguments were made storable where
 * they were sent from (the SQLite writer thread's calls: the serving thread did it, off the one writer's time).
 */
export function localWrites(s: WriteServices, opts: { argsStorable?: boolean } = {}): WriteApi {
  const missing = missingCommands(s);
  if (missing.length) throw new Error(`the command registry names writes that do not exist:\n- ${missing.join('\n- ')}`);
  return Object.fromEntries(writeOps.map((op) => [op, (...args: unknown[]) => runCommand(s, op, args, opts)])) as unknown as WriteApi;
}

/** Arguments as they arrive from another thread, turned back into what the write expects. */
export function reviveArgs(op: WriteOp, args: unknown[]): unknown[] {
  const revive = (commands[op] as Command<Service, string>).hooks.revive as ((a: unknown[]) => unknown[]) | undefined;
  return revive ? revive(args) : args;
}

/**
 * The write interface of a thread that hands its writes to another (the SQLite writer thread): each write is prepared
 * here, sent, and once it is done the accounts it changed are dropped from this thread's caches.
 */
export function forwardedWrites(
  send: (op: WriteOp, args: unknown[]) => Promise<unknown>,
  ctx: { keyring: Keyring; caches: Record<AccountCacheName, { forget(id: string): void }> },
): WriteApi {
  const forward = (op: WriteOp) => {
    const hooks = (commands[op] as Command<Service, string>).hooks as {
      prepare?: (c: { keyring: Keyring }, a: unknown[]) => unknown[];
      forgets?: (a: unknown[], answer: unknown) => { cache: AccountCacheName; id: string }[];
    };
    return async (...raw: unknown[]) => {
      // Made storable here, so the one writer does not spend its time on it.
      const args = raw.map((a) => storableValue(a));
      const answer = await send(op, hooks.prepare ? hooks.prepare({ keyring: ctx.keyring }, args) : args);
      for (const f of hooks.forgets?.(args, answer) ?? []) ctx.caches[f.cache].forget(f.id);
      return answer;
    };
  };
  return Object.fromEntries(writeOps.map((op) => [op, forward(op)])) as unknown as WriteApi;
}
