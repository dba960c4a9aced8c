// A live feed of order events for the console (server-sent events): one reader tails the outbox while anyone
// listens, and hands each listener what its tenant and scope may know. The browser does not poll.
import type { Logger } from '../../platform/log.ts';
import type { Principal } from '../../kernel/principal.ts';
import { contains, isUnlimited, type ScopeFacts } from '../../kernel/scope.ts';
import type { Database } from '../../platform/db/database.ts';
import { orderScopeFacts } from './queries/scope-facts.ts';

export interface LiveEvent {
  type: string;
  at: string;
  channel: string | null;
  orderNo: string | null;
  status: string | null;
}

interface Listener {
  who: Principal;
  send(e: LiveEvent): void;
}

const types = ['order.created', 'order.status_changed', 'order.held', 'order.price_changed'];

export class LiveFeed {
  private listeners = new Set<Listener>();
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  /** Whether the feed has read where "now" is: events committed from here on reach every listener. */
  get started(): boolean {
    return this.cursor !== null;
  }

  /** Adds a listener; returns the function that removes it. */
  listen(who: Principal, send: (e: LiveEvent) => void): () => void {
    const l = { who, send };
    this.listeners.add(l);
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.pollMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(l);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
        this.cursor = null;
      }
    };
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.cursor === null) {
        // Start at the present: the console fetches the past itself.
        const r = await this.db.read.get<{ id: number | null }>('SELECT MAX(id) AS id FROM outbox');
        this.cursor = Number(r?.id ?? 0);
        return;
      }
      const rows = await this.db.read.all<{ id: number; tenant_id: string; type: string; aggregate_id: string; payload: string; created_at: number }>(
        `SELECT id, tenant_id, type, aggregate_id, payload, created_at FROM outbox WHERE id > ? AND type IN (${types.map(() => '?').join(', ')}) ORDER BY id LIMIT 1000`,
        [this.cursor, ...types],
      );
      // A scoped listener hears of an order only when the order is in its scope, judged by the kernel's policy on the
      // order's facts as they are now (read once per batch, and only when someone scoped listens).
      const scoped = [...this.listeners].some((l) => !isUnlimited(l.who.scope));
      const facts: Map<string, ScopeFacts> = scoped ? await orderScopeFacts(this.db.read, rows.map((r) => r.aggregate_id)) : new Map();
      for (const r of rows) {
        this.cursor = Math.max(this.cursor, Number(r.id));
        const p = JSON.parse(r.payload) as { orderNo?: string; channel?: string; to?: string };
        for (const l of this.listeners) {
          if (l.who.tenantId !== r.tenant_id) continue;
          if (!contains(l.who.scope, 'order', facts.get(r.aggregate_id) ?? {})) continue;
          l.send({ type: r.type, at: new Date(Number(r.created_at)).toISOString(), channel: p.channel ?? null, orderNo: p.orderNo ?? null, status: p.to ?? null });
        }
      }
    } catch (e) {
      this.log.warn({ err: e }, 'live feed read failed');
    } finally {
      this.busy = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
