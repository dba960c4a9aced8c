// SQLite durability without holding the writer: commits are synced to disk by an fdatasync of the WAL beside the
// writer, and nobody is answered, and no outbox event leaves, before that sync has finished. The sync is slowed down
// here (a real fdatasync, called late) so that an answer given too early would show.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as NodeFs from 'node:fs';

const disk = vi.hoisted(() => ({ delayMs: 0, calls: 0, done: 0, fail: null as Error | null }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof NodeFs>();
  const fdatasync = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    disk.calls++;
    setTimeout(() => {
      if (disk.fail) {
        cb(disk.fail);
        return;
      }
      fs.fdatasync(fd, (err) => {
        if (!err) disk.done++;
        cb(err);
      });
    }, disk.delayMs);
  };
  return { ...fs, default: { ...fs, fdatasync }, fdatasync };
});

const { openDatabase } = await import('../src/platform/db/database.ts');
const { migrate } = await import('../src/platform/db/migrate.ts');
const { GroupCommitter } = await import('../src/platform/db/group-commit.ts');
const { OutboxRelay } = await import('../src/platform/outbox/relay.ts');
const { createLogger } = await import('../src/platform/log.ts');
type Database = Awaited<ReturnType<typeof openDatabase>>;

describe('SQLite commits are durable before they are answered', () => {
  let dir: string;
  let db: Database;

  beforeEach(async () => {
    disk.delayMs = 0;
    disk.fail = null;
    dir = mkdtempSync(join(tmpdir(), 'orderhub-durable-'));
    db = await openDatabase({ sqliteFile: join(dir, 'hub.db'), sqliteSynchronous: 'FULL' });
    await migrate(db);
    await db.transaction((tx) => tx.run('CREATE TABLE IF NOT EXISTS t (v INTEGER NOT NULL)'));
  });
  afterEach(async () => {
    disk.fail = null;
    disk.delayMs = 0;
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async () => (await db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))?.n;

  it('answers a transaction only after the WAL sync that covers it has finished', async () => {
    disk.delayMs = 150;
    const before = disk.done;
    let answeredAt = 0;
    const t0 = Date.now();
    await db.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (1)')).then(() => (answeredAt = Date.now()));
    expect(disk.done).toBeGreaterThan(before);
    expect(answeredAt - t0).toBeGreaterThanOrEqual(140);
  });

  it('lets the next transaction commit while the previous one is still being synced', async () => {
    disk.delayMs = 200;
    const first = await db.pipelinedTransaction((tx) => tx.run('INSERT INTO t (v) VALUES (1)'));
    let firstDurable = false;
    void first.durable.then(() => (firstDurable = true));
    // Committed (a reader sees it) but not yet answered as durable; a second transaction commits meanwhile.
    expect(await count()).toBe(1);
    const second = await db.pipelinedTransaction((tx) => tx.run('INSERT INTO t (v) VALUES (2)'));
    expect(firstDurable).toBe(false);
    expect(await count()).toBe(2);
    await Promise.all([first.durable, second.durable]);
    expect(firstDurable).toBe(true);
  });

  it('group commit answers no caller before its batch is on disk', async () => {
    disk.delayMs = 150;
    const gc = new GroupCommitter<number, number>(db, async (tx, v) => tx.run('INSERT INTO t (v) VALUES (?)', [v]), { maxBatch: 8, lanes: 1, maxQueue: 100 }, createLogger('silent'));
    const answered: number[] = [];
    const syncsBefore = disk.done;
    const all = Array.from({ length: 20 }, (_, i) => gc.submit(i).then(() => answered.push(disk.done)));
    await Promise.all(all);
    // Each answer came after at least one completed sync, and the batches did not wait for each other's syncs.
    expect(answered.every((d) => d > syncsBefore)).toBe(true);
    expect(await count()).toBe(20);
    await gc.idle();
  });

  it('hands no outbox event to a subscriber before its commit is on disk', async () => {
    disk.delayMs = 150;
    const seen: { id: number; syncsDone: number }[] = [];
    const relay = new OutboxRelay(db, createLogger('silent'), 10_000, 100, 0);
    relay.subscribe({
      name: 'durable-test',
      types: '*',
      handle: async (events) => {
        for (const e of events) seen.push({ id: e.id, syncsDone: disk.done });
      },
    });
    const { durable } = await db.pipelinedTransaction((tx) =>
      tx.run(`INSERT INTO outbox (tenant_id, type, aggregate_type, aggregate_id, payload, created_at) VALUES ('default', 'x.y', 'x', '1', '{}', 0)`),
    );
    const syncsAtCommit = disk.done;
    await relay.drain();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.syncsDone).toBeGreaterThan(syncsAtCommit);
    await durable;
  });

  it('refuses every write after a failed sync, with a reason, instead of answering what may not be on disk', async () => {
    disk.fail = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    await expect(db.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (1)'))).rejects.toThrow(/could not be synced to disk.*restart the hub/);
    disk.fail = null;
    await expect(db.transaction((tx) => tx.run('INSERT INTO t (v) VALUES (2)'))).rejects.toThrow(/restart the hub/);
    // The first insert had committed before its sync failed (it may or may not be on disk); the second never ran.
    expect(await count()).toBe(1);
  });
});
