// A person maps a platform's SKU code to a hub SKU; orders held as "SKU unmatched" are matched and reserved.
import { HubError } from '../../../kernel/errors.ts';
import type { Principal } from '../../../kernel/principal.ts';
import { contains } from '../../../kernel/scope.ts';
import { appendEvent } from '../../../platform/outbox/append.ts';
import { appendAudit } from '../../access/audit.ts';
import { channelAccountExists } from '../../channels/queries/accounts.ts';
import { matchListingsByCode } from '../../channels/store/listings.ts';
import { tryReserve } from '../../orders/lifecycle.ts';
import { lockOrders, matchLines, ordersUnmatchedFor, skusOfOrders } from '../../orders/store/orders.ts';
import type { StockDeps } from '../deps.ts';
import { visibleOrderNos } from '../held-orders.ts';
import { lockStock, skuCatalog } from '../store/stock.ts';

/**
 * Maps a platform's SKU code to a hub SKU (for one account, or all when accountId is empty);
 * orders held as "SKU unmatched" are re-matched and reserved.
 */
export async function mapSku(
  deps: StockDeps,
  who: Principal,
  input: { externalSku: string; sku: string; accountId?: string | undefined },
  now = Date.now(),
): Promise<{ rematchedOrders: string[] }> {
  const accountId = input.accountId ?? '';
  // A mapping for every account ('') would reach shops outside an account-scoped principal's scope.
  if (!contains(who.scope, 'channel_account', { accounts: [accountId] })) {
    throw new HubError('FORBIDDEN', `${who.name} may only map SKUs for the channel accounts in scope: name one of them as accountId`, {
      accounts: who.scope.accounts,
    });
  }
  const rematched = await deps.db.transaction(async (tx) => {
    // An account is named inside the caller's organisation: another seller's account id does not exist here.
    if (accountId !== '') {
      if (!(await channelAccountExists(tx, who.tenantId, accountId))) throw new HubError('ACCOUNT_NOT_FOUND', `channel account ${accountId} does not exist`);
    }
    const previous = await tx.get<{ sku: string }>('SELECT sku FROM sku_aliases WHERE tenant_id = ? AND account_id = ? AND external_sku = ?', [
      who.tenantId,
      accountId,
      input.externalSku,
    ]);
    const known = await tx.get('SELECT 1 AS x FROM skus WHERE tenant_id = ? AND sku = ?', [who.tenantId, input.sku]);
    if (!known) throw new HubError('SKU_NOT_FOUND', `SKU ${input.sku} is not known to the hub; set its stock first`);
    await tx.run(
      `INSERT INTO sku_aliases (tenant_id, account_id, external_sku, sku, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, account_id, external_sku) DO UPDATE SET sku = excluded.sku`,
      [who.tenantId, accountId, input.externalSku, input.sku, now],
    );
    skuCatalog.version++;
    const affected = await ordersUnmatchedFor(tx, who.tenantId, accountId, input.externalSku);
    // The orders first, then every stock row their lines will name once matched (the one lock order).
    const locked = await lockOrders(tx, affected);
    await lockStock(tx, who.tenantId, [input.sku, ...(await skusOfOrders(tx, [...locked.keys()]))]);
    const out: string[] = [];
    for (const order_id of [...locked.keys()]) {
      await matchLines(tx, order_id, input.externalSku, input.sku);
      const o = locked.get(order_id);
      if (o && o.hold_code === 'SKU_UNMATCHED' && o.status !== 'cancelled') {
        await tryReserve(tx, o, { source: 'system', cause: `SKU ${input.externalSku} mapped to ${input.sku}`, at: now }, deps.settings);
        out.push(o.order_no);
      }
    }
    // The shop's listings with that merchant code are this SKU too (商品对应): matched in the same transaction, after
    // the orders and stock rows (listing rows are not in the lock order: nothing waits on them before stock).
    const listings = await matchListingsByCode(tx, who.tenantId, accountId, input.externalSku, input.sku, now);
    await appendEvent(tx, {
      tenantId: who.tenantId,
      type: 'sku.mapped',
      aggregateType: 'sku',
      aggregateId: input.sku,
      at: now,
      payload: { externalSku: input.externalSku, sku: input.sku, accountId: accountId || null, rematchedOrders: out },
    });
    await appendAudit(
      tx,
      deps.keyring,
      who,
      {
        action: 'sku.map',
        targetType: 'sku_alias',
        targetId: `${accountId || '*'}:${input.externalSku}`,
        before: previous ? { sku: previous.sku } : null,
        after: { sku: input.sku },
        detail: { rematchedOrders: out, listingsMatched: listings },
      },
      now,
    );
    return out;
  });
  return { rematchedOrders: await visibleOrderNos(deps, who, rematched) };
}
