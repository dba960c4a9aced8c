// What the orders module's use cases are given: built once by OrderService, passed to each command and query.
import type { Database } from '../../platform/db/database.ts';
import type { Keyring } from '../../platform/security/keyring.ts';
import type { ApprovalService } from '../access/approvals.ts';
import type { LifecycleSettings } from './lifecycle.ts';

export interface OrderDeps {
  db: Database;
  settings: LifecycleSettings;
  keyring: Keyring;
  approvals: ApprovalService;
  /** Called after a seller remark committed with a platform write (the hub wakes the outbound worker). */
  onRemark?: (() => void) | undefined;
}
