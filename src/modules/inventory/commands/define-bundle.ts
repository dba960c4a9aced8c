// A person defines a bundle (组合装): a hub SKU sold as component SKUs with quantities. All or nothing: a refused
// definition leaves the old one (or none) exactly as it was.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import type { Tx } from '../../../platform/db/database.ts';
import { appendAudit } from '../../access/audit.ts';
import type { StockDeps } from '../deps.ts';
import { definitionProblem, type BundleComponent } from '../domain/bundles.ts';
import { bundleView, type BundleView } from '../queries/bundles.ts';
import { bundleCatalog, readBundles } from '../store/bundles.ts';
import { knownSkus } from '../store/catalogue.ts';
import { skuCatalog } from '../store/stock.ts';

/**
 * Bundle writes of a tenant one at a time (PostgreSQL; SQLite has one writer): two definitions deciding at once could
 * each make the other's bundle a component. Then the definition rows are deleted, which on PostgreSQL waits for any
 * transaction reserving by them (they read the rows FOR SHARE, store/bundles.ts) — so the open reservations counted
 * next include every order that reserved by the old definition.
 */
export async function takeBundleRows(tx: Tx, tenant: string, sku: string): Promise<BundleComponent[]> {
  if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(hashtext(?))', [`bundles:${tenant}`]);
  const before = (await readBundles(tx, tenant, [sku])).get(sku) ?? [];
  await tx.run('DELETE FROM bundle_components WHERE tenant_id = ? AND bundle_sku = ?', [tenant, sku]);
  return before;
}

/** Open (held or deducted) reservations that serve lines of this bundle, and the orders they belong to (a few). */
export async function openReservationsOf(tx: Tx, tenant: string, sku: string): Promise<{ rows: number; orders: string[] }> {
  const rows = await tx.all<{ order_id: string }>(
    `SELECT order_id FROM reservations WHERE tenant_id = ? AND bundle_sku = ? AND state IN ('held', 'deducted')`,
    [tenant, sku],
  );
  return { rows: rows.length, orders: [...new Set(rows.map((r) => r.order_id))].sort().slice(0, 10) };
}

const same = (a: readonly BundleComponent[], b: readonly BundleComponent[]): boolean =>
  a.length === b.length && a.every((c, i) => c.sku === b[i]?.sku && c.quantity === b[i]?.quantity);

/**
 * Defines (or redefines) a bundle. Refused with BUNDLE_INVALID when a component is unknown, is itself a bundle, is the
 * bundle, is named twice or has no whole quantity ≥ 1, when the bundle is another bundle's component, or when the
 * SKU holds stock of its own; with BUNDLE_IN_USE when its components would change while an open reservation serves
 * it (the orders already reserved by the old definition would ship other units than they took): those orders must
 * ship or be cancelled first.
 */
export async function defineBundle(
  deps: StockDeps,
  who: Principal,
  input: { sku: string; components: BundleComponent[] },
  now = Date.now(),
): Promise<BundleView> {
  const tenant = who.tenantId;
  const components = input.components.map((c) => ({ sku: c.sku.trim(), quantity: c.quantity }));
  await deps.db.transaction(async (tx) => {
    const before = await takeBundleRows(tx, tenant, input.sku);
    const wanted = components.map((c) => c.sku);
    const facts = {
      knownSkus: new Set(await knownSkus(tx, tenant, wanted)),
      bundles: new Set((await readBundles(tx, tenant, wanted)).keys()),
      componentsOfBundles: new Set(
        (await tx.all<{ component_sku: string }>('SELECT component_sku FROM bundle_components WHERE tenant_id = ? AND component_sku = ? LIMIT 1', [tenant, input.sku])).map(
          (r) => r.component_sku,
        ),
      ),
    };
    const problem = definitionProblem(input.sku, components, facts);
    if (problem) throw new HubError('BUNDLE_INVALID', problem, { sku: input.sku });
    const own = await tx.get<{ on_hand: number | null; reserved: number | null }>('SELECT SUM(on_hand) AS on_hand, SUM(reserved) AS reserved FROM stock WHERE tenant_id = ? AND sku = ?', [
      tenant,
      input.sku,
    ]);
    if (Number(own?.on_hand ?? 0) > 0 || Number(own?.reserved ?? 0) > 0) {
      throw new HubError(
        'BUNDLE_INVALID',
        `${input.sku} holds stock of its own (${Number(own?.on_hand ?? 0)} on hand, ${Number(own?.reserved ?? 0)} reserved); a bundle holds none: count it to 0 first`,
        { sku: input.sku },
      );
    }
    if (before.length && !same(before, components)) {
      const open = await openReservationsOf(tx, tenant, input.sku);
      if (open.rows > 0) {
        throw new HubError(
          'BUNDLE_IN_USE',
          `bundle ${input.sku} has open reservations (orders ${open.orders.join(', ')}); its components can change once those orders ship or are cancelled`,
          { sku: input.sku, orders: open.orders },
        );
      }
    }
    if ((await tx.run(`INSERT INTO skus (tenant_id, sku, title, created_at) VALUES (?, ?, '', ?) ON CONFLICT (tenant_id, sku) DO NOTHING`, [tenant, input.sku, now])) > 0) {
      skuCatalog.version++;
    }
    let place = 0;
    for (const c of components) {
      await tx.run('INSERT INTO bundle_components (tenant_id, bundle_sku, component_sku, quantity, place, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
        tenant,
        input.sku,
        c.sku,
        c.quantity,
        ++place,
        now,
      ]);
    }
    bundleCatalog.version++;
    await appendAudit(
      tx,
      deps.keyring,
      who,
      { action: before.length ? 'bundle.update' : 'bundle.create', targetType: 'bundle', targetId: input.sku, before: before.length ? { components: before } : null, after: { components } },
      now,
    );
  });
  return bundleView(deps, who, input.sku);
}
