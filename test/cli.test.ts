// The `orderhub` command as an operator uses it: a separate process, real files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, exited, spawnHub } from './support/process.ts';

let dir: string;
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('ORDERHUB_') && k !== 'DATABASE_URL' && k !== 'PORT'),
) as Record<string, string>;

/**
 * Runs the CLI as a child process without blocking this worker: a test that ran a dozen synchronous CLI starts on a busy
 * machine held the worker's event loop past vitest's 60 s RPC timeout ("Timeout calling onTaskUpdate").
 */
function run(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...cleanEnv, ORDERHUB_DATA_DIR: dir, LOG_LEVEL: 'warn', ...env }, cwd: dir });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
    child.stdin.end(input ?? '');
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'orderhub-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orderhub CLI', () => {
  it('explains itself', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'migrate', 'config', 'token', 'account', 'stock']) expect(r.out).toContain(cmd);
    expect((await run(['stock', '--help'])).out).toMatch(/set \[options\] <sku>/);
  });

  it('prints the effective configuration with secrets hidden', async () => {
    const r = await run(['config'], { DATABASE_URL: 'postgres://hub:supersecret@db.example:5432/hub', ORDERHUB_ADMIN_TOKEN: 'topsecret-token', PORT: '4100' });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('supersecret');
    expect(r.out).not.toContain('topsecret-token');
    expect(r.out).toMatch(/databaseUrl\s+"postgres:\/\/hub:\*\*\*@db\.example:5432\/hub"\s+DATABASE_URL/);
    expect(r.out).toMatch(/adminToken\s+"\(set, hidden\)"/);
    expect(r.out).toMatch(/port\s+4100\s+PORT/);
  });

  it('reads an optional config file and refuses bad settings clearly', async () => {
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ paymentTimeoutMinutes: 30 }));
    expect((await run(['config'], { ORDERHUB_CONFIG: 'good.json' })).out).toMatch(/paymentTimeoutMinutes\s+30/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ paymentTimeoutMinute: 30 }));
    const bad = await run(['config'], { ORDERHUB_CONFIG: 'bad.json' });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('unknown setting "paymentTimeoutMinute"');
    const port = await run(['config'], { PORT: 'eighty' });
    expect(port.code).toBe(2);
    expect(port.err).toContain('PORT: must be a number');
  });

  it('migrates, creates a shop and sets stock', async () => {
    expect((await run(['migrate'])).out).toContain('applied: 001_foundation');
    expect((await run(['migrate'])).out).toContain('up to date');
    const created = await run(['account', 'create', '--platform', 'ownshop', '--name', 'Web shop', '--secret', 'cli-secret-123']);
    expect(created.code).toBe(0);
    const acct = JSON.parse(created.out) as { id: string; webhookUrl: string };
    expect(acct.webhookUrl).toBe(`http://127.0.0.1:3000/hooks/ownshop/${acct.id}`);
    expect((await run(['account', 'list'])).out).toContain(acct.id);
    // An unknown warehouse is refused unless creating it is asked for (a typo must not make a warehouse).
    const typo = await run(['stock', 'set', 'A1', '--warehouse', 'WH1', '--on-hand', '7']);
    expect(typo.code).toBe(1);
    expect(typo.err).toContain('WAREHOUSE_NOT_FOUND');
    const stock = JSON.parse((await run(['stock', 'set', 'A1', '--warehouse', 'WH1', '--on-hand', '7', '--create-warehouse'])).out) as { onHand: number; available: number };
    expect(stock).toMatchObject({ onHand: 7, available: 7 });
    expect(JSON.parse((await run(['stock', 'get', 'A1'])).out)).toMatchObject({ sku: 'A1', onHand: 7 });
  });

  it('refuses bad operator input with a clear message', async () => {
    const r = await run(['account', 'create', '--platform', 'myspace', '--name', 'x']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('PLATFORM_NOT_SUPPORTED');
    const n = await run(['stock', 'set', 'A1', '--warehouse', 'WH1', '--on-hand', '-3']);
    expect(n.code).not.toBe(0);
    expect(n.err).toContain('--on-hand must be a whole number');
    expect((await run(['stock', 'get', 'NOPE'])).err).toContain('SKU_NOT_FOUND');
  });

  it('prints its version, and reads and writes the organisation --tenant names, saying where data is when it finds none', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const v = await run(['--version']);
    expect([v.code, v.out.trim()]).toEqual([0, pkg.version]);
    const made = await run(['account', 'create', '--platform', 'ownshop', '--name', 'Second seller', '--secret', 'cli-secret-456', '--tenant', 'shop2']);
    expect(made.code, made.err).toBe(0);
    const id = (JSON.parse(made.out) as { id: string }).id;
    expect((await run(['account', 'list', '--tenant', 'shop2'])).out).toContain(id);
    expect((await run(['account', 'list'])).out).not.toContain(id);
    expect((await run(['stock', 'set', 'T2SKU', '--warehouse', 'WH1', '--on-hand', '4', '--tenant', 'shop2', '--create-warehouse', '--reason', 'opening count'])).code).toBe(0);
    expect(JSON.parse((await run(['stock', 'get', 'T2SKU', '--tenant', 'shop2'])).out)).toMatchObject({ sku: 'T2SKU', onHand: 4 });
    expect((await run(['stock', 'get', 'T2SKU'])).err).toContain('SKU_NOT_FOUND');
    // An organisation with nothing in it: the empty list says which organisations hold data, on stderr.
    const empty = await run(['account', 'list', '--tenant', 'nobody']);
    expect([empty.code, empty.out]).toEqual([0, '']);
    expect(empty.err).toMatch(/no shops in organisation "nobody"; organisations here: .*shop2/);
    expect((await run(['stock', 'get', 'X', '--tenant', 'bad tenant'])).err).toMatch(/--tenant must be/);
  }, 240_000); // ten CLI starts, each a Node process with a TypeScript loader: minutes on a busy 2-core machine

  it('generates an admin token on first start and shows it once; the database keeps only its hash; `token` issues a new one', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'orderhub-token-'));
    try {
      const env = { ...cleanEnv, ORDERHUB_DATA_DIR: fresh };
      const first = await spawnHub(env);
      first.child.kill('SIGTERM');
      expect(await exited(first.child)).toBe(0);
      const token = /Admin token[^\n]*\n\n\s+(oh_\S+)/.exec(first.output())?.[1] as string;
      expect(token).toMatch(/^oh_[A-Za-z0-9_-]{43}$/);
      const { default: Sqlite } = await import('better-sqlite3');
      const stored = () => {
        const db = new Sqlite(join(fresh, 'orderhub.db'), { readonly: true });
        const rows = db.prepare('SELECT key, value FROM settings').all();
        db.close();
        return JSON.stringify(rows);
      };
      expect(stored()).not.toContain(token);
      expect(stored()).toContain('admin_token_hash');

      const second = await spawnHub(env);
      const list = (t: string) => fetch(`${second.url}/api/channel-accounts`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
      expect(await list(token)).toBe(200);
      expect(second.output()).not.toContain('Admin token');
      expect(second.output()).not.toContain(token);
      // A new token, printed once, while the hub runs: the old one stops working within seconds.
      const issued = spawnSync(process.execPath, [bin, 'token'], { env, encoding: 'utf8' });
      expect(issued.status, issued.stderr).toBe(0);
      const next = issued.stdout.trim();
      expect(next).toMatch(/^oh_[A-Za-z0-9_-]{43}$/);
      expect(next).not.toBe(token);
      await expect.poll(() => list(token), { timeout: 5000 }).toBe(401);
      expect(await list(next)).toBe(200);
      expect(stored()).not.toContain(next);
      second.child.kill('SIGTERM');
      expect(await exited(second.child)).toBe(0);
      // With the token set in the environment, the CLI refuses to issue one.
      const refused = spawnSync(process.execPath, [bin, 'token'], { env: { ...env, ORDERHUB_ADMIN_TOKEN: 'configured-token-0123456789' }, encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toMatch(/ORDERHUB_ADMIN_TOKEN/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('adds a user from the shell, audits it, and names the row someone edited in the audit log', async () => {
    const weak = await run(['user', 'create', 'li.lei', '--role', 'operations'], {}, 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/VALIDATION_FAILED: the password is too short/);
    const made = await run(['user', 'create', 'li.lei', '--role', 'operations', '--provinces', '浙江省,江苏省'], {}, 'a long enough passphrase\n');
    expect(made.code, made.err).toBe(0);
    expect(JSON.parse(made.out)).toMatchObject({ username: 'li.lei', roles: ['operations'], scope: { provinces: ['江苏省', '浙江省'] } });
    expect((await run(['user', 'list'])).out).toMatch(/li\.lei\s+active\s+operations/);
    // A second seller's first admin (代运营): same username, another tenant, not listed in the default one.
    const other = await run(['user', 'create', 'li.lei', '--role', 'admin', '--tenant', 'acme'], {}, 'another long passphrase\n');
    expect(other.code, other.err).toBe(0);
    expect((await run(['user', 'list', '--tenant', 'acme'])).out).toMatch(/li\.lei\s+active\s+admin/);
    expect((await run(['user', 'list'])).out).not.toMatch(/admin/);
    const badTenant = await run(['user', 'create', 'x.y', '--tenant', 'no good'], {}, 'another long passphrase\n');
    expect(badTenant.code).toBe(1);
    expect(badTenant.err).toMatch(/--tenant must be/);
    expect((await run(['stock', 'set', 'AUD1', '--warehouse', 'WH1', '--on-hand', '5', '--create-warehouse'])).code).toBe(0);

    const ok = await run(['audit', 'verify']);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/tenant default: ok, \d+ entries, chain intact/);

    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(join(dir, 'orderhub.db'));
    const row = db.prepare(`SELECT id, seq, actor_name FROM audit_log WHERE action = 'user.create'`).get() as { id: number; seq: number; actor_name: string };
    expect(row.actor_name).toMatch(/^cli:/);
    db.prepare(`UPDATE audit_log SET after = '{"roles":["admin"]}' WHERE id = ?`).run(row.id);
    // A second, later edit is named too: the first break does not hide it.
    const later = db.prepare(`SELECT id, seq FROM audit_log WHERE tenant_id = 'default' AND action = 'stock.set' ORDER BY seq DESC LIMIT 1`).get() as { id: number; seq: number };
    expect(later.seq).toBeGreaterThan(row.seq);
    db.prepare(`UPDATE audit_log SET after = '{"onHand":500}' WHERE id = ?`).run(later.id);
    db.close();
    const broken = await run(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/tenant default: BROKEN, 2 broken links in \d+ entries/);
    expect(broken.out).toContain(`entry seq ${row.seq} (row id ${row.id}): its content does not match its MAC (edited)`);
    expect(broken.out).toContain(`entry seq ${later.seq} (row id ${later.id}): its content does not match its MAC (edited)`);
  });
});
