// The command registry (src/app/commands.ts): every write declared once, everything else derived from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, missingCommands, writeOps, type WriteServices } from '../../src/app/commands.ts';
import type { Hub } from '../../src/app/hub.ts';
import { systemPrincipal } from '../../src/kernel/principal.ts';
import { httpBackends } from '../support/backends.ts';
import { startServer } from '../support/server.ts';

describe('the command registry', () => {
  it('names one existing write method per command, and the write interface has exactly its commands', async () => {
    expect(new Set(writeOps).size).toBe(writeOps.length);
    // A service map with every method a command names: nothing missing. Take one away and boot would refuse it.
    const fake = Object.fromEntries(
      [...new Set(Object.values(commands).map((c) => c.service))].map((svc) => [
        svc,
        Object.fromEntries(Object.values(commands).filter((c) => c.service === svc).map((c) => [c.method, async () => undefined])),
      ]),
    ) as unknown as WriteServices;
    expect(missingCommands(fake)).toEqual([]);
    delete (fake.orders as unknown as Record<string, unknown>).transition;
    expect(missingCommands(fake)).toEqual(['transitionOrder → orders.transition']);
  });

  it('leaves every write out of what routes read (tsc fails the suite if any of these calls type-checks)', () => {
    const calls = (hub: Hub) => [
      // @ts-expect-error a command: only hub.writes.transitionOrder may run it
      () => hub.orders.transition,
      // @ts-expect-error a command of another service
      () => hub.stock.set,
      // @ts-expect-error a background write (the payment timeout), never a route's to call
      () => hub.orders.expireUnpaid,
      // @ts-expect-error a write that runs inside another write's transaction (an approved cancellation)
      () => hub.orders.applyCancelPaid,
      // @ts-expect-error the refund worker's own write
      () => hub.refunds.afterAttempt,
      // Reads stay readable.
      () => hub.orders.get,
      () => hub.stock.list,
    ];
    expect(calls).toBeTypeOf('function');
  });
});

// The SQLite writer thread's hand-off, where a 5,000-deep body once overflowed postMessage and killed the hub.
const threaded = httpBackends.filter((b) => b.writerThread);
describe.each(threaded)('the hand-off to the writer thread on $name', (backend) => {
  let s: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    s = await startServer(backend);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses a write whose arguments cannot cross, alone: the writes beside it land and the hub goes on', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 5000; i++) deep = { d: deep };
    const who = systemPrincipal('default');
    const [bad, good] = await Promise.allSettled([
      s.hub.writes.recordAudit(who, { action: 'probe.deep', targetType: 'probe', detail: deep }),
      s.hub.writes.recordAudit(who, { action: 'probe.fine', targetType: 'probe', detail: { ok: true } }),
    ]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(good.status).toBe('fulfilled');
    await s.hub.writes.recordAudit(who, { action: 'probe.after', targetType: 'probe' });
    const actions = (await s.hub.db.read.all<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'probe.%' ORDER BY seq")).map((r) => r.action);
    expect(actions).toEqual(['probe.fine', 'probe.after']);
    expect((await s.hub.isReady()).database).toBe(true);
  });
});
