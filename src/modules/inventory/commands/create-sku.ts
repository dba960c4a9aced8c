// A person adds a SKU to the catalogue (商品对应: "create the SKU" for a listing or an order line the hub had no SKU
// for), with a title; audited. Stock comes later (a count, a receipt): until then it is a SKU with nothing on hand.
import { HubError } from '../../../kernel/errors.ts';
import { requirePermission, type Principal } from '../../../kernel/principal.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import type { StockDeps } from '../deps.ts';
import { skuCatalog } from '../store/stock.ts';

export async function createSku(deps: StockDeps, who: Principal, input: { sku: string; title: string }, now = Date.now()): Promise<{ sku: string; title: string }> {
  requirePermission(who, 'stock.adjust');
  const title = input.title.trim();
  await deps.db.transaction(async (tx) => {
    const n = await tx.run('INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, sku) DO NOTHING', [who.tenantId, input.sku, title, now]);
    if (n === 0) throw new HubError('SKU_EXISTS', `SKU ${input.sku} exists already: map to it instead`);
    skuCatalog.version++;
    await appendEvent(tx, { tenantId: who.tenantId, type: 'sku.created', aggregateType: 'sku', aggregateId: input.sku, at: now, payload: { sku: input.sku, title } });
    await appendAudit(tx, deps.keyring, who, { action: 'sku.create', targetType: 'sku', targetId: input.sku, before: null, after: { title } }, now);
  });
  return { sku: input.sku, title };
}
