// The database behind the hub: embedded SQLite (better-sqlite3, WAL) or PostgreSQL (pg), one interface for both.
// Writes run in serialised transactions with cached prepared statements (the ingest hot path);
// reads use Kysely on a separate connection so they never see a batch that is still open.
import { createHash } from 'node:crypto';
import { closeSync, fdatasync, fstatSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, type CompiledQuery } from 'kysely';
import type { DB } from './schema.ts';
import type { SqliteSynchronous } from '../config.ts';
import { LockLedger, defaultRetryPolicy, newContention, withRetry, type Contention } from './unit-of-work.ts';

export type Dialect = 'sqlite' | 'postgres';
export type SqlValue = string | number | bigint | Buffer | null;

/** Statements in a transaction. SQL uses `?` placeholders and the portable subset of SQLite and PostgreSQL. */
export interface Tx {
  readonly dialect: Dialect;
  /** The locks this transaction holds, checked against the one lock order (unit-of-work.ts). */
  readonly locks: LockLedger;
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a query Kysely compiled for this dialect. */
  execute<T>(query: CompiledQuery<T>): Promise<{ rows: T[]; changes: number }>;
  /** Runs fn so that its writes are undone, alone, when it throws; the error is rethrown. */
  savepoint<T>(fn: () => Promise<T>): Promise<T>;
}

export interface Reader {
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export interface Database {
  readonly dialect: Dialect;
  /** Query builder for reads; never used inside write transactions directly (compile and `tx.execute`). */
  readonly kysely: Kysely<DB>;
  readonly read: Reader;
  /**
   * A write transaction, resolved once it is committed and durable. Transactions never interleave on SQLite; on
   * PostgreSQL they run on pooled connections, and one that deadlocks or fails to serialise is run again from the start
   * (the retry policy of unit-of-work.ts), so `fn` must decide from what it reads inside the transaction.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A write transaction resolved as soon as it has committed, with `durable` resolving once that commit is on disk.
   * Group commit answers its callers after `durable`, but starts the next batch at once: on SQLite the disk sync of
   * one batch overlaps the statements of the next instead of holding the one writer. Elsewhere `durable` is already
   * resolved (PostgreSQL's COMMIT returns only once its WAL is flushed).
   */
  pipelinedTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<{ value: T; durable: Promise<void> }>;
  /**
   * Resolves once every transaction committed so far is durable. Whatever leaves the hub because of a commit (an
   * outbox event to a webhook, a subscriber's effect) waits for this first.
   */
  durable(): Promise<void>;
  /** A value taken outside any transaction (PostgreSQL) or inside it (SQLite, single writer): see order numbers. */
  nextSequenceBlock(key: string, size: number, tx: Tx): Promise<number>;
  /** True when the error is a deadlock or serialisation failure worth retrying the whole transaction. */
  isRetryable(e: unknown): boolean;
  /** What the database made writers do again since it was opened, by cause (group commit counts its requeues here too). */
  readonly contention: Contention;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Where the data lives, for logs (no password). */
  readonly location: string;
}

export interface OpenOptions {
  /** SQLite file path (`:memory:` is refused: the hub promises durability). */
  sqliteFile?: string;
  sqliteSynchronous?: SqliteSynchronous;
  /** Open the SQLite file for reading only: writes belong to the writer thread. */
  readOnly?: boolean;
  databaseUrl?: string;
  /** PostgreSQL schema to use (tests give each run its own). */
  pgSchema?: string;
  pgPoolSize?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.pgSchema, opts.pgPoolSize ?? 10);
  if (!opts.sqliteFile) throw new Error('openDatabase: either databaseUrl or sqliteFile is required');
  if (opts.readOnly) return openSqliteReader(opts.sqliteFile);
  return openSqlite(opts.sqliteFile, opts.sqliteSynchronous ?? 'FULL');
}

function sqliteReader(file: string): BetterSqlite3.Database {
  const reader = new BetterSqlite3(file, { fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');
  reader.pragma('cache_size = -65536');
  reader.pragma('mmap_size = 1073741824');
  return reader;
}

function readerApi(reader: BetterSqlite3.Database): Reader {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prep = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = reader.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  return {
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return prep(sql).get(...params) as T | undefined;
    },
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prep(sql).all(...params) as T[];
    },
  };
}

/** The main thread's view of a SQLite file whose writes run in the writer thread. */
function openSqliteReader(file: string): Database {
  const reader = sqliteReader(file);
  const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: reader }) });
  const refuse = () => {
    throw new Error('this connection only reads; writes run in the writer thread');
  };
  return {
    dialect: 'sqlite',
    kysely,
    location: file,
    read: readerApi(reader),
    transaction: refuse,
    pipelinedTransaction: refuse,
    durable: refuse,
    nextSequenceBlock: refuse,
    isRetryable: () => false,
    contention: newContention(),
    async ping() {
      reader.prepare('SELECT 1').get();
    },
    async close() {
      await kysely.destroy().catch(() => undefined);
      if (reader.open) reader.close();
    },
  };
}

// ---------------------------------------------------------------- SQLite

/**
 * Makes SQLite's commits durable from outside the writer: one fdatasync of the WAL file covers every commit
 * written before it started, and runs on libuv's thread pool while the writer goes on with the next batch.
 *
 * SQLite's own `synchronous=FULL` syncs the WAL inside COMMIT, so the one writer waits for the disk at every
 * batch (COMMIT was a quarter of the writer thread's time under the HTTP benchmark). Here SQLite runs `synchronous=NORMAL` — in WAL mode that
 * still syncs the WAL and the database file around every checkpoint, so the file is never corrupt — and each
 * commit is made durable by this sync before anyone is answered. Same promise as FULL: nothing is answered, and
 * nothing leaves through the outbox, before its commit is on disk.
 */
class WalSync {
  /** Commits made so far, and how many of them are known to be on disk. */
  committed = 0;
  private synced = 0;
  private fd: number | null = null;
  private ino = -1;
  private running = false;
  private failure: Error | null = null;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly path: string) {}

  /** Resolves once commit number `seq` (and every one before it) is on disk. */
  until(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (seq <= this.synced) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ seq, resolve, reject });
      this.kick();
    });
  }

  /** Throws once a sync has failed: nothing more is written (see fail). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Resolves when no sync is running (close waits for it before the file goes). */
  async settled(): Promise<void> {
    while (this.running) await new Promise((r) => setTimeout(r, 1));
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private kick(): void {
    if (this.running || this.waiters.length === 0) return;
    let fd: number;
    try {
      fd = this.open();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.running = true;
    const target = this.committed; // every commit up to here has been written to the WAL: this sync covers it
    fdatasync(fd, (err) => {
      this.running = false;
      if (err) {
        this.fail(err);
        return;
      }
      this.synced = Math.max(this.synced, target);
      const waiting: typeof this.waiters = [];
      for (const w of this.waiters) {
        if (w.seq <= this.synced) w.resolve();
        else waiting.push(w);
      }
      this.waiters = waiting;
      this.kick();
    });
  }

  /** The WAL file, reopened if SQLite made a new one (it deletes the WAL when the last connection closes). */
  private open(): number {
    const ino = statSync(this.path).ino;
    if (this.fd === null || ino !== this.ino) {
      this.close();
      this.fd = openSync(this.path, 'r+');
      this.ino = fstatSync(this.fd).ino;
    }
    return this.fd;
  }

  /**
   * A failed sync leaves it unknown what reached the disk (the kernel may have dropped the pages): every write
   * from here on is refused, and the hub must be restarted, which recovers from what the disk really holds.
   */
  private fail(e: Error): void {
    this.failure = new Error(`the database's WAL could not be synced to disk (${e.message}); restart the hub`);
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }
}

function openSqlite(file: string, synchronous: SqliteSynchronous): Database {
  mkdirSync(dirname(file), { recursive: true });
  const writer = new BetterSqlite3(file);
  const journal = String(writer.pragma('journal_mode = WAL', { simple: true })).toLowerCase();
  // FULL is kept by syncing the WAL outside the writer (WalSync); NORMAL and EXTRA are SQLite's own.
  const walSync = synchronous === 'FULL' && journal === 'wal' ? new WalSync(`${file}-wal`) : null;
  writer.pragma(`synchronous = ${walSync ? 'NORMAL' : synchronous}`);
  writer.pragma('busy_timeout = 5000');
  writer.pragma('foreign_keys = ON');
  writer.pragma('cache_size = -131072');
  writer.pragma('mmap_size = 1073741824');
  // Savepoint and statement journals in memory: as temp files they cost a write() per page touched
  // (measured: ~40 page writes per order, 180 KB of copying, before the hot path stopped using savepoints).
  writer.pragma('temp_store = MEMORY');
  // Checkpoints are done by the writer; a larger auto-checkpoint keeps them off the hot path's typical batch.
  writer.pragma('wal_autocheckpoint = 4000');
  const reader = new BetterSqlite3(file);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');

  const writeStatements = new Map<string, BetterSqlite3.Statement>();
  const prep = (conn: BetterSqlite3.Database, cache: Map<string, BetterSqlite3.Statement>, sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = conn.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };

  let savepointDepth = 0;
  const tx: Tx & { locks: LockLedger } = {
    dialect: 'sqlite',
    locks: new LockLedger(),
    async run(sql, params = []) {
      return prep(writer, writeStatements, sql).run(...params).changes;
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return prep(writer, writeStatements, sql).get(...params) as T | undefined;
    },
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prep(writer, writeStatements, sql).all(...params) as T[];
    },
    async execute<T>(q: CompiledQuery<T>) {
      const s = prep(writer, writeStatements, q.sql);
      const params = q.parameters as SqlValue[];
      if (s.reader) {
        const rows = s.all(...params) as T[];
        return { rows, changes: rows.length };
      }
      return { rows: [], changes: s.run(...params).changes };
    },
    async savepoint<T>(fn: () => Promise<T>) {
      const name = `sp${++savepointDepth}`;
      // Prepared once like any statement: savepoints run twice per order on the hot path.
      prep(writer, writeStatements, `SAVEPOINT ${name}`).run();
      try {
        const out = await fn();
        prep(writer, writeStatements, `RELEASE ${name}`).run();
        return out;
      } catch (e) {
        prep(writer, writeStatements, `ROLLBACK TO ${name}`).run();
        prep(writer, writeStatements, `RELEASE ${name}`).run();
        throw e;
      } finally {
        savepointDepth--;
      }
    },
  };

  // One writer: transactions queue behind each other (a promise chain is the lock).
  let tail: Promise<unknown> = Promise.resolve();
  const committed = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      walSync?.check();
      tx.locks = new LockLedger();
      writer.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(tx);
        writer.exec('COMMIT');
        if (walSync) walSync.committed++;
        return out;
      } catch (e) {
        if (writer.inTransaction) writer.exec('ROLLBACK');
        throw e;
      }
    };
    const p = tail.then(run, run);
    tail = p.catch(() => undefined);
    return p;
  };
  const durable = (): Promise<void> => (walSync ? walSync.until(walSync.committed) : Promise.resolve());

  const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: reader }) });
  let closed = false;
  return {
    dialect: 'sqlite',
    kysely,
    location: file,
    read: readerApi(reader),
    async transaction<T>(fn: (t: Tx) => Promise<T>): Promise<T> {
      const value = await committed(fn);
      await durable();
      return value;
    },
    async pipelinedTransaction<T>(fn: (t: Tx) => Promise<T>) {
      const value = await committed(fn);
      return { value, durable: durable() };
    },
    durable,
    async nextSequenceBlock(key, size, t) {
      const row = await t.get<{ last: number }>(
        `INSERT INTO sequences (key, last) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET last = sequences.last + excluded.last RETURNING last`,
        [key, size],
      );
      return (row as { last: number }).last - size + 1;
    },
    isRetryable: () => false,
    contention: newContention(),
    async ping() {
      reader.prepare('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      await tail.catch(() => undefined);
      await durable().catch(() => undefined);
      await walSync?.settled();
      walSync?.close();
      await kysely.destroy().catch(() => undefined);
      try {
        writer.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // a concurrent reader in another process can hold the WAL; the next start checkpoints it
      }
      writer.close();
      if (reader.open) reader.close();
    },
  };
}

// ---------------------------------------------------------------- PostgreSQL

let pgTypesSet = false;
function setPgTypes(): void {
  if (pgTypesSet) return;
  pgTypesSet = true;
  // BIGINT (money, epoch ms, counts) and NUMERIC (sums) stay well inside 2^53: read them as numbers.
  pg.types.setTypeParser(20, (v) => Number(v));
  pg.types.setTypeParser(1700, (v) => Number(v));
}

/** `?` placeholders to `$1…$n` (our SQL never has `?` inside string literals). */
function toPgPlaceholders(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

const pgTextCache = new Map<string, { text: string; name: string }>();
function pgStatement(sql: string, convert: boolean): { text: string; name: string } {
  const key = convert ? sql : `\u0000${sql}`;
  let s = pgTextCache.get(key);
  if (!s) {
    const text = convert ? toPgPlaceholders(sql) : sql;
    // Named statements are parsed and planned once per connection: the biggest single gain on PostgreSQL.
    s = { text, name: 'oh_' + createHash('sha1').update(text).digest('hex').slice(0, 20) };
    pgTextCache.set(key, s);
  }
  return s;
}

async function openPostgres(url: string, schema: string | undefined, poolSize: number): Promise<Database> {
  setPgTypes();
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  pool.on('error', () => undefined); // idle client errors surface on the next query instead
  // Sequence blocks are taken outside the caller's transaction. From the main pool that would starve:
  // every connection inside a transaction, each waiting for one more. They get their own small pool.
  const sequencePool = new pg.Pool({ connectionString: url, max: 2, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
  sequencePool.on('error', () => undefined);
  if (schema) {
    const c = await pool.connect();
    try {
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      c.release();
    }
  }
  const q = async (client: pg.PoolClient | pg.Pool, sql: string, params: readonly SqlValue[], convert = true) => {
    const s = pgStatement(sql, convert);
    return client.query({ name: s.name, text: s.text, values: params as unknown[] });
  };

  const isRetryable = (e: unknown): boolean => {
    const code = (e as { code?: string } | null)?.code;
    // Deadlock, serialisation failure, a unique key another writer took first, or a lock that appeared too late to
    // take in order (unit-of-work.ts): the work can run again.
    return code === '40P01' || code === '40001' || code === '23505' || code === 'LOCK_ORDER_RETRY';
  };

  const once = async <T>(fn: (t: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let depth = 0;
    const tx: Tx = {
      dialect: 'postgres',
      locks: new LockLedger(),
      async run(sql, params = []) {
        return (await q(client, sql, params)).rowCount ?? 0;
      },
      async get<T2>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(client, sql, params)).rows[0] as T2 | undefined;
      },
      async all<T2>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(client, sql, params)).rows as T2[];
      },
      async execute<T2>(cq: CompiledQuery<T2>) {
        const r = await q(client, cq.sql, cq.parameters as SqlValue[], false);
        return { rows: r.rows as T2[], changes: r.rowCount ?? 0 };
      },
      async savepoint<T2>(inner: () => Promise<T2>) {
        const name = `sp${++depth}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const out = await inner();
          await client.query(`RELEASE SAVEPOINT ${name}`);
          return out;
        } catch (e) {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await client.query(`RELEASE SAVEPOINT ${name}`);
          throw e;
        } finally {
          depth--;
        }
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      client.release(broken);
    }
  };
  const contention = newContention();
  const transaction = <T>(fn: (t: Tx) => Promise<T>): Promise<T> => withRetry(() => once(fn), isRetryable, defaultRetryPolicy, contention);

  const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(url);
  return {
    dialect: 'postgres',
    kysely,
    location: `postgres://${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ''}`,
    read: {
      async get<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(pool, sql, params)).rows[0] as T | undefined;
      },
      async all<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(pool, sql, params)).rows as T[];
      },
    },
    transaction,
    // Group commit retries the items of a failed batch itself (requeued one by one), so no retry here.
    async pipelinedTransaction<T>(fn: (t: Tx) => Promise<T>) {
      return { value: await once(fn), durable: Promise.resolve() };
    },
    durable: () => Promise.resolve(),
    async nextSequenceBlock(key, size) {
      // Outside the caller's transaction: a hot counter row must not be locked until a whole batch commits.
      const r = await q(
        sequencePool,
        `INSERT INTO sequences (key, last) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET last = sequences.last + excluded.last RETURNING last`,
        [key, size],
      );
      return (r.rows[0] as { last: number }).last - size + 1;
    },
    isRetryable,
    contention,
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      // Kysely ends the pool only if it ran a query itself; otherwise idle clients would hold the process ~10 s.
      await kysely.destroy().catch(() => undefined);
      if (!pool.ended) await pool.end().catch(() => undefined);
      if (!sequencePool.ended) await sequencePool.end().catch(() => undefined);
    },
  };
}
