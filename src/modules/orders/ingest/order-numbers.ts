// The hub's order numbers (one counter per day for the whole hub), handed out in blocks.
import { dayInZone, formatOrderNo } from '../domain/order.ts';
import type { Database, Tx } from '../../../platform/db/database.ts';

/** Order numbers are handed out in blocks so PostgreSQL writers do not queue on one counter row. */
export class OrderNumbers {
  private blocks = new Map<string, { next: number; end: number }>();
  constructor(
    private readonly db: Database,
    private readonly timezone: string,
  ) {}

  async next(tx: Tx, at: number): Promise<string> {
    const day = dayInZone(at, this.timezone);
    // One counter for the whole hub, not per tenant: order numbers are unique across the sellers a hub hosts
    // (the column is), so a service provider's staff can name any order unambiguously. A tenant sees gaps.
    const key = `order_no:${day}`;
    let b = this.blocks.get(key);
    if (!b || b.next > b.end) {
      // SQLite has one writer, so a block of one keeps numbers gap-free there.
      const size = this.db.dialect === 'sqlite' ? 1 : 20;
      const first = await this.db.nextSequenceBlock(key, size, tx);
      b = { next: first, end: first + size - 1 };
      if (this.blocks.size > 64) this.blocks.clear();
      this.blocks.set(key, b);
    }
    return formatOrderNo(day, b.next++);
  }
}
