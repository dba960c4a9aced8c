// The hub as a separate OS process (`orderhub serve`), for crash and CLI tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { pgUrl } from './backends.ts';

export const bin = fileURLToPath(new URL('../../bin/orderhub.js', import.meta.url));

export interface HubProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export async function spawnHub(env: Record<string, string>, args: string[] = []): Promise<HubProcess> {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running behind a failed test (on a loaded machine a start can take this long).
      child.kill('SIGKILL');
      reject(new Error(`hub did not start:\n${out}`));
    }, 90_000);
    const check = () => {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${out}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, url, output: () => out };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/** The admin API of a hub process, called with its bearer token. */
export function adminApi(token: string) {
  return async (url: string, method: string, path: string, body?: unknown) => {
    const r = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
}

export type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** Reads what a stopped hub left in its store (the SQLite file in `dir`, or the PostgreSQL schema), read-only. */
export async function openStore(store: 'sqlite' | 'postgres', dir: string, schema: string): Promise<{ query: Query; close: () => Promise<void> }> {
  if (store === 'sqlite') {
    const db = new BetterSqlite3(join(dir, 'orderhub.db'), { readonly: true });
    return { query: async (sql) => db.prepare(sql).all() as Record<string, unknown>[], close: async () => void db.close() };
  }
  const c = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
  await c.connect();
  return { query: async (sql) => (await c.query(sql)).rows as Record<string, unknown>[], close: () => c.end() };
}

/** Drops a test's PostgreSQL schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}
