// The stores every store-level suite runs against: a real SQLite file and a real PostgreSQL server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defaults, type Config } from '../../src/platform/config.ts';

export const pgUrl = process.env.ORDERHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgProbe: Promise<string | null> | null = null;

/** null when PostgreSQL answers, else why not. */
export function pgUnavailable(): Promise<string | null> {
  pgProbe ??= (async () => {
    const c = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return null;
    } catch (e) {
      return (e as Error).message;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return pgProbe;
}

export interface Backend {
  name: 'sqlite' | 'postgres' | 'sqlite with writer thread';
  /** Run writes in the SQLite writer thread, as `orderhub serve` does. */
  writerThread?: boolean;
  /** A fresh, isolated place for one test's data: a temp dir or a PostgreSQL schema. */
  fresh(overrides?: Partial<Config>): Promise<{ config: Config; pgSchema?: string; cleanup: () => Promise<void> }>;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...defaults,
    port: 0,
    host: '127.0.0.1',
    adminToken: 'test-admin-token-0123456789',
    // A fixed test key, so PostgreSQL runs (which have no data directory of their own) never write ./data/keys.
    dataKeys: `test:${Buffer.alloc(32, 7).toString('base64')}`,
    logLevel: 'silent',
    configFile: null,
    // Tests ask for pulls when they want them (hub.poller.runAccount), against simulators on loopback.
    pullIntervalSeconds: 0,
    listingPullIntervalHours: 0,
    // Tests route when they mean to (POST /api/routing/run, or hub.autoRouting.runPass with its own `now`): the orders
    // they push are paid in the past, so a background pass could route them halfway through a test.
    autoRouting: false,
    ...overrides,
  };
}

const sqlite: Backend = {
  name: 'sqlite',
  async fresh(overrides = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'orderhub-test-'));
    return {
      config: testConfig({ dataDir: dir, ...overrides }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Backend = {
  name: 'postgres',
  async fresh(overrides = {}) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    return {
      config: testConfig({ databaseUrl: pgUrl, ...overrides }),
      pgSchema: schema,
      cleanup: async () => {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      },
    };
  },
};

/**
 * Both stores. On CI PostgreSQL must be there (CI=true makes its absence a failure);
 * on a laptop without it the PostgreSQL half is skipped with the reason printed.
 */
export async function backends(): Promise<Backend[]> {
  const why = await pgUnavailable();
  if (why) {
    if (process.env.CI === 'true' || process.env.CI === '1') {
      throw new Error(`PostgreSQL is required on CI but unreachable at ${pgUrl}: ${why}`);
    }
    console.warn(`[orderhub tests] skipping PostgreSQL suites: ${pgUrl} unreachable (${why})`);
    return [sqlite];
  }
  return [sqlite, postgres];
}

export const allBackends = await backends();

/** For suites that only talk HTTP: also the SQLite writer thread, the production mode of `serve`. */
export const httpBackends: Backend[] = [...allBackends, { ...sqlite, name: 'sqlite with writer thread', writerThread: true }];
