// What a user must satisfy to be saved (created or changed): roles that exist, and a scope its saver may give.
import { HubError } from '../../kernel/errors.ts';
import { builtinRole } from '../../kernel/permissions.ts';
import type { Principal } from '../../kernel/principal.ts';
import { isWithin, parseScope, unlimitedScope, type DataScope } from '../../kernel/scope.ts';
import type { Tx } from '../../platform/db/database.ts';
import { channelAccountExists } from '../channels/queries/accounts.ts';
import { warehouseExists } from '../fulfilment/store/warehouses.ts';

export async function checkRoles(tx: Tx, tenantId: string, roles: readonly string[]): Promise<void> {
  if (roles.length === 0) throw new HubError('VALIDATION_FAILED', 'a user needs at least one role');
  for (const r of roles) {
    if (builtinRole(r)) continue;
    const row = await tx.get('SELECT name FROM roles WHERE tenant_id = ? AND name = ?', [tenantId, r]);
    if (!row) throw new HubError('ROLE_NOT_FOUND', `role ${r} does not exist`);
  }
}

/**
 * A scope to save for a user: read strictly (absent or null: no limit), naming only shops and warehouses the tenant
 * has, and never wider than the scope of whoever saves it.
 */
export async function scopeToSave(tx: Tx, who: Principal, input: unknown): Promise<DataScope> {
  const scope = input === undefined || input === null ? { ...unlimitedScope } : parseScope(input);
  for (const [i, id] of (scope.accounts ?? []).entries()) {
    if (!(await channelAccountExists(tx, who.tenantId, id))) throw new HubError('VALIDATION_FAILED', `scope.accounts[${i}]: there is no channel account ${id}`, { path: `scope.accounts[${i}]` });
  }
  for (const [i, code] of (scope.warehouses ?? []).entries()) {
    if (!(await warehouseExists(tx, who.tenantId, code))) throw new HubError('VALIDATION_FAILED', `scope.warehouses[${i}]: there is no warehouse ${code}`, { path: `scope.warehouses[${i}]` });
  }
  if (!isWithin(scope, who.scope)) {
    throw new HubError('FORBIDDEN', `${who.name} may only give a scope inside its own`, { scope: who.scope });
  }
  return scope;
}
