// Every write the hub makes, as one interface: run in this thread (PostgreSQL, tests, CLI) or handed to the
// SQLite writer thread. Arguments and answers are plain data, so they cross a thread boundary unchanged.
import type { Delivery, DeliveryResult } from '../services/ingest.ts';
import type { AccountService } from '../services/accounts.ts';
import type { StockService } from '../services/stock.ts';
import type { OrderService } from '../services/orders.ts';
import type { WebhookEndpointService } from '../services/webhook-endpoints.ts';
import type { GroupCommitter } from './group-commit.ts';

type Result<F> = F extends (...args: never[]) => Promise<infer R> ? Promise<R> : never;

export interface WriteApi {
  ingest(d: Delivery): Promise<DeliveryResult>;
  createAccount(input: Parameters<AccountService['create']>[0]): Result<AccountService['create']>;
  updateAccount(id: string, patch: Parameters<AccountService['update']>[1]): Result<AccountService['update']>;
  setStock(input: Parameters<StockService['set']>[0]): Result<StockService['set']>;
  mapSku(input: Parameters<StockService['mapSku']>[0]): Result<StockService['mapSku']>;
  transitionOrder(idOrOrderNo: string, to: string, reason: string, actor: string): Result<OrderService['transition']>;
  retryReservation(idOrOrderNo: string, actor: string): Result<OrderService['retryReservation']>;
  createWebhook(input: Parameters<WebhookEndpointService['create']>[0]): Result<WebhookEndpointService['create']>;
  removeWebhook(id: string): Promise<void>;
}

export type WriteOp = keyof WriteApi;

export const writeOps: readonly WriteOp[] = [
  'ingest',
  'createAccount',
  'updateAccount',
  'setStock',
  'mapSku',
  'transitionOrder',
  'retryReservation',
  'createWebhook',
  'removeWebhook',
];

export interface WriteServices {
  ingest: GroupCommitter<Delivery, DeliveryResult>;
  accounts: AccountService;
  stock: StockService;
  orders: OrderService;
  webhooks: WebhookEndpointService;
}

export function localWrites(s: WriteServices): WriteApi {
  return {
    ingest: (d) => s.ingest.submit(d),
    createAccount: (input) => s.accounts.create(input),
    updateAccount: (id, patch) => s.accounts.update(id, patch),
    setStock: (input) => s.stock.set(input),
    mapSku: (input) => s.stock.mapSku(input),
    transitionOrder: (id, to, reason, actor) => s.orders.transition(id, to, reason, actor),
    retryReservation: (id, actor) => s.orders.retryReservation(id, actor),
    createWebhook: (input) => s.webhooks.create(input),
    removeWebhook: (id) => s.webhooks.remove(id),
  };
}
