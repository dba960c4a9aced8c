// A person deletes a bundle definition (组合装): the SKU stays in the catalogue as a plain SKU with no stock.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { appendAudit } from '../../access/audit.ts';
import type { StockDeps } from '../deps.ts';
import { bundleCatalog } from '../store/bundles.ts';
import { openReservationsOf, takeBundleRows } from './define-bundle.ts';

/** Deletes a bundle; BUNDLE_NOT_FOUND when there is none, BUNDLE_IN_USE while an open reservation serves it. */
export async function deleteBundle(deps: StockDeps, who: Principal, sku: string, now = Date.now()): Promise<{ deleted: string }> {
  await deps.db.transaction(async (tx) => {
    const before = await takeBundleRows(tx, who.tenantId, sku);
    if (before.length === 0) throw new HubError('BUNDLE_NOT_FOUND', `${sku} is not a bundle`);
    const open = await openReservationsOf(tx, who.tenantId, sku);
    if (open.rows > 0) {
      throw new HubError('BUNDLE_IN_USE', `bundle ${sku} has open reservations (orders ${open.orders.join(', ')}); it can be deleted once those orders ship or are cancelled`, {
        sku,
        orders: open.orders,
      });
    }
    bundleCatalog.version++;
    await appendAudit(tx, deps.keyring, who, { action: 'bundle.delete', targetType: 'bundle', targetId: sku, before: { components: before }, after: null }, now);
  });
  return { deleted: sku };
}
