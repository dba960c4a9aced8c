// Which hub SKU a platform's SKU code names, remembered on SQLite until the catalogue changes.
import type { Tx } from '../../../platform/db/database.ts';
import { skuCatalog } from '../../inventory/store/stock.ts';
import { resolveSkuCode } from '../../inventory/store/catalogue.ts';

export class SkuResolver {
  /** SKU codes already resolved, on SQLite: see resolve. */
  private readonly skus = new Map<string, string | null>();
  private skusStamp = '';

  /**
   * The hub SKU a platform's SKU code names: the account's alias, the tenant's alias, or the code itself; null when
   * the hub does not know it. On SQLite this thread is the only writer, so answers are kept until the catalogue
   * changes, here (skuCatalog.version) or through another connection such as the CLI (SQLite's data_version). On
   * PostgreSQL other processes write too: every code is looked up.
   */
  async resolve(tx: Tx, tenantId: string, accountId: string, code: string): Promise<string | null> {
    if (tx.dialect !== 'sqlite') {
      return resolveSkuCode(tx, tenantId, accountId, code);
    }
    const key = `${tenantId}\u0000${accountId}\u0000${code}`;
    const known = this.skus.get(key);
    if (known !== undefined) return known;
    const sku = await resolveSkuCode(tx, tenantId, accountId, code);
    if (this.skus.size >= 100_000) this.skus.clear();
    this.skus.set(key, sku);
    return sku;
  }

  /** Drops remembered SKU codes when the catalogue may have changed since they were read (SQLite only). */
  async checkCache(tx: Tx): Promise<void> {
    if (tx.dialect !== 'sqlite') return;
    const dataVersion = (await tx.get<{ data_version: number }>('PRAGMA data_version'))?.data_version ?? 0;
    const stamp = `${skuCatalog.version}:${dataVersion}`;
    if (stamp !== this.skusStamp) {
      this.skus.clear();
      this.skusStamp = stamp;
    }
  }
}
