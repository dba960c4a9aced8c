// The two stores under test: a fresh SQLite data dir or a fresh PostgreSQL database, plus direct read access for the checks.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/** Read-only queries against the hub's database, after the hub has stopped. */
export interface DirectReader {
  all<T>(sql: string): Promise<T[]>;
  close(): Promise<void>;
}

export interface BenchStore {
  name: 'SQLite' | 'PostgreSQL';
  /** Environment that points the hub at this store. */
  env: Record<string, string>;
  durability: string;
  /** Where it lives, for the report. */
  location: string;
  reader(): Promise<DirectReader>;
  /** Store-level counters worth reporting (deadlocks …), read after the hub has stopped. */
  stats(reader: DirectReader): Promise<Record<string, number>>;
  dispose(): Promise<void>;
}

/** `synchronous` only labels the result; the hub reads ORDERHUB_SQLITE_SYNCHRONOUS itself (unset = its default, FULL). */
export function sqliteStore(synchronous?: string): BenchStore {
  const dir = mkdtempSync(join(tmpdir(), 'orderhub-bench-'));
  return {
    name: 'SQLite',
    env: { ORDERHUB_DATA_DIR: dir },
    durability: synchronous ? `WAL, synchronous=${synchronous.toUpperCase()}` : 'WAL, synchronous=FULL (default)',
    location: join(dir, 'orderhub.db'),
    async reader() {
      const db = new BetterSqlite3(join(dir, 'orderhub.db'), { readonly: true, fileMustExist: true });
      return {
        async all<T>(sql: string) {
          return db.prepare(sql).all() as T[];
        },
        async close() {
          db.close();
        },
      };
    },
    async stats() {
      return {};
    },
    async dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates bench_<random> next to the given database; throws with the reason when PostgreSQL cannot be used. */
export async function postgresStore(adminUrl: string): Promise<BenchStore> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
  await admin.connect();
  let settings: Record<string, string> = {};
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    for (const s of ['fsync', 'synchronous_commit', 'full_page_writes']) {
      const r = await admin.query<Record<string, string>>(`SHOW ${s}`);
      settings = { ...settings, [s]: r.rows[0]?.[s] ?? '?' };
    }
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  return {
    name: 'PostgreSQL',
    env: { DATABASE_URL: dbUrl },
    durability: `fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}`,
    location: `${url.host}/${name}`,
    async reader() {
      const c = new pg.Client({ connectionString: dbUrl });
      await c.connect();
      return {
        async all<T>(sql: string) {
          return (await c.query(sql)).rows as T[];
        },
        async close() {
          await c.end();
        },
      };
    },
    async stats(reader) {
      // Each deadlock costs deadlock_timeout (1 s by default) before PostgreSQL breaks it: the long latency tail.
      const [row] = await reader.all<Record<string, string | number>>(
        `SELECT deadlocks, xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()`,
      );
      return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
    },
    async dispose() {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
      await c.connect();
      try {
        // FORCE: a pool connection left behind by a hub that died must not keep the bench database alive.
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
