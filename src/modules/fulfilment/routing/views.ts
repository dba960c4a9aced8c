// Routing as its use cases and callers see it: the request and its outcome, warehouses and SKU traits as stored, the
// rules used until a tenant saves its own, and the small helpers the routing files share.
import type { Reader } from '../../../platform/db/database.ts';
import type { Lease } from '../../../platform/jobs/leases.ts';
import type { RoutableOrder } from '../../orders/store/fulfilment.ts';
import type { DispatchPlan, PlanProblem, RoutingRule } from './planner.ts';

/** What both a write transaction and the read connection can answer. */
export type Query = Reader;

/** Used until a tenant saves its own: region first, then as few parcels as possible, then warehouse priority. */
export const defaultRoutingRules: RoutingRule[] = [{ kind: 'prefer_region' }, { kind: 'fewest_shipments' }, { kind: 'prefer_priority' }];

/** The tenant's rules as the console shows them. */
export interface RoutingRulesView {
  rules: RoutingRule[];
  version: number;
  updatedAt: string | null;
  updatedBy: string | null;
  isDefault: boolean;
}

/** A carrier collecting at a warehouse, as stored (the planner's CarrierOption). */
export interface CarrierSetting {
  code: string;
  regions?: string[] | undefined;
  maxParcelGrams?: number | undefined;
  available?: boolean | undefined;
}

export interface WarehouseSettings {
  code: string;
  name: string;
  priority: number;
  regions: string[];
  dailyCapacity: number;
  canClearCustoms: boolean;
  /** Carriers collecting there; null = the carrier is chosen at packing. */
  carriers: CarrierSetting[] | null;
  usedToday: number;
}

export interface SkuTraitsView {
  sku: string;
  allowedWarehouses: string[] | null;
  promisedShipHours: number;
  weightGrams: number;
  needsCustomsClearance: boolean;
  /** False when the SKU has no traits saved and routing uses the defaults. */
  configured: boolean;
}

/** Why an order was not routed: the planner's reasons, or why it was not eligible. */
export interface RoutingReason {
  code: string;
  orderId: string;
  lineId?: string | undefined;
  sku?: string | undefined;
  message: string;
}

/**
 * What the automatic runner routes (instead of named orders): paid, unrouted orders whose merge window has passed and
 * that were not tried lately, so an unroutable order waits out the retry interval instead of heading every batch.
 */
export interface DueOrders {
  /** Orders paid at or before this time. */
  paidBefore: number;
  /** Orders last tried at or after this time are left for later. */
  checkedBefore: number;
  /** Orders left out: ones whose routing failed with an error lately. */
  skip?: string[] | undefined;
}

/** Which orders to route: the ones named, the due ones, or every paid unrouted one; or plans reviewed earlier. */
export interface RoutingRequest {
  orderIds?: string[] | undefined;
  due?: DueOrders | undefined;
  limit?: number | undefined;
  plans?: DispatchPlan[] | undefined;
  /** The auto-routing runner's lease: the run commits only while it is still held (platform/jobs/leases.ts). */
  lease?: Lease | undefined;
}

export interface RoutingOutcome {
  plans: DispatchPlan[];
  unplanned: { orderIds: string[]; reasons: RoutingReason[] }[];
  problems: PlanProblem[];
  /** True when the plans were committed. */
  committed: boolean;
}

/** An order as routing reads it (the orders module's). */
export type OrderRow = RoutableOrder;

export const key = (a: string, b: string): string => `${a}\u0000${b}`;

export const parseJson = <T>(s: string | null, fallback: T): T => (s === null ? fallback : (JSON.parse(s) as T));
