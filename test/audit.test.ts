// The audit chain holds whatever text reaches it, and verify names every broken link, on SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { allBackends, httpBackends, testConfig } from './support/backends.ts';
import { startServer, type TestServer } from './support/server.ts';
import { openHubDatabase } from '../src/app/hub.ts';
import type { Database } from '../src/platform/db/database.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { Keyring, parseKeyList } from '../src/platform/security/keyring.ts';
import { appendAudit, verifyAudit, type AuditVerdict } from '../src/modules/access/audit.ts';
import { listAudit } from '../src/modules/access/queries/list-audit.ts';
import { systemPrincipal, type Principal } from '../src/kernel/principal.ts';
import { RefusalThrottle } from '../src/app/http/auth.ts';

const HIGH = '\ud800';
const LOW = '\udc00';

describe.each(allBackends)('the audit chain on $name', (backend) => {
  let db: Database;
  let cleanup: () => Promise<void>;
  const keyring = new Keyring(parseKeyList(testConfig().dataKeys));

  beforeAll(async () => {
    const place = await backend.fresh();
    db = await openHubDatabase(place.config, place.pgSchema);
    cleanup = place.cleanup;
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await cleanup?.();
  });

  /** A chain of `n` entries in a tenant of its own, so each test reads only its own verdict. */
  const chain = async (n: number): Promise<string> => {
    const tenant = `t${randomUUID().slice(0, 8)}`;
    for (let i = 1; i <= n; i++) {
      await db.transaction((tx) =>
        appendAudit(tx, keyring, systemPrincipal(tenant), { action: 'stock.set', targetType: 'stock', targetId: `A${i}`, after: { onHand: i } }, 1_000 + i),
      );
    }
    return tenant;
  };
  const verdictOf = async (tenant: string): Promise<AuditVerdict> => {
    const v = (await verifyAudit(db, keyring)).find((x) => x.tenantId === tenant);
    expect(v).toBeDefined();
    return v as AuditVerdict;
  };
  const edit = (tenant: string, seq: number) =>
    db.transaction((tx) => tx.run(`UPDATE audit_log SET after = '{"onHand":0}' WHERE tenant_id = ? AND seq = ?`, [tenant, seq]));
  const remove = (tenant: string, seq: number) => db.transaction((tx) => tx.run('DELETE FROM audit_log WHERE tenant_id = ? AND seq = ?', [tenant, seq]));

  it('keeps verifying after entries whose every field holds NUL and lone surrogates', async () => {
    const tenant = `t${randomUUID().slice(0, 8)}`;
    const mallory: Principal = {
      ...systemPrincipal(tenant),
      kind: 'user',
      userId: `u\u0000${LOW}`,
      name: `mallory${HIGH}`,
      tokenId: `tok${LOW}`,
      ip: `10.0.0.1\u0000`,
      // Long enough that the 300-character cut falls inside a valid pair and leaves half of it.
      userAgent: `${'x'.repeat(299)}\ud83d\udce6 agent${HIGH}\u0000`,
    };
    await db.transaction((tx) =>
      appendAudit(tx, keyring, mallory, {
        action: `auth.sign_in_failed${HIGH}`,
        targetType: `user\u0000`,
        targetId: `id${LOW}${HIGH}`,
        before: { [`key${HIGH}`]: `v\u0000`, list: [`a${LOW}`, 1, null] },
        after: `plain${HIGH}`,
        detail: { username: `mallory${HIGH}`, nested: { deep: [`x\u0000${HIGH}`] } },
      }),
    );
    // A well-formed entry after it must still chain onto it.
    await db.transaction((tx) => appendAudit(tx, keyring, systemPrincipal(tenant), { action: 'stock.set', targetType: 'stock', targetId: 'A1' }));

    const v = await verdictOf(tenant);
    expect(v).toMatchObject({ ok: true, checked: 2, broken: [], firstBroken: null });

    const [, first] = await listAudit(db, systemPrincipal(tenant), { limit: 10 });
    expect(first).toMatchObject({
      action: 'auth.sign_in_failed\ufffd',
      targetType: 'user',
      targetId: 'id\ufffd\ufffd',
      actor: { id: 'u\ufffd', name: 'mallory\ufffd', tokenId: 'tok\ufffd', ip: '10.0.0.1' },
      before: { 'key\ufffd': 'v', list: ['a\ufffd', 1, null] },
      after: 'plain\ufffd',
      detail: { username: 'mallory\ufffd', nested: { deep: ['x\ufffd'] } },
    });
    expect(first?.actor.userAgent).toBe(`${'x'.repeat(299)}\ufffd`);
  });

  it('reports an edit of row 3 and of row 7 alike, not only the first', async () => {
    const tenant = await chain(10);
    await edit(tenant, 3);
    await edit(tenant, 7);
    const v = await verdictOf(tenant);
    expect(v.ok).toBe(false);
    expect(v.checked).toBe(10);
    expect(v.broken.map((b) => [b.seq, b.reason])).toEqual([
      [3, 'its content does not match its MAC (edited)'],
      [7, 'its content does not match its MAC (edited)'],
    ]);
    expect(v.broken.every((b) => typeof b.id === 'number')).toBe(true);
    expect(v.firstBroken).toEqual(v.broken[0]);
  });

  it('reports a row deleted in the middle and a later edit both', async () => {
    const tenant = await chain(10);
    await remove(tenant, 5);
    await edit(tenant, 8);
    const v = await verdictOf(tenant);
    expect(v.ok).toBe(false);
    expect(v.checked).toBe(9);
    expect(v.broken.map((b) => [b.seq, b.id === null, b.reason])).toEqual([
      [5, true, 'row 5 is missing (next is 6)'],
      [8, false, 'its content does not match its MAC (edited)'],
    ]);
  });

  it('reports rows cut from the start and from the end, and a link rewritten', async () => {
    const tenant = await chain(8);
    await remove(tenant, 1);
    await remove(tenant, 2);
    await remove(tenant, 8);
    // Row 4 is pointed at another predecessor: its MAC (which covers the link) breaks too.
    await db.transaction((tx) => tx.run(`UPDATE audit_log SET prev_mac = ? WHERE tenant_id = ? AND seq = 4`, ['f'.repeat(64), tenant]));
    const v = await verdictOf(tenant);
    expect(v.broken.map((b) => [b.seq, b.reason])).toEqual([
      [1, 'rows 1…2 are missing (next is 3)'],
      [4, 'its link to the previous row does not match'],
      [4, 'its content does not match its MAC (edited)'],
      [8, 'row 8 is missing (deleted from the end)'],
    ]);
  });

  it('says ok for an untouched chain', async () => {
    const tenant = await chain(3);
    expect(await verdictOf(tenant)).toEqual({ tenantId: tenant, checked: 3, ok: true, broken: [], brokenCount: 0, firstBroken: null });
  });
});

describe.each(httpBackends)('the audit log against anyone on the internet, on $name', (backend) => {
  let s: TestServer;
  const PASSWORD = 'correct horse battery';

  beforeAll(async () => {
    s = await startServer(backend);
    expect((await s.api('POST', '/api/users', { username: 'li.lei', password: PASSWORD, roles: ['operations'] })).status).toBe(201);
  });
  afterAll(async () => {
    await s?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(s.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('still verifies after a sign-in whose username holds a lone surrogate', async () => {
    const res = await post('/api/auth/sign-in', { username: `mallory${HIGH}`, password: 'guess' });
    // Refused either way: as a wrong sign-in, or at the edge as text no use case should see.
    expect([400, 401]).toContain(res.status);
    const verify = await s.api<{ ok: boolean; broken: unknown[]; firstBroken: unknown }>('GET', '/api/audit/verify');
    expect(verify.body).toMatchObject({ ok: true, broken: [], firstBroken: null });
    if (res.status === 401) {
      const failed = await s.api<{ items: { actor: { name: string }; detail: { username: string } }[] }>('GET', '/api/audit?action=auth.sign_in_failed');
      expect(failed.body.items[0]).toMatchObject({ actor: { name: 'mallory\ufffd' }, detail: { username: 'mallory\ufffd' } });
    }
  });

  it('writes one audit row per session and minute for a flood of CSRF refusals', async () => {
    const signIn = await post('/api/auth/sign-in', { username: 'li.lei', password: PASSWORD });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const before = await s.api<{ items: unknown[] }>('GET', '/api/audit?action=auth.csrf_refused&limit=500');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await fetch(`${s.url}/api/stock/A1`, {
        method: 'PUT',
        headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': `forged-${i}` },
        body: JSON.stringify({ warehouse: 'WH1', onHand: 1 }),
      });
      statuses.push(r.status);
      await r.body?.cancel();
    }
    expect(new Set(statuses)).toEqual(new Set([403]));
    const after = await s.api<{ items: { actor: { name: string }; targetId: string }[] }>('GET', '/api/audit?action=auth.csrf_refused&limit=500');
    expect(after.body.items.length - before.body.items.length).toBe(1);
    expect(after.body.items[0]).toMatchObject({ actor: { name: 'li.lei' }, targetId: 'PUT /api/stock/:sku' });
    expect((await s.api<{ ok: boolean }>('GET', '/api/audit/verify')).body.ok).toBe(true);
  });
});

describe('the refusal throttle', () => {
  it('admits one refusal per key and window, and counts the ones it folded into it', () => {
    const t = new RefusalThrottle(60_000, 3);
    expect(t.admit('session:a', 0)).toEqual({ folded: 0 });
    for (let i = 1; i <= 5; i++) expect(t.admit('session:a', i * 1000)).toBeNull();
    expect(t.admit('session:b', 6000)).toEqual({ folded: 0 });
    expect(t.admit('session:a', 59_999)).toBeNull();
    // The window is counted from the last entry written, not from the last refusal.
    expect(t.admit('session:a', 60_000)).toEqual({ folded: 6 });
    expect(t.admit('session:a', 60_001)).toBeNull();
  });

  it('forgets everything rather than grow without bound under a flood of distinct keys', () => {
    const t = new RefusalThrottle(60_000, 2);
    expect(t.admit('a', 0)).not.toBeNull();
    expect(t.admit('b', 0)).not.toBeNull();
    expect(t.admit('c', 0)).not.toBeNull();
    // "a" was forgotten to make room: one more entry, never a lost refusal.
    expect(t.admit('a', 1)).toEqual({ folded: 0 });
  });
});
