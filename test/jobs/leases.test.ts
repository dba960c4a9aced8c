// Leases, claims and the one worker loop against a real SQLite file and a real PostgreSQL: one holder at a time, taken
// over when it lapses, fenced effects refused once the lease is gone, rows of a work table claimed by one pass only.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { allBackends, pgUrl, type Backend } from '../support/backends.ts';
import { openDatabase, type Database } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { fence, LeaseKeeper, sqlLeaseStore, type LeaseStore } from '../../src/platform/jobs/leases.ts';
import { claimDue, holdsClaim } from '../../src/platform/jobs/claims.ts';
import { JobRunner } from '../../src/platform/jobs/runner.ts';
import { claimTimer } from '../../src/platform/jobs/timer-store.ts';
import { createLogger } from '../../src/platform/log.ts';
import { isHubError } from '../../src/kernel/errors.ts';

const log = createLogger('silent');

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The lease row as the database has it, and whether it is still unexpired by the database's clock. */
async function leaseRow(db: Database, name: string) {
  return db.read.get<{ holder: string; token: number; expires_at: number }>('SELECT holder, token, expires_at FROM job_leases WHERE name = ?', [name]);
}

/**
 * A place of its own and two handles on it, as two hub processes have: two PostgreSQL pools on one schema. On SQLite (one
 * hub process per file) both holders share the one writer, as the threads of one process do.
 */
async function twoHandles(backend: Backend): Promise<{ a: Database; b: Database; close: () => Promise<void> }> {
  if (backend.name === 'postgres') {
    const schema = `jobs_${randomBytes(5).toString('hex')}`;
    const a = await openDatabase({ databaseUrl: pgUrl, pgSchema: schema, pgPoolSize: 4 });
    await migrate(a);
    const b = await openDatabase({ databaseUrl: pgUrl, pgSchema: schema, pgPoolSize: 4 });
    return {
      a,
      b,
      close: async () => {
        await a.close();
        await b.close();
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'orderhub-jobs-'));
  const a = await openDatabase({ sqliteFile: join(dir, 'hub.db') });
  await migrate(a);
  return {
    a,
    b: a,
    close: async () => {
      await a.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(allBackends)('job leases on $name', (backend) => {
  let a: Database;
  let b: Database;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ a, b, close } = await twoHandles(backend));
  });
  afterEach(async () => close());

  it('is held by one holder at a time, renewed by it, and taken over with a new token once it lapses', async () => {
    const sa = sqlLeaseStore(a);
    const sb = sqlLeaseStore(b);
    const first = await sa.acquire('pull:acc-1', 'hub-a', 300);
    expect(first).toMatchObject({ name: 'pull:acc-1', holder: 'hub-a', token: 1 });
    expect(await sb.acquire('pull:acc-1', 'hub-b', 300)).toBeNull();
    // Taking it again while holding it is a renewal: same token.
    expect(await sa.acquire('pull:acc-1', 'hub-a', 300)).toMatchObject({ holder: 'hub-a', token: 1 });
    const renewed = await sa.renew(first!, 300);
    expect(renewed).toMatchObject({ holder: 'hub-a', token: 1 });
    expect(renewed!.expiresAt).toBeGreaterThanOrEqual(first!.expiresAt);
    // hub-a stops renewing (paused, or dead): once the database's clock passes expires_at, hub-b takes it.
    let taken = null;
    await until('the lease to lapse and be taken over', async () => (taken = await sb.acquire('pull:acc-1', 'hub-b', 5_000)) !== null);
    expect(taken).toMatchObject({ holder: 'hub-b', token: 2 });
    // hub-a cannot renew what it lost, nor take it back while hub-b holds it.
    expect(await sa.renew(first!, 300)).toBeNull();
    expect(await sa.acquire('pull:acc-1', 'hub-a', 300)).toBeNull();
    expect(await leaseRow(a, 'pull:acc-1')).toMatchObject({ holder: 'hub-b', token: 2 });
  });

  it('is taken by another holder at once after a release, the token still growing', async () => {
    const sa = sqlLeaseStore(a);
    const sb = sqlLeaseStore(b);
    const l = await sa.acquire('routing', 'hub-a', 60_000);
    await sa.release(l!);
    expect(await sb.acquire('routing', 'hub-b', 60_000)).toMatchObject({ holder: 'hub-b', token: 2 });
    // A release under a stale token changes nothing.
    await sa.release(l!);
    expect(await leaseRow(a, 'routing')).toMatchObject({ holder: 'hub-b', token: 2 });
    expect(Number((await leaseRow(a, 'routing'))?.expires_at)).toBeGreaterThan(Date.now() + 30_000);
  });

  it("refuses a fenced transaction of a holder whose lease was taken over, and writes none of it", async () => {
    const sa = sqlLeaseStore(a);
    const sb = sqlLeaseStore(b);
    await a.transaction((tx) => tx.run(`CREATE TABLE IF NOT EXISTS effects (v TEXT NOT NULL)`));
    const mine = (await sa.acquire('outbox:webhooks', 'hub-a', 300))!;
    await a.transaction(async (tx) => {
      await fence(tx, mine);
      await tx.run(`INSERT INTO effects (v) VALUES ('while held')`);
    });
    await until('a takeover', async () => (await sb.acquire('outbox:webhooks', 'hub-b', 60_000)) !== null);
    const refused = await a
      .transaction(async (tx) => {
        await fence(tx, mine);
        await tx.run(`INSERT INTO effects (v) VALUES ('after takeover')`);
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isHubError(refused) && refused.code).toBe('LEASE_LOST');
    expect(await a.read.all('SELECT v FROM effects')).toEqual([{ v: 'while held' }]);
  });

  it('refuses a fenced transaction once the lease has lapsed, even before anyone took it', async () => {
    const mine = (await sqlLeaseStore(a).acquire('tracking:pass', 'hub-a', 200))!;
    await until('the lease to lapse', async () => Number((await leaseRow(a, 'tracking:pass'))?.expires_at) < Date.now() - 50);
    await expect(a.transaction((tx) => fence(tx, mine))).rejects.toMatchObject({ code: 'LEASE_LOST' });
  });

  it('keeps a lease renewed while a long unit of work runs, and gives it up when the work ends', async () => {
    const ka = new LeaseKeeper(sqlLeaseStore(a), log, 300, 'hub-a');
    const kb = new LeaseKeeper(sqlLeaseStore(b), log, 300, 'hub-b');
    let release!: () => void;
    const working = new Promise<void>((r) => (release = r));
    let lostSignal: AbortSignal | null = null;
    const run = ka.withLease('pull:acc-2', async (lease, lost) => {
      lostSignal = lost;
      await working;
      return lease.token;
    });
    await until('hub-a to hold the lease', async () => (await leaseRow(a, 'pull:acc-2'))?.holder === 'hub-a');
    // Four times the lease's time to live later, hub-b still cannot have it: hub-a renews it while it works.
    const stopAt = Date.now() + 1_200;
    while (Date.now() < stopAt) {
      expect(await kb.withLease('pull:acc-2', async () => 'ran')).toBeNull();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(lostSignal!.aborted).toBe(false);
    release();
    expect(await run).toEqual({ value: 1 });
    expect(await kb.withLease('pull:acc-2', async (l) => l.token)).toEqual({ value: 2 });
  });

  it('tells a unit of work its lease is gone when it could not be renewed in time', async () => {
    // hub-a's renewals reach a database where hub-b holds the lease now (hub-a was paused past it).
    let paused = false;
    const store = sqlLeaseStore(a);
    const flaky: LeaseStore = { ...store, renew: (l, ttl) => (paused ? new Promise(() => undefined) : store.renew(l, ttl)) };
    const ka = new LeaseKeeper(flaky, log, 300, 'hub-a');
    let seen: AbortSignal | null = null;
    let finish!: () => void;
    const run = ka.withLease('pull:acc-3', async (_lease, lost) => {
      seen = lost;
      await new Promise<void>((r) => (finish = r));
    });
    await until('the work to start', () => seen !== null);
    paused = true;
    await until('hub-b to take the lease', async () => (await sqlLeaseStore(b).acquire('pull:acc-3', 'hub-b', 60_000)) !== null);
    // The keeper stops counting on a lease it could not renew in time.
    await until('the work to be told', () => seen!.aborted);
    finish();
    await run;
  });

  it('hands rows of a work table to one pass only, also when two claim at once', async () => {
    const now = Date.now();
    await a.transaction(async (tx) => {
      for (let i = 0; i < 120; i++) {
        await tx.run(`INSERT INTO timers (tenant_id, kind, ref, due_at, state, created_at, updated_at) VALUES ('t', 'payment_timeout', ?, ?, 'pending', ?, ?)`, [
          `o-${i}`,
          now - 1000,
          now,
          now,
        ]);
      }
    });
    const q = { table: 'timers' as const, where: `state = 'pending' AND due_at <= ?`, params: [now], orderBy: 'due_at, id', limit: 7, columns: 'id' };
    const got = { a: [] as number[], b: [] as number[] };
    const drain = async (db: Database, holder: 'a' | 'b') => {
      for (;;) {
        const c = await claimDue<{ id: number }>(db, `hub-${holder}`, q);
        if (c.rows.length === 0) return;
        got[holder].push(...c.rows.map((r) => Number(r.id)));
      }
    };
    await Promise.all([drain(a, 'a'), drain(b, 'b')]);
    const all = [...got.a, ...got.b];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(120);
    if (backend.name === 'postgres') {
      // Both passes got work: SKIP LOCKED let them claim side by side instead of one waiting for the other.
      expect(got.a.length).toBeGreaterThan(0);
      expect(got.b.length).toBeGreaterThan(0);
    }
  });

  it('lets a timer fire only under the claim it was taken with, and frees it again when the claim lapses', async () => {
    const now = Date.now();
    await a.transaction((tx) =>
      tx.run(`INSERT INTO timers (tenant_id, kind, ref, due_at, state, created_at, updated_at) VALUES ('t', 'payment_timeout', 'o-x', ?, 'pending', ?, ?)`, [now - 1, now, now]),
    );
    const q = { table: 'timers' as const, where: `state = 'pending' AND due_at <= ?`, params: [now], orderBy: 'id', limit: 10, columns: 'id' };
    const first = await claimDue<{ id: number }>(a, 'hub-a', q, 200);
    const id = Number(first.rows[0]?.id);
    expect((await claimDue<{ id: number }>(b, 'hub-b', q, 200)).rows).toEqual([]);
    // hub-a is paused past its claim; hub-b claims the timer anew and fires it.
    let second = first;
    await until('the claim to lapse', async () => (second = await claimDue<{ id: number }>(b, 'hub-b', q, 60_000)).rows.length === 1);
    expect(await a.transaction((tx) => holdsClaim(tx, 'timers', id, first.token))).toBe(false);
    expect(await a.transaction((tx) => claimTimer(tx, id, Date.now(), { claim: first.token }))).toBe(false);
    expect(await b.transaction((tx) => claimTimer(tx, id, Date.now(), { claim: second.token }))).toBe(true);
    expect(await a.read.get('SELECT state, attempts, claimed_by FROM timers WHERE id = ?', [id])).toMatchObject({ state: 'done', attempts: 1, claimed_by: null });
  });

  it('runs a leader job in one of two runners only, and in the other once the first stops', async () => {
    const ran = { a: 0, b: 0 };
    const runner = (db: Database, who: 'a' | 'b') => {
      const keeper = new LeaseKeeper(sqlLeaseStore(db), log, 600, `hub-${who}`);
      const r = new JobRunner(log, keeper);
      r.add({ name: 'pass', everyMs: 20, leader: 'routing', run: async () => void ran[who]++ });
      return r;
    };
    const ra = runner(a, 'a');
    ra.start();
    await until('hub-a to lead', () => ran.a >= 3);
    const rb = runner(b, 'b');
    rb.start();
    const before = ran.a;
    await until('hub-a to run a dozen more passes', () => ran.a >= before + 12);
    expect(ran.b).toBe(0);
    // A clean stop releases the lease: hub-b takes over without waiting for it to lapse.
    await ra.stop();
    await until('hub-b to lead', () => ran.b >= 3, 5_000);
    await rb.stop();
  });
});

describe.skipIf(!allBackends.some((b) => b.name === 'postgres'))('job leases on postgres: a takeover and a fenced commit', () => {
  it('waits for the old holder’s fenced transaction to commit, and then sees its effect', async () => {
    const backend = allBackends.find((x) => x.name === 'postgres') as Backend;
    const { a, b, close } = await twoHandles(backend);
    try {
      await a.transaction((tx) => tx.run(`CREATE TABLE effects (v TEXT NOT NULL)`));
      const mine = (await sqlLeaseStore(a).acquire('pull:acc-9', 'hub-a', 400))!;
      const order: string[] = [];
      let commit!: () => void;
      const committing = new Promise<void>((r) => (commit = r));
      let fenced!: () => void;
      const isFenced = new Promise<void>((r) => (fenced = r));
      const holder = a.transaction(async (tx) => {
        await fence(tx, mine);
        fenced();
        await tx.run(`INSERT INTO effects (v) VALUES ('pulled')`);
        await committing;
      });
      await isFenced;
      // The lease lapses while hub-a's fenced transaction is still open; hub-b's takeover has to wait for it.
      await until('the lease to lapse', async () => Number((await leaseRow(b, 'pull:acc-9'))?.expires_at) < Date.now() - 50);
      const taking = sqlLeaseStore(b)
        .acquire('pull:acc-9', 'hub-b', 60_000)
        .then(async (l) => {
          order.push('taken');
          return { lease: l, seen: await b.read.all('SELECT v FROM effects') };
        });
      const probe = new pg.Client({ connectionString: pgUrl });
      await probe.connect();
      try {
        const waiting = `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO job_leases%'`;
        await until('the takeover to wait on the lease row', async () => (await probe.query(waiting)).rowCount! > 0);
      } finally {
        await probe.end();
      }
      order.push('committed');
      commit();
      await holder;
      const t = await taking;
      expect(order).toEqual(['committed', 'taken']);
      expect(t.lease).toMatchObject({ holder: 'hub-b', token: 2 });
      expect(t.seen).toEqual([{ v: 'pulled' }]);
    } finally {
      await close();
    }
  });
});
