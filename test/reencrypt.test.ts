// Key rotation for personal data at rest: the backfill that moves plaintext and old-key values under the new first
// key, the report that says when an old key can go, and the `orderhub data` commands, on every store.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allBackends, pgUrl, type Backend } from './support/backends.ts';
import { bin } from './support/process.ts';
import { createShop, setStock, startServer, type TestServer } from './support/server.ts';
import { orderBody, type OrderBody } from './support/sign.ts';
import { Keyring, parseKeyList } from '../src/platform/security/keyring.ts';
import { keyReport, reencrypt, type KeyReport, type TableProgress } from '../src/platform/security/reencrypt.ts';
import { verifyAudit } from '../src/modules/access/audit.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';
import { DEFAULT_TENANT } from '../src/kernel/tenancy.ts';
import type { Config } from '../src/platform/config.ts';

const KEY_A = `A:${Buffer.alloc(32, 1).toString('base64')}`;
const KEY_B = `B:${Buffer.alloc(32, 2).toString('base64')}`;
const onlyB = new Keyring(parseKeyList(KEY_B));
const operator = systemPrincipal(DEFAULT_TENANT, 'cli:test');

interface Place {
  config: Config;
  pgSchema?: string;
  cleanup: () => Promise<void>;
}

/** The same data, the hub started again with another key list. */
function withKeys(place: Place, dataKeys: string): Place {
  return { ...place, config: { ...place.config, dataKeys } };
}

interface OrderRow {
  id: string;
  receiver_phone: string;
  receiver_address: string;
  buyer_phone: string | null;
  receiver_phone_hash: string | null;
  buyer_phone_hash: string | null;
}

async function pushOrder(s: TestServer, shop: { id: string; secret: string }, body: OrderBody): Promise<string> {
  const r = await s.push(shop.id, shop.secret, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.orders?.[0]?.orderId as string;
}

/** Every data column's counts without the audit signatures (those are never rewritten). */
const dataColumns = (r: KeyReport) => r.columns.filter((c) => c.kind !== 'audit signature');

describe.each(allBackends)('data re-encryption on $name', (backend: Backend) => {
  it('moves plaintext and old-key values under the new first key, after which the old key can leave the list', async () => {
    let s = await startServer(backend, { dataKeys: KEY_A });
    const place: Place = s.place;
    try {
      const shop = await createShop(s);
      const legacyShop = await createShop(s, 'legacy-shop-secret-0123456789');
      const hook = await s.api<{ id: string }>('POST', '/api/webhooks', { url: 'http://127.0.0.1:9/hook', secret: 'legacy-webhook-secret-0123' });
      expect(hook.status).toBe(201);
      await setStock(s, 'A1', 100);
      const expected = new Map<string, { phone: string; address: string; buyerPhone: string | null }>();
      const place1 = async (phone: string, address: string, buyerPhone: string | null) => {
        const body = orderBody({
          receiver: { name: '王小明', phone, province: '浙江省', city: '杭州市', district: '西湖区', address },
          buyer: buyerPhone ? { id: 'b1', name: '王小明', phone: buyerPhone } : undefined,
        });
        const id = await pushOrder(s, shop, body);
        expected.set(id, { phone, address, buyerPhone });
        return { id, body };
      };
      const first = await place1('13800000001', '文三路 1 号', '13900000001');
      await place1('13800000002', '文三路 2 号', null);
      const legacy = await place1('13800000003', '文三路 3 号 (legacy)', '13900000003');

      // One order as it was stored before encryption existed: plaintext, no phone hashes; its raw payload too,
      // and one shop's credentials.
      const legacyRaw = JSON.stringify(legacy.body);
      const latin1 = Buffer.concat([Buffer.from('{"note":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      await s.hub.db.transaction(async (tx) => {
        await tx.run(
          'UPDATE orders SET receiver_phone = ?, receiver_address = ?, buyer_phone = ?, receiver_phone_hash = NULL, buyer_phone_hash = NULL WHERE id = ?',
          ['13800000003', '文三路 3 号 (legacy)', '13900000003', legacy.id],
        );
        await tx.run('UPDATE raw_events SET body = ? WHERE order_id = ?', [legacyRaw, legacy.id]);
        // A body that is not UTF-8 (a shop sending Latin-1): re-encryption must keep its bytes, not text.
        await tx.run('UPDATE raw_events SET body = ?, body_sha256 = ? WHERE order_id = ?', [s.hub.keyring.encryptBytes(latin1), createHash('sha256').update(latin1).digest('hex'), first.id]);
        await tx.run('UPDATE channel_accounts SET credentials = ? WHERE id = ?', [JSON.stringify({ secret: legacyShop.secret }), legacyShop.id]);
        await tx.run('UPDATE webhook_endpoints SET secret = ? WHERE id = ?', ['legacy-webhook-secret-0123', hook.body.id]);
      });
      await s.stop();

      // Rotation: B first, A after it.
      s = await startServer(backend, {}, {}, withKeys(place, `${KEY_B},${KEY_A}`));
      const db = s.hub.db;
      const before = await keyReport(db, s.hub.keyring);
      const col = (r: KeyReport, name: string) => r.columns.find((c) => `${c.table}.${c.column}` === name);
      expect(before.activeKeyId).toBe('B');
      expect(col(before, 'orders.receiver_phone')).toMatchObject({ byKey: { A: 2 }, plaintext: 1 });
      expect(col(before, 'orders.receiver_phone_hash')).toMatchObject({ byKey: { A: 2 }, plaintext: 1 });
      expect(col(before, 'orders.receiver_address')).toMatchObject({ byKey: { A: 2 }, plaintext: 1 });
      expect(col(before, 'orders.buyer_phone')).toMatchObject({ byKey: { A: 1 }, plaintext: 1 });
      expect(col(before, 'orders.buyer_phone_hash')).toMatchObject({ byKey: { A: 1 }, plaintext: 1 });
      expect(col(before, 'raw_events.body')).toMatchObject({ byKey: { A: 2 }, plaintext: 1 });
      expect(col(before, 'channel_accounts.credentials')).toMatchObject({ byKey: { A: 1 }, plaintext: 1 });
      expect(col(before, 'webhook_endpoints.secret')).toMatchObject({ byKey: {}, plaintext: 1 });
      expect(before.pending).toBe(3 + 3 + 3 + 2 + 2 + 3 + 2 + 1);
      expect(before.keys.find((k) => k.id === 'B')).toMatchObject({ active: true, values: 0 });

      // Without the old key nothing can be read, so nothing is written.
      await expect(reencrypt(db, onlyB, { auditAs: operator })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/missing from the keyring \(A: 8\)/) });
      // A dry run counts and writes nothing.
      const dry = await reencrypt(db, s.hub.keyring, { dryRun: true, auditAs: operator });
      expect(dry.tables).toMatchObject({
        orders: { rows: 3, changed: 3 },
        raw_events: { rows: 3, changed: 3 },
        channel_accounts: { rows: 2, changed: 2 },
        webhook_endpoints: { rows: 1, changed: 1 },
      });
      expect(await keyReport(db, s.hub.keyring)).toEqual(before);

      // Interrupted after its first batch: what was done stays done, and a new run finishes the rest.
      const stop = new Error('operator pressed Ctrl-C');
      await expect(
        reencrypt(db, s.hub.keyring, {
          batchSize: 1,
          auditAs: operator,
          onProgress: () => {
            throw stop;
          },
        }),
      ).rejects.toBe(stop);
      const halfway = await keyReport(db, s.hub.keyring);
      expect(halfway.pending).toBeGreaterThan(0);
      expect(halfway.pending).toBeLessThan(before.pending);

      const progress: TableProgress[] = [];
      const done = await reencrypt(db, s.hub.keyring, { batchSize: 2, auditAs: operator, onProgress: (p) => progress.push(p) });
      expect(done.activeKeyId).toBe('B');
      expect(done.tables.orders).toMatchObject({ rows: 3, changed: 2 }); // the third was done by the interrupted run
      expect(done.tables.raw_events).toMatchObject({ rows: 3, changed: 3, values: 3, hashes: 0 });
      expect(done.tables.channel_accounts).toMatchObject({ rows: 2, changed: 2, values: 2 });
      expect(progress.filter((p) => p.table === 'orders').map((p) => p.rowsDone)).toEqual([2, 3]);
      expect(progress.find((p) => p.table === 'channel_accounts' && p.rowsDone === 2)).toEqual({ table: 'channel_accounts', rowsDone: 2, rowsChanged: 2 });
      expect(progress.at(-1)).toEqual({ table: 'webhook_endpoints', rowsDone: 1, rowsChanged: 1 });

      // Every value is under B, the legacy plaintext included, and reads back as it was.
      const rows = await db.read.all<OrderRow>(
        'SELECT id, receiver_phone, receiver_address, buyer_phone, receiver_phone_hash, buyer_phone_hash FROM orders',
      );
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        const want = expected.get(r.id);
        for (const v of [r.receiver_phone, r.receiver_address]) expect(v).toMatch(/^enc:v1:B:/);
        expect(onlyB.decrypt(r.receiver_phone)).toBe(want?.phone);
        expect(onlyB.decrypt(r.receiver_address)).toBe(want?.address);
        expect(r.receiver_phone_hash).toBe(onlyB.indexHash(want?.phone as string));
        if (want?.buyerPhone) {
          expect(r.buyer_phone).toMatch(/^enc:v1:B:/);
          expect(onlyB.decrypt(r.buyer_phone as string)).toBe(want.buyerPhone);
          expect(r.buyer_phone_hash).toBe(onlyB.indexHash(want.buyerPhone));
        } else {
          expect(r.buyer_phone).toBeNull();
          expect(r.buyer_phone_hash).toBeNull();
        }
      }
      const raws = await db.read.all<{ order_id: string | null; body: string; body_sha256: string }>('SELECT order_id, body, body_sha256 FROM raw_events');
      for (const r of raws) {
        expect(r.body).toMatch(/^enc:v1:B:/);
        expect(createHash('sha256').update(onlyB.decryptBytes(r.body)).digest('hex')).toBe(r.body_sha256);
      }
      expect(onlyB.decryptBytes(raws.find((r) => r.order_id === first.id)?.body as string).equals(latin1)).toBe(true);
      expect(onlyB.decrypt(raws.find((r) => r.order_id === legacy.id)?.body as string)).toBe(legacyRaw);
      const creds = await db.read.all<{ id: string; credentials: string }>('SELECT id, credentials FROM channel_accounts');
      for (const c of creds) expect(c.credentials).toMatch(/^enc:v1:B:/);
      expect(JSON.parse(onlyB.decrypt(creds.find((c) => c.id === legacyShop.id)?.credentials as string))).toEqual({ secret: legacyShop.secret });
      const hookRow = await db.read.get<{ secret: string }>('SELECT secret FROM webhook_endpoints WHERE id = ?', [hook.body.id]);
      expect(hookRow?.secret).toMatch(/^enc:v1:B:/);
      expect(onlyB.decrypt(hookRow?.secret as string)).toBe('legacy-webhook-secret-0123');

      // Idempotent: a second run finds nothing to do.
      const again = await reencrypt(db, s.hub.keyring, { auditAs: operator });
      for (const t of Object.values(again.tables)) expect(t).toMatchObject({ changed: 0, values: 0, hashes: 0 });

      // The report now shows nothing under A but the audit entries it signed, which are history and stay as they are.
      const after = await keyReport(db, s.hub.keyring);
      expect(after.pending).toBe(0);
      for (const c of dataColumns(after)) {
        expect(c.byKey.A, `${c.table}.${c.column}`).toBeUndefined();
        expect(c.plaintext, `${c.table}.${c.column}`).toBe(0);
      }
      const keyA = after.keys.find((k) => k.id === 'A');
      expect(keyA).toMatchObject({ inKeyring: true, active: false, values: 0 });
      expect(keyA?.auditEntries).toBeGreaterThan(0);
      const runs = await db.read.all<{ actor_name: string; after: string; detail: string; key_id: string }>(
        `SELECT actor_name, after, detail, key_id FROM audit_log WHERE action = 'data.reencrypt' ORDER BY seq`,
      );
      // The interrupted run, the full run and the idempotent one; never the refused run or the dry run.
      expect(runs.map((r) => JSON.parse(r.detail) as { completed: boolean })).toMatchObject([{ completed: false }, { completed: true }, { completed: true }]);
      expect(runs[1]).toMatchObject({ actor_name: 'cli:test', key_id: 'B' });
      expect(JSON.parse(runs[1]?.after as string)).toMatchObject({ activeKeyId: 'B', tables: { orders: { rows: 3, changed: 2 } } });
      expect((await verifyAudit(db, s.hub.keyring)).every((v) => v.ok)).toBe(true);
      await s.stop();

      // A leaves the list: search by full phone (receiver and buyer), the revealed order, and the re-encrypted shop
      // credentials all work under B alone.
      s = await startServer(backend, {}, {}, withKeys(place, KEY_B));
      for (const [phone, id] of [
        ['13800000003', legacy.id],
        ['13900000003', legacy.id],
        ['13800000001', first.id],
        ['+8613900000001', first.id],
      ] as const) {
        const found = await s.api<{ items: { id: string }[]; total: number }>('GET', `/api/orders?q=${encodeURIComponent(phone)}`);
        expect(found.status).toBe(200);
        expect(found.body.items.map((o) => o.id), phone).toEqual([id]);
      }
      const full = await s.api<{ receiver: { phone: string; address: string }; buyer: { phone: string } }>('GET', `/api/orders/${legacy.id}?reveal=true`);
      expect(full.status).toBe(200);
      expect(full.body.receiver).toMatchObject({ phone: '13800000003', address: '文三路 3 号 (legacy)' });
      expect(full.body.buyer.phone).toBe('13900000003');
      await pushOrder(s, legacyShop, orderBody());
      // The audit rows A signed no longer verify without it: why the README says to keep audit keys.
      const verdict = (await verifyAudit(s.hub.db, s.hub.keyring))[0];
      expect(verdict?.firstBroken?.reason).toBe('it was signed with key A, which is not in the keyring');
    } finally {
      await s.close();
    }
  });

  it('runs from the shell: `data keys` reports, `data reencrypt` rewrites and audits, a bad --batch writes nothing', async () => {
    let s = await startServer(backend, { dataKeys: KEY_A });
    const place: Place = s.place;
    const cwd = mkdtempSync(join(tmpdir(), 'orderhub-reencrypt-cli-'));
    try {
      const shop = await createShop(s);
      await setStock(s, 'A1', 10);
      await pushOrder(s, shop, orderBody());
      await pushOrder(s, shop, orderBody({ buyer: undefined }));
      await s.stop();

      const env: Record<string, string> = {
        ...(Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !k.startsWith('ORDERHUB_') && k !== 'DATABASE_URL' && k !== 'PORT'),
        ) as Record<string, string>),
        LOG_LEVEL: 'warn',
        ORDERHUB_ADMIN_TOKEN: place.config.adminToken,
        ORDERHUB_DATA_KEYS: `${KEY_B},${KEY_A}`,
        ...(place.pgSchema ? { DATABASE_URL: pgUrl, ORDERHUB_PG_SCHEMA: place.pgSchema } : { ORDERHUB_DATA_DIR: place.config.dataDir }),
      };
      const run = (...args: string[]) => {
        const r = spawnSync(process.execPath, [bin, ...args], { env, cwd, encoding: 'utf8', timeout: 60_000 });
        return { code: r.status, out: r.stdout, err: r.stderr };
      };
      const report = () => {
        const r = run('data', 'keys', '--json');
        expect(r.code, r.err).toBe(0);
        return JSON.parse(r.out) as KeyReport;
      };

      const before = report();
      expect(before.activeKeyId).toBe('B');
      expect(before.keys.find((k) => k.id === 'A')?.values).toBeGreaterThan(0);
      expect(before.pending).toBeGreaterThan(0);

      for (const bad of ['0', 'abc', '-5', '2.5', '100000']) {
        const r = run('data', 'reencrypt', '--batch', bad);
        expect(r.code, bad).not.toBe(0);
        expect(r.err).toContain('--batch must be a whole number from 1 to 5000');
      }
      const dry = run('data', 'reencrypt', '--dry-run');
      expect(dry.code, dry.err).toBe(0);
      expect(dry.out).toContain('dry run, nothing written');
      expect(report()).toEqual(before); // no value and no audit row written by the refused runs or the dry run

      const r = run('data', 'reencrypt', '--batch', '1');
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain('orders: 1 rows checked, 1 rewritten');
      expect(r.err).toContain('orders: 2 rows checked, 2 rewritten');
      expect(r.out).toContain('re-encrypted under key B:');
      expect(r.out).toMatch(/orders\s+2 rows, 2 rewritten \(5 values, 3 phone hashes\)/);
      expect(r.out).toContain('nothing is left under an old key or in plaintext');
      expect(r.out + r.err).not.toContain('13812341234'); // no personal data on the terminal

      const human = run('data', 'keys');
      expect(human.code, human.err).toBe(0);
      expect(human.out).toMatch(/key A \(old\): 0 values, \d+ audit entries: no data left under it; keep it while its audit entries must verify/);
      expect(human.out).toContain('nothing left to re-encrypt');

      s = await startServer(backend, {}, {}, withKeys(place, `${KEY_B},${KEY_A}`));
      const after = await keyReport(s.hub.db, s.hub.keyring);
      expect(after.pending).toBe(0);
      for (const c of dataColumns(after)) expect(c.byKey.A ?? 0, `${c.table}.${c.column}`).toBe(0);
      const audited = await s.hub.db.read.all<{ actor_name: string; after: string }>(`SELECT actor_name, after FROM audit_log WHERE action = 'data.reencrypt'`);
      expect(audited).toHaveLength(1);
      expect(audited[0]?.actor_name).toMatch(/^cli:/);
      expect(JSON.parse(audited[0]?.after as string)).toMatchObject({
        activeKeyId: 'B',
        tables: { orders: { rows: 2, changed: 2 }, raw_events: { rows: 2, changed: 2 }, channel_accounts: { rows: 1, changed: 1 } },
      });
      expect((await verifyAudit(s.hub.db, s.hub.keyring)).every((v) => v.ok)).toBe(true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
      await s.close();
    }
    // Each command that opens PostgreSQL takes ~11 s to exit today (see the note in the report), hence the timeout.
  }, 180_000);
});
