// What the fulfilment use cases are given: built once by each façade (RoutingService, WarehouseFlowService,
// WmsService) and passed to each command and query.
import type { AccountCache } from '../../platform/account-cache.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';
import type { WarehouseFlowService } from './warehouse-flow.ts';
import type { PushAccount } from './wms/views.ts';

export interface RoutingSettings {
  /** The seller's day, for daily warehouse capacity. */
  timezone: string;
  /** Promised ship hours of a SKU that has no fulfilment traits yet. */
  defaultShipHours: number;
}

export interface RoutingDeps {
  db: Database;
  keyring: Keyring;
  settings: RoutingSettings;
}

export interface WarehouseFlowDeps {
  db: Database;
  keyring: Keyring;
  /** Shipping an order's last shipment moves the order to `shipped` on the anchor. */
  lifecycle: LifecycleSettings;
}

export interface WmsDeps {
  db: Database;
  keyring: Keyring;
  /** A push is applied through the warehouse-flow steps the console uses. */
  flow: WarehouseFlowService;
  /** The accounts the push path looks up, kept a few seconds (see WmsService). */
  cache: AccountCache<PushAccount>;
}
