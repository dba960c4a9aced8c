// Connecting a WMS to a warehouse: the account, its signing secret (encrypted) and its status dictionary, audited,
// with an event.
import { HubError } from '../../../kernel/errors.ts';
import { newId } from '../../../kernel/ids.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { WmsDeps } from '../deps.ts';
import { wmsAccountFor } from '../queries/wms-account.ts';
import { dictionaryProblems, sealSecrets, wmsInScope, type WmsAccount, type WmsAccountInput } from '../wms/views.ts';

export async function createWmsAccount(deps: WmsDeps, who: Principal, input: WmsAccountInput, now = Date.now()): Promise<WmsAccount> {
  const name = input.name.trim();
  const warehouse = input.warehouse.trim();
  const problems = [
    ...(name ? [] : ['name must not be empty']),
    ...(warehouse ? [] : ['warehouse must not be empty']),
    ...(input.secret.length >= 16 ? [] : ['secret must be at least 16 characters']),
    ...dictionaryProblems(input.dictionary),
  ];
  if (problems.length) throw new HubError('VALIDATION_FAILED', problems.join('; '), { errors: problems });
  // The account moves every shipment of its warehouse: only someone who may work that warehouse may add it.
  if (!wmsInScope(who, warehouse)) throw new HubError('FORBIDDEN', `${who.name} may not connect a WMS to warehouse ${warehouse}`);
  // A typo would make an account whose every push finds no shipment.
  const known = await deps.db.read.get<{ code: string }>('SELECT code FROM warehouses WHERE tenant_id = ? AND code = ?', [who.tenantId, warehouse]);
  if (!known) throw new HubError('VALIDATION_FAILED', `warehouse ${warehouse} does not exist: add it (or stock in it) first`, { errors: [`unknown warehouse ${warehouse}`] });
  const id = newId(now);
  await deps.db.transaction(async (tx) => {
    await tx.run(`INSERT INTO wms_accounts (id, tenant_id, name, warehouse, secret, dictionary, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)`, [
      id,
      who.tenantId,
      name,
      warehouse,
      sealSecrets(deps.keyring, { secret: input.secret }),
      JSON.stringify(input.dictionary),
      now,
      now,
    ]);
    await appendAudit(tx, deps.keyring, who, { action: 'wms_account.create', targetType: 'wms_account', targetId: id, after: { name, warehouse, dictionary: input.dictionary } }, now);
    await appendEvent(tx, { tenantId: who.tenantId, type: 'wms_account.created', aggregateType: 'wms_account', aggregateId: id, at: now, payload: { id, name, warehouse } });
  });
  deps.cache.forget(id);
  return wmsAccountFor(deps, who, id);
}
