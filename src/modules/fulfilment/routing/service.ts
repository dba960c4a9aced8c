// Routing paid orders to warehouses (分单): the world read from the database, the pure planner, its dry run, and the
// commit of dispatch plans — shipments, lines, stock moved between warehouses, events and history in one transaction.
//
// A façade: each method is one use case in the fulfilment module's commands/ (writes) or queries/ (reads); the routing
// world and planning loop both use are in world.ts. The command registry (app/commands.ts), the hub, the routes and
// the automatic runner call these methods by name.
import type { Principal } from '../../../kernel/principal.ts';
import type { Database } from '../../../platform/db/database.ts';
import type { Keyring } from '../../../platform/security/keyring.ts';
import type { RoutingDeps, RoutingSettings } from '../deps.ts';
import type { CarrierSetting, DueOrders, RoutingOutcome, RoutingRequest, RoutingRulesView, SkuTraitsView, WarehouseSettings } from './views.ts';
import { routingRules } from '../queries/routing-rules.ts';
import { listWarehouses } from '../queries/list-warehouses.ts';
import { listSkuTraits } from '../queries/list-sku-traits.ts';
import { dueOrderIds, tenantsWithDueRouting } from '../queries/due-orders.ts';
import { routingDryRun } from '../queries/dry-run.ts';
import { saveRoutingRules } from '../commands/save-routing-rules.ts';
import { saveWarehouse } from '../commands/save-warehouse.ts';
import { saveSkuTraits } from '../commands/save-sku-traits.ts';
import { runRouting } from '../commands/run-routing.ts';

// Where these lived before the split; importers keep naming this file.
export type { RoutingSettings } from '../deps.ts';
export { defaultRoutingRules } from './views.ts';
export type { CarrierSetting, DueOrders, RoutingOutcome, RoutingReason, RoutingRequest, RoutingRulesView, SkuTraitsView, WarehouseSettings } from './views.ts';

export class RoutingService {
  private readonly deps: RoutingDeps;

  constructor(db: Database, keyring: Keyring, settings: RoutingSettings) {
    this.deps = { db, keyring, settings };
  }

  // ---------- Configuration ----------

  getRules(who: Principal): Promise<RoutingRulesView> {
    return routingRules(this.deps, who);
  }

  /** Replaces the tenant's rules after checking them whole (loadRoutingRules): a bad set is refused, never half-saved. */
  saveRules(who: Principal, input: unknown[], now = Date.now()): Promise<RoutingRulesView> {
    return saveRoutingRules(this.deps, who, input, now);
  }

  listWarehouses(who: Principal, now = Date.now()): Promise<WarehouseSettings[]> {
    return listWarehouses(this.deps, who, now);
  }

  /** Creates or changes a warehouse's routing attributes. */
  saveWarehouse(
    who: Principal,
    code: string,
    input: { name?: string | undefined; priority?: number | undefined; regions?: string[] | undefined; dailyCapacity?: number | undefined; canClearCustoms?: boolean | undefined; carriers?: CarrierSetting[] | null | undefined },
    now = Date.now(),
  ): Promise<WarehouseSettings> {
    return saveWarehouse(this.deps, who, code, input, now);
  }

  listSkuTraits(who: Principal): Promise<SkuTraitsView[]> {
    return listSkuTraits(this.deps, who);
  }

  saveSkuTraits(
    who: Principal,
    sku: string,
    input: { allowedWarehouses?: string[] | null | undefined; promisedShipHours: number; weightGrams: number; needsCustomsClearance?: boolean | undefined },
    now = Date.now(),
  ): Promise<SkuTraitsView> {
    return saveSkuTraits(this.deps, who, sku, input, now);
  }

  // ---------- Routing ----------

  /** Tenants with orders due for the automatic runner. */
  tenantsWithDueOrders(due: DueOrders): Promise<string[]> {
    return tenantsWithDueRouting(this.deps, due);
  }

  /** The ids of a tenant's due orders (the runner routes them one by one when a batch of them fails). */
  dueOrderIds(tenant: string, due: DueOrders, limit: number): Promise<string[]> {
    return dueOrderIds(this.deps, tenant, due, limit);
  }

  /** A plan and its problems, written nowhere. With `plans`, checks those (e.g. reviewed earlier) against the world now. */
  dryRun(who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
    return routingDryRun(this.deps, who, input, now);
  }

  /**
   * Routes paid orders and commits the plans in one transaction: shipments and lines, stock moved where a plan ships
   * from another warehouse than the one payment took it from, reservations rewritten, history, events, audit. A plan
   * the world no longer allows (stock taken meanwhile) is refused whole (ROUTING_PLAN_STALE): nothing is written.
   */
  run(who: Principal, input: RoutingRequest, now = Date.now()): Promise<RoutingOutcome> {
    return runRouting(this.deps, who, input, now);
  }
}
