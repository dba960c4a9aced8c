// Today at a glance, inside the principal's tenant and scope: orders by channel and status, paid amount,
// orders waiting to ship, exceptions, and orders per minute over the last hour.
import { sql } from 'kysely';
import type { Principal } from '../../../kernel/principal.ts';
import { startOfDayInZone, toIso } from '../../../kernel/time.ts';
import type { Database } from '../../../platform/db/database.ts';
import { scoped } from './order-filter.ts';

export class DashboardService {
  constructor(
    private readonly db: Database,
    private readonly timezone: string,
  ) {}

  async today(who: Principal, now = Date.now()) {
    const dayStart = startOfDayInZone(now, this.timezone);
    const hourStart = Math.floor(now / 60_000) * 60_000 - 59 * 60_000;
    const base = () => scoped(this.db.kysely.selectFrom('orders').where('orders.tenant_id', '=', who.tenantId), who.scope);
    const [byChannel, byStatus, paid, waiting, exceptions, perMinute] = await Promise.all([
      base().where('created_at', '>=', dayStart).select(['channel', sql<number>`count(*)`.as('n')]).groupBy('channel').execute(),
      base().where('created_at', '>=', dayStart).select(['status', sql<number>`count(*)`.as('n')]).groupBy('status').execute(),
      base().where('paid_at', '>=', dayStart).select(['currency', sql<number>`sum(paid_amount)`.as('amount')]).groupBy('currency').execute(),
      base().where('status', '=', 'paid').select(sql<number>`count(*)`.as('n')).executeTakeFirst(),
      base().where('hold_code', 'is not', null).where('status', '<>', 'cancelled').select(sql<number>`count(*)`.as('n')).executeTakeFirst(),
      base()
        .where('created_at', '>=', hourStart)
        .select([sql<number>`(created_at / 60000)`.as('m'), sql<number>`count(*)`.as('n')])
        .groupBy(sql`(created_at / 60000)`)
        .execute(),
    ]);
    const counts = new Map(perMinute.map((r) => [Math.floor(Number(r.m)), Number(r.n)]));
    return {
      day: toIso(dayStart) as string,
      timezone: this.timezone,
      ordersToday: byChannel.reduce((a, r) => a + Number(r.n), 0),
      paidAmountToday: paid.map((r) => ({ currency: r.currency, amount: Number(r.amount) })),
      byChannel: byChannel.map((r) => ({ channel: r.channel, orders: Number(r.n) })).sort((a, b) => b.orders - a.orders),
      byStatus: byStatus.map((r) => ({ status: r.status, orders: Number(r.n) })),
      waitingToShip: Number(waiting?.n ?? 0),
      exceptions: Number(exceptions?.n ?? 0),
      perMinute: Array.from({ length: 60 }, (_, i) => {
        const minute = hourStart / 60_000 + i;
        return { minute: toIso(minute * 60_000) as string, orders: counts.get(minute) ?? 0 };
      }),
    };
  }
}
