// Delivers outbox events to subscribers, at least once, each subscriber at its own persisted cursor.
// On PostgreSQL the cursor is (transaction id, id) below the oldest running transaction, so an event
// whose transaction commits late is never skipped; SQLite has one writer, so ids already commit in order.
import type { Database, Tx } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { EventType } from '../../kernel/events.ts';

export interface OutboxEvent {
  id: number;
  tenantId: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
  createdAt: number;
}

export interface Subscriber {
  name: string;
  /** Event types wanted (names from the catalogue, kernel/events.ts); '*' for all. */
  types: readonly EventType[] | '*';
  /**
   * Handles events in order. A transactional subscriber's writes commit together with its cursor;
   * a plain one must be idempotent, since a crash between handling and the cursor replays the events.
   */
  handle(events: OutboxEvent[], tx: Tx | null): Promise<void>;
  transactional?: boolean;
}

interface Row {
  id: number;
  xid?: string;
  tenant_id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: string;
  created_at: number;
}

export class OutboxRelay {
  private subscribers: Subscriber[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = true;
  private retryAt = new Map<string, { at: number; failures: number }>();
  private lastPassAt = 0;
  private pokeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly pollMs = 250,
    private readonly batchSize = 500,
    private readonly minGapMs = 50,
  ) {}

  subscribe(s: Subscriber): void {
    this.subscribers.push(s);
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      this.poke();
      this.timer = setTimeout(tick, this.pollMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * Asks for a pass soon (after a commit). A pass is a write transaction of its own (cursors), so under
   * load passes are spaced at least minGapMs apart instead of one per committed batch.
   */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastPassAt + this.minGapMs - Date.now();
    if (wait > 0) {
      if (!this.pokeTimer) {
        this.pokeTimer = setTimeout(() => {
          this.pokeTimer = null;
          this.poke();
        }, wait);
        this.pokeTimer.unref();
      }
      return;
    }
    void this.pass();
  }

  /** Runs passes until every subscriber has caught up; used by tests and at shutdown. */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      while (this.running) await new Promise((r) => setTimeout(r, 5));
      if (!(await this.passOnce())) return;
    }
  }

  private async pass(): Promise<void> {
    this.running = true;
    this.lastPassAt = Date.now();
    try {
      do {
        this.again = false;
        while (!this.stopped && (await this.passOnce())) {
          /* keep going while there is work */
        }
      } while (this.again && !this.stopped);
    } catch (e) {
      this.log.error({ err: e }, 'outbox relay pass failed');
    } finally {
      this.running = false;
    }
  }

  /** One batch for each subscriber; true when any subscriber moved. */
  private async passOnce(): Promise<boolean> {
    let moved = false;
    for (const s of this.subscribers) {
      const wait = this.retryAt.get(s.name);
      if (wait && wait.at > Date.now()) continue;
      try {
        if (await this.step(s)) moved = true;
        this.retryAt.delete(s.name);
      } catch (e) {
        const failures = (wait?.failures ?? 0) + 1;
        const delay = Math.min(60_000, 500 * 2 ** Math.min(failures, 7));
        this.retryAt.set(s.name, { at: Date.now() + delay, failures });
        this.log.warn({ err: e, subscriber: s.name, failures, retryInMs: delay }, 'outbox subscriber failed; will retry');
      }
    }
    return moved;
  }

  private async cursor(name: string): Promise<{ xid: string; id: number }> {
    const r = await this.db.read.get<{ last_xid: string; last_id: number }>(
      'SELECT last_xid, last_id FROM outbox_cursors WHERE subscriber = ?',
      [name],
    );
    return { xid: r?.last_xid ?? '0', id: Number(r?.last_id ?? 0) };
  }

  private async fetch(c: { xid: string; id: number }): Promise<Row[]> {
    if (this.db.dialect === 'postgres') {
      return this.db.read.all<Row>(
        `SELECT id, xid::text AS xid, tenant_id, type, aggregate_type, aggregate_id, payload, created_at FROM outbox
         WHERE (xid, id) > (?::text::xid8, ?) AND xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY xid, id LIMIT ?`,
        [c.xid, c.id, this.batchSize],
      );
    }
    return this.db.read.all<Row>(
      `SELECT id, tenant_id, type, aggregate_type, aggregate_id, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?`,
      [c.id, this.batchSize],
    );
  }

  private async step(s: Subscriber): Promise<boolean> {
    const c = await this.cursor(s.name);
    const rows = await this.fetch(c);
    if (rows.length === 0) return false;
    // Committed is not yet durable on SQLite (its sync runs beside the writer): nothing leaves before it is.
    await this.db.durable();
    const last = rows[rows.length - 1] as Row;
    const events = rows
      .filter((r) => s.types === '*' || (s.types as readonly string[]).includes(r.type))
      .map((r): OutboxEvent => {
        let payload: Record<string, unknown> | undefined;
        return {
          id: Number(r.id),
          tenantId: r.tenant_id,
          type: r.type,
          aggregateType: r.aggregate_type,
          aggregateId: r.aggregate_id,
          // Parsed when a subscriber reads it: with no webhook registered, nobody does (this runs in the one writer).
          get payload() {
            payload ??= JSON.parse(r.payload) as Record<string, unknown>;
            return payload;
          },
          createdAt: Number(r.created_at),
        };
      });
    const advance = (tx: Tx) =>
      tx.run(
        `INSERT INTO outbox_cursors (subscriber, last_xid, last_id, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subscriber) DO UPDATE SET last_xid = excluded.last_xid, last_id = excluded.last_id, updated_at = excluded.updated_at`,
        [s.name, last.xid ?? '0', Number(last.id), Date.now()],
      );
    if (s.transactional) {
      await this.db.transaction(async (tx) => {
        if (events.length) await s.handle(events, tx);
        await advance(tx);
      });
    } else {
      if (events.length) await s.handle(events, null);
      await this.db.transaction(advance);
    }
    return true;
  }
}
