// A pull holds its account's lease, on every store (with SQLite's writer thread the lease is a write made there): "pull
// now" is refused while another hub process pulls the account, a run whose lease was taken over records nothing, and
// the watermark never goes backwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends } from '../support/backends.ts';
import { startServer, type TestServer } from '../support/server.ts';
import { startSimulatorServer, type SimulatorServer } from '../../src/sandbox/simulators/server.ts';
import { taobaoSimulator } from '../../src/sandbox/simulators/taobao.ts';
import type { PullRunRecord } from '../../src/modules/channels/integration.ts';
import type { Lease } from '../../src/platform/jobs/leases.ts';

async function until(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(httpBackends)('a pull under its lease on $name', (backend) => {
  let s: TestServer;
  let sims: SimulatorServer;
  let accountId = '';
  const pullState = () => s.hub.db.read.get<{ watermark: number; next_run_at: number }>('SELECT watermark, next_run_at FROM pull_state WHERE account_id = ?', [accountId]);
  const runs = async () => Number((await s.hub.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM pull_log WHERE account_id = ?', [accountId]))?.n);

  beforeAll(async () => {
    sims = await startSimulatorServer();
    const sim = sims.mount('taobao', taobaoSimulator, 'pull-lease');
    s = await startServer(backend, { leaseTtlSeconds: 1 });
    const a = await s.api<{ id: string }>('POST', '/api/channel-accounts', { platform: 'taobao', name: 'tb', credentials: sim.credentials });
    expect(a.status).toBe(201);
    accountId = a.body.id;
  });
  afterAll(async () => {
    await s?.close();
    await sims?.close();
  });

  it('answers 409 to "pull now" while another hub process pulls the account, and pulls once it is free', async () => {
    // Another process (another holder) has the account's lease.
    const other = await s.hub.writes.acquireLease(`pull:${accountId}`, 'other-host:4242:feedbeef', 60_000);
    expect(other).toMatchObject({ holder: 'other-host:4242:feedbeef' });
    const before = await runs();
    const refused = await s.api<{ error: { code: string; message: string } }>('POST', `/api/channel-accounts/${accountId}/pull`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toMatch(/another hub process/);
    expect(await runs()).toBe(before);
    // A scheduled pass leaves it alone too.
    expect((await s.hub.poller.runDue()).map((r) => r.accountId)).not.toContain(accountId);
    await s.hub.writes.releaseLease(other!);
    const ran = await s.api<{ errorCode: string | null }>('POST', `/api/channel-accounts/${accountId}/pull`);
    expect(ran.status).toBe(200);
    expect(ran.body.errorCode).toBeNull();
    expect(await runs()).toBe(before + 1);
  });

  it('records nothing for a run whose lease was taken over, and never moves the watermark back', async () => {
    const record = (watermark: number, l: Lease): PullRunRecord => ({
      tenantId: 'default',
      accountId,
      platform: 'taobao',
      startedAt: Date.now(),
      finishedAt: Date.now(),
      windowFrom: watermark - 60_000,
      windowTo: watermark,
      pages: 0,
      fetched: 0,
      created: 0,
      updated: 0,
      recovered: 0,
      errorCode: null,
      error: null,
      rateLimited: false,
      watermark,
      nextRunAt: Date.now() + 300_000,
      failures: 0,
      lease: l,
    });
    // A run of its own first, so the account has a watermark.
    const seed = (await s.hub.writes.acquireLease(`pull:${accountId}`, 'seed-host:1:5eed5eed', 60_000))!;
    await s.hub.writes.recordPull(record(Date.now() - 3_600_000, seed));
    await s.hub.writes.releaseLease(seed);
    const state = (await pullState())!;
    const lease = (await s.hub.writes.acquireLease(`pull:${accountId}`, 'paused-host:1:0a0a0a0a', 1_000))!;
    // The paused holder's lease lapses and another process takes the account over.
    let taken = null;
    await until('a takeover', async () => (taken = await s.hub.writes.acquireLease(`pull:${accountId}`, 'other-host:4242:feedbeef', 60_000)) !== null);
    const before = await runs();
    await expect(s.hub.writes.recordPull(record(Number(state.watermark) + 3_600_000, lease))).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await runs()).toBe(before);
    expect(Number((await pullState())?.watermark)).toBe(Number(state.watermark));
    // The new holder records; a record that reaches less far (an overlapping, slower run) keeps the watermark.
    await s.hub.writes.recordPull(record(Number(state.watermark) + 60_000, taken!));
    await s.hub.writes.recordPull(record(Number(state.watermark) - 3_600_000, taken!));
    expect(Number((await pullState())?.watermark)).toBe(Number(state.watermark) + 60_000);
    expect(await runs()).toBe(before + 2);
    await s.hub.writes.releaseLease(taken!);
  });
});
