// Delivers outbox events to subscribers, at least once, each subscriber at its own persisted cursor.
// On PostgreSQL the cursor is (transaction id, id) below the oldest running transaction, so an event
// whose transaction commits late is never skipped; SQLite has one writer, so ids already commit in order.
//
// Jobs and leases: a subscriber's cursor is one position read and advanced in order, not a table of items to share out,
// so each subscriber has a lease of its own (`outbox:<name>`) that one hub process keeps while it runs: only that process
// advances the cursor, and the advance (with a transactional subscriber's writes) commits behind a fence on the lease. A
// process that dies leaves the lease to lapse; another one takes it over and goes on from the persisted cursor.
import type { Database, Tx } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { EventType } from '../../kernel/events.ts';
import { fence, isLeaseLost, LeaseKeeper, sqlLeaseStore, type Lease } from '../jobs/leases.ts';
import { JobRunner } from '../jobs/runner.ts';

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
  private retryAt = new Map<string, { at: number; failures: number }>();
  private readonly runner: JobRunner;
  private readonly leases: LeaseKeeper;
  /** Passes run one after another (the scheduled ones and drain()), never two at once for one subscriber. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly pollMs = 250,
    private readonly batchSize = 500,
    private readonly minGapMs = 50,
    leases?: LeaseKeeper,
  ) {
    this.leases = leases ?? new LeaseKeeper(sqlLeaseStore(db), log);
    this.runner = new JobRunner(log);
    // A pass is a write transaction of its own (cursors), so under load passes are spaced at least minGapMs apart
    // instead of one per committed batch.
    this.runner.add({ name: 'outbox', failureMessage: 'outbox relay pass failed', everyMs: this.pollMs, minGapMs: this.minGapMs, run: () => this.pass() });
  }

  subscribe(s: Subscriber): void {
    this.subscribers.push(s);
  }

  start(): void {
    this.stopped = false;
    this.runner.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.runner.stop();
    await this.queue;
    await this.leases.releaseAll('outbox:');
  }

  /** Asks for a pass soon (after a commit). */
  poke(): void {
    this.runner.poke('outbox');
  }

  /** Runs passes until every subscriber has caught up; used by tests and at shutdown. */
  async drain(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (!(await this.passOnce())) return;
    }
  }

  private async pass(): Promise<void> {
    while (!this.stopped && (await this.passOnce())) {
      /* keep going while there is work */
    }
  }

  /** One batch for each subscriber this process leads; true when any subscriber moved. */
  private passOnce(): Promise<boolean> {
    const run = this.queue.then(async () => {
      let moved = false;
      for (const s of this.subscribers) {
        const wait = this.retryAt.get(s.name);
        if (wait && wait.at > Date.now()) continue;
        const name = `outbox:${s.name}`;
        const lease = await this.leases.lead(name);
        if (!lease) continue; // another hub process advances this cursor
        try {
          if (await this.step(s, lease)) moved = true;
          this.retryAt.delete(s.name);
        } catch (e) {
          if (isLeaseLost(e)) {
            // Taken over while this process was slow: the new holder goes on from the cursor; nothing is retried here.
            this.leases.lost(name);
            continue;
          }
          const failures = (wait?.failures ?? 0) + 1;
          const delay = Math.min(60_000, 500 * 2 ** Math.min(failures, 7));
          this.retryAt.set(s.name, { at: Date.now() + delay, failures });
          this.log.warn({ err: e, subscriber: s.name, failures, retryInMs: delay }, 'outbox subscriber failed; will retry');
        }
      }
      return moved;
    });
    this.queue = run.catch(() => undefined);
    return run;
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

  private async step(s: Subscriber, lease: Lease): Promise<boolean> {
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
        await fence(tx, lease);
        if (events.length) await s.handle(events, tx);
        await advance(tx);
      });
    } else {
      if (events.length) await s.handle(events, null);
      await this.db.transaction(async (tx) => {
        await fence(tx, lease);
        await advance(tx);
      });
    }
    return true;
  }
}
