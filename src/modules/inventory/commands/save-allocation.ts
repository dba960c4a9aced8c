// A person sets a channel account's share of stock (ratio, safety stock, sync on or off), or gives a SKU to one
// account only: audited, and the stock sync re-pushes the listings concerned (stock.allocation_changed).
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { isUnlimited } from '../../../kernel/scope.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { channelAccountExists } from '../../channels/queries/accounts.ts';
import type { StockDeps } from '../deps.ts';
import { accountAllocation, exclusiveAccountOf, type AllocationView } from '../queries/allocation.ts';

export interface AllocationInput {
  accountId: string;
  ratioPct: number;
  safetyStock: number;
  syncEnabled: boolean;
}

function checkAccountScope(who: Principal, accountId: string): void {
  // A shop-scoped person may change only the shops they see; others answer like a shop that does not exist.
  if (who.scope.accounts !== null && !who.scope.accounts.includes(accountId)) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${accountId} not found`);
}

export async function saveAllocation(deps: StockDeps, who: Principal, input: AllocationInput, now = Date.now()): Promise<AllocationView> {
  checkAccountScope(who, input.accountId);
  if (!Number.isInteger(input.ratioPct) || input.ratioPct < 0 || input.ratioPct > 100) throw new HubError('VALIDATION_FAILED', 'ratioPct must be a whole percent from 0 to 100');
  if (!Number.isInteger(input.safetyStock) || input.safetyStock < 0) throw new HubError('VALIDATION_FAILED', 'safetyStock must be a whole number of units, 0 or more');
  if (!(await channelAccountExists(deps.db.read, who.tenantId, input.accountId))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${input.accountId} not found`);
  await deps.db.transaction(async (tx) => {
    const before = await accountAllocation(tx, who.tenantId, input.accountId);
    await tx.run(
      `INSERT INTO stock_allocation (tenant_id, account_id, ratio_pct, safety_stock, sync_enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, account_id) DO UPDATE SET ratio_pct = excluded.ratio_pct, safety_stock = excluded.safety_stock, sync_enabled = excluded.sync_enabled, updated_at = excluded.updated_at`,
      [who.tenantId, input.accountId, input.ratioPct, input.safetyStock, input.syncEnabled ? 1 : 0, now],
    );
    await appendEvent(tx, { tenantId: who.tenantId, type: 'stock.allocation_changed', aggregateType: 'stock_allocation', aggregateId: input.accountId, at: now, payload: { accountId: input.accountId, sku: null } });
    const after = { ratioPct: input.ratioPct, safetyStock: input.safetyStock, syncEnabled: input.syncEnabled };
    await appendAudit(tx, deps.keyring, who, { action: 'stock.allocation', targetType: 'channel_account', targetId: input.accountId, before, after }, now);
  });
  return { accountId: input.accountId, ratioPct: input.ratioPct, safetyStock: input.safetyStock, syncEnabled: input.syncEnabled, updatedAt: now };
}

/** Gives a SKU to one account only (the others' listings of it get 0), or ends that with accountId null. */
export async function setExclusive(deps: StockDeps, who: Principal, input: { sku: string; accountId: string | null }, now = Date.now()): Promise<{ sku: string; accountId: string | null }> {
  if (!isUnlimited(who.scope)) throw new HubError('FORBIDDEN', 'giving a SKU to one shop changes what every shop may sell: it needs an unlimited scope');
  if (input.accountId !== null && !(await channelAccountExists(deps.db.read, who.tenantId, input.accountId))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${input.accountId} not found`);
  if (!(await deps.db.read.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, input.sku]))) throw new HubError('SKU_NOT_FOUND', `SKU ${input.sku} is not known to the hub`);
  await deps.db.transaction(async (tx) => {
    const before = await exclusiveAccountOf(tx, who.tenantId, input.sku);
    if (input.accountId === null) await tx.run('DELETE FROM stock_exclusive WHERE tenant_id = ? AND sku = ?', [who.tenantId, input.sku]);
    else
      await tx.run(
        `INSERT INTO stock_exclusive (tenant_id, sku, account_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, sku) DO UPDATE SET account_id = excluded.account_id, updated_at = excluded.updated_at`,
        [who.tenantId, input.sku, input.accountId, now],
      );
    await appendEvent(tx, { tenantId: who.tenantId, type: 'stock.allocation_changed', aggregateType: 'stock_allocation', aggregateId: input.sku, at: now, payload: { accountId: null, sku: input.sku } });
    await appendAudit(tx, deps.keyring, who, { action: 'stock.exclusive', targetType: 'sku', targetId: input.sku, before: { accountId: before }, after: { accountId: input.accountId } }, now);
  });
  return { sku: input.sku, accountId: input.accountId };
}
