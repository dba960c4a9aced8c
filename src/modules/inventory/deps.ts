// What the inventory module's use cases are given: built once by StockService, passed to each command and query.
import type { Database } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { ApprovalService } from '../access/approvals.ts';
import type { LifecycleSettings } from '../orders/lifecycle.ts';

export interface StockSettings extends LifecycleSettings {
  sellableRatio: number;
}

export interface StockDeps {
  db: Database;
  settings: StockSettings;
  keyring: Keyring;
  approvals: ApprovalService;
}
