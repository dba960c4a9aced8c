// Every write the hub makes, as one interface: run in this thread (PostgreSQL, tests, CLI) or handed to the
// SQLite writer thread. Arguments and answers are plain data, so they cross a thread boundary unchanged.
// Every write but ingest names who asks (a Principal), so that its audit row commits with it.
import type { Principal } from '../kernel/principal.ts';
import type { Delivery, DeliveryResult } from '../modules/orders/ingest/ingest.ts';
import type { AccountService } from '../modules/channels/accounts.ts';
import type { StockService } from '../modules/inventory/service.ts';
import type { OrderService } from '../modules/orders/service.ts';
import type { WebhookEndpointService } from '../modules/webhooks/endpoints.ts';
import type { PeopleService } from '../modules/access/people.ts';
import type { ApprovalService } from '../modules/access/approvals.ts';
import type { IntegrationService } from '../modules/channels/integration.ts';
import type { GroupCommitter } from '../platform/db/group-commit.ts';
import type { PaymentAccountService } from '../modules/payments/accounts.ts';
import type { NoticeDelivery, NoticeOutcome, PaymentService } from '../modules/payments/notices.ts';
import type { RefundService } from '../modules/payments/refunds.ts';
import type { RoutingService } from '../modules/fulfilment/routing/service.ts';
import type { WarehouseFlowService } from '../modules/fulfilment/warehouse-flow.ts';
import type { TrackingAccountService } from '../modules/tracking/accounts.ts';
import type { TrackingDelivery, TrackingOutcome, TrackingService } from '../modules/tracking/service.ts';
import type { WmsOutcome, WmsPush, WmsService } from '../modules/fulfilment/wms/service.ts';
import type { LeaseStore } from '../platform/jobs/leases.ts';

/** A service method's arguments after the principal, and its answer. */
type Args<F> = F extends (who: Principal, ...args: infer A) => Promise<unknown> ? A : never;
type Call<F> = F extends (who: Principal, ...args: never[]) => Promise<infer R> ? (who: Principal, ...args: Args<F>) => Promise<R> : never;

export interface WriteApi {
  ingest(d: Delivery): Promise<DeliveryResult>;
  createAccount: Call<AccountService['create']>;
  updateAccount: Call<AccountService['update']>;
  setStock: Call<StockService['set']>;
  mapSku: Call<StockService['mapSku']>;
  transitionOrder: Call<OrderService['transition']>;
  retryReservation: Call<OrderService['retryReservation']>;
  createWebhook: Call<WebhookEndpointService['create']>;
  removeWebhook: Call<WebhookEndpointService['remove']>;
  createUser: Call<PeopleService['createUser']>;
  updateUser: Call<PeopleService['updateUser']>;
  saveRole: Call<PeopleService['saveRole']>;
  deleteRole: Call<PeopleService['deleteRole']>;
  recordSignIn: Call<PeopleService['recordSignIn']>;
  signOut: Call<PeopleService['signOut']>;
  createToken: Call<PeopleService['createToken']>;
  revokeToken: Call<PeopleService['revokeToken']>;
  touchToken(id: string, at: number): Promise<void>;
  recordAudit: Call<PeopleService['record']>;
  requestPriceChange: Call<OrderService['requestPriceChange']>;
  adjustStock: Call<StockService['requestAdjustments']>;
  deleteAccount: Call<AccountService['requestDelete']>;
  deleteUser: Call<PeopleService['requestDeleteUser']>;
  decideApproval: Call<ApprovalService['decide']>;
  withdrawApproval: Call<ApprovalService['withdraw']>;
  addOrderNote: Call<OrderService['addNote']>;
  recordPull: IntegrationService['recordPull'];
  recordDrift: IntegrationService['recordDrift'];
  acknowledgeAlert: Call<IntegrationService['acknowledgeAlert']>;
  replayRawEvent: Call<IntegrationService['replay']>;
  recordPaymentNotice(d: NoticeDelivery): Promise<NoticeOutcome>;
  createPaymentAccount: Call<PaymentAccountService['create']>;
  updatePaymentAccount: Call<PaymentAccountService['update']>;
  requestRefund: Call<RefundService['requestRefund']>;
  decideRefundProposal: Call<RefundService['decideProposal']>;
  resolvePaymentException: Call<RefundService['resolveException']>;
  recheckPayment: Call<PaymentService['recheck']>;
  saveRoutingRules: Call<RoutingService['saveRules']>;
  saveWarehouse: Call<RoutingService['saveWarehouse']>;
  saveSkuTraits: Call<RoutingService['saveSkuTraits']>;
  runRouting: Call<RoutingService['run']>;
  createWave: Call<WarehouseFlowService['createWave']>;
  confirmPicked: Call<WarehouseFlowService['confirmPicked']>;
  scanShipment: Call<WarehouseFlowService['scan']>;
  shipShipment: Call<WarehouseFlowService['ship']>;
  recordTracking(d: TrackingDelivery): Promise<TrackingOutcome>;
  createTrackingAccount: Call<TrackingAccountService['create']>;
  updateTrackingAccount: Call<TrackingAccountService['update']>;
  deleteTrackingAccount: Call<TrackingAccountService['remove']>;
  reportNotReceived: Call<TrackingService['reportNotReceived']>;
  saveTrackingSettings: Call<TrackingService['saveSettings']>;
  createWmsAccount: Call<WmsService['create']>;
  updateWmsAccount: Call<WmsService['update']>;
  rotateWmsSecret: Call<WmsService['rotateSecret']>;
  deleteWmsAccount: Call<WmsService['remove']>;
  recordWmsPush(p: WmsPush): Promise<WmsOutcome>;
  /** Job leases (platform/jobs/leases.ts): writes like any other, so on SQLite they run in the writer thread. */
  acquireLease: LeaseStore['acquire'];
  renewLease: LeaseStore['renew'];
  releaseLease: LeaseStore['release'];
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
  'createUser',
  'updateUser',
  'saveRole',
  'deleteRole',
  'recordSignIn',
  'signOut',
  'createToken',
  'revokeToken',
  'touchToken',
  'recordAudit',
  'requestPriceChange',
  'adjustStock',
  'deleteAccount',
  'deleteUser',
  'decideApproval',
  'withdrawApproval',
  'addOrderNote',
  'recordPull',
  'recordDrift',
  'acknowledgeAlert',
  'replayRawEvent',
  'recordPaymentNotice',
  'createPaymentAccount',
  'updatePaymentAccount',
  'requestRefund',
  'decideRefundProposal',
  'resolvePaymentException',
  'recheckPayment',
  'saveRoutingRules',
  'saveWarehouse',
  'saveSkuTraits',
  'runRouting',
  'createWave',
  'confirmPicked',
  'scanShipment',
  'shipShipment',
  'recordTracking',
  'createTrackingAccount',
  'updateTrackingAccount',
  'deleteTrackingAccount',
  'reportNotReceived',
  'saveTrackingSettings',
  'createWmsAccount',
  'updateWmsAccount',
  'rotateWmsSecret',
  'deleteWmsAccount',
  'recordWmsPush',
  'acquireLease',
  'renewLease',
  'releaseLease',
];

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
  leases: LeaseStore;
}

export function localWrites(s: WriteServices): WriteApi {
  return {
    ingest: (d) => s.ingest.submit(d),
    createAccount: (who, input) => s.accounts.create(who, input),
    updateAccount: (who, id, patch) => s.accounts.update(who, id, patch),
    setStock: (who, input) => s.stock.set(who, input),
    mapSku: (who, input) => s.stock.mapSku(who, input),
    transitionOrder: (who, id, to, reason) => s.orders.transition(who, id, to, reason),
    retryReservation: (who, id) => s.orders.retryReservation(who, id),
    createWebhook: (who, input) => s.webhooks.create(who, input),
    removeWebhook: (who, id) => s.webhooks.remove(who, id),
    createUser: (who, input) => s.people.createUser(who, input),
    updateUser: (who, id, patch) => s.people.updateUser(who, id, patch),
    saveRole: (who, input) => s.people.saveRole(who, input),
    deleteRole: (who, name) => s.people.deleteRole(who, name),
    recordSignIn: (who, input) => s.people.recordSignIn(who, input),
    signOut: (who) => s.people.signOut(who),
    createToken: (who, input) => s.people.createToken(who, input),
    revokeToken: (who, id) => s.people.revokeToken(who, id),
    touchToken: (id, at) => s.people.touchToken(id, at),
    recordAudit: (who, entry) => s.people.record(who, entry),
    requestPriceChange: (who, id, input) => s.orders.requestPriceChange(who, id, input),
    adjustStock: (who, input) => s.stock.requestAdjustments(who, input),
    deleteAccount: (who, id, reason) => s.accounts.requestDelete(who, id, reason),
    deleteUser: (who, id, reason) => s.people.requestDeleteUser(who, id, reason),
    decideApproval: (who, id, input) => s.approvals.decide(who, id, input),
    withdrawApproval: (who, id) => s.approvals.withdraw(who, id),
    addOrderNote: (who, id, text) => s.orders.addNote(who, id, text),
    recordPull: (r) => s.integration.recordPull(r),
    recordDrift: (r) => s.integration.recordDrift(r),
    acknowledgeAlert: (who, id) => s.integration.acknowledgeAlert(who, id),
    replayRawEvent: (who, id) => s.integration.replay(who, id),
    recordPaymentNotice: (d) => s.payments.recordNotice(d),
    createPaymentAccount: (who, input) => s.paymentAccounts.create(who, input),
    updatePaymentAccount: (who, id, patch) => s.paymentAccounts.update(who, id, patch),
    requestRefund: (who, id, input) => s.refunds.requestRefund(who, id, input),
    decideRefundProposal: (who, id, input) => s.refunds.decideProposal(who, id, input),
    resolvePaymentException: (who, id, note) => s.refunds.resolveException(who, id, note),
    recheckPayment: (who, id) => s.payments.recheck(who, id),
    saveRoutingRules: (who, rules) => s.routing.saveRules(who, rules),
    saveWarehouse: (who, code, input) => s.routing.saveWarehouse(who, code, input),
    saveSkuTraits: (who, sku, input) => s.routing.saveSkuTraits(who, sku, input),
    runRouting: (who, input, now) => s.routing.run(who, input, now),
    createWave: (who, input) => s.warehouseFlow.createWave(who, input),
    confirmPicked: (who, waveId) => s.warehouseFlow.confirmPicked(who, waveId),
    scanShipment: (who, id, codes) => s.warehouseFlow.scan(who, id, codes),
    shipShipment: (who, id, input) => s.warehouseFlow.ship(who, id, input),
    recordTracking: (d) => s.tracking.record(d),
    createTrackingAccount: (who, input) => s.trackingAccounts.create(who, input),
    updateTrackingAccount: (who, id, patch) => s.trackingAccounts.update(who, id, patch),
    deleteTrackingAccount: (who, id) => s.trackingAccounts.remove(who, id),
    reportNotReceived: (who, id, input) => s.tracking.reportNotReceived(who, id, input),
    saveTrackingSettings: (who, patch) => s.tracking.saveSettings(who, patch),
    createWmsAccount: (who, input) => s.wms.create(who, input),
    updateWmsAccount: (who, id, patch) => s.wms.update(who, id, patch),
    rotateWmsSecret: (who, id) => s.wms.rotateSecret(who, id),
    deleteWmsAccount: (who, id) => s.wms.remove(who, id),
    recordWmsPush: (p) => s.wms.apply(p),
    acquireLease: (name, holder, ttlMs) => s.leases.acquire(name, holder, ttlMs),
    renewLease: (lease, ttlMs) => s.leases.renew(lease, ttlMs),
    releaseLease: (lease) => s.leases.release(lease),
  };
}
