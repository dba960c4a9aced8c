// What the sign-in page learns before anyone signs in: the organisation to offer (the demo's while it runs, else the
// only one) and, only while the demo runs, its users — never the list of organisations.
import { afterEach, describe, expect, it } from 'vitest';
import { allBackends } from './support/backends.ts';
import { startServer, type TestServer } from './support/server.ts';
import { systemPrincipal } from '../src/kernel/principal.ts';
import { hashPassword } from '../src/platform/security/secrets.ts';
import { DEMO_PASSWORD, demoUsers } from '../src/sandbox/demo/seed.ts';

describe.each(allBackends)('sign-in options on $name', (backend) => {
  let s: TestServer | null = null;
  afterEach(async () => {
    await s?.close();
    s = null;
  });

  const options = async (srv: TestServer) => {
    const res = await fetch(`${srv.url}/api/auth/options`);
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const addUser = async (srv: TestServer, tenant: string, username: string) =>
    srv.hub.writes.createUser(systemPrincipal(tenant, 'setup'), { username, passwordHash: await hashPassword('correct horse battery', username), roles: ['admin'] });

  it('offers the only organisation, and none (nor any list) once there are several', async () => {
    s = await startServer(backend);
    expect(await options(s)).toEqual({ defaultTenant: null, demo: null });
    await addUser(s, 'acme', 'boss');
    expect(await options(s)).toEqual({ defaultTenant: 'acme', demo: null });
    await addUser(s, 'globex', 'boss');
    const both = await options(s);
    expect(both).toEqual({ defaultTenant: null, demo: null });
    // Nothing in the answer names either organisation.
    expect(JSON.stringify(both)).not.toMatch(/acme|globex/);
  });

  it('offers the demo organisation while the demo runs and names every demo user with its role', async () => {
    const demo = { tenant: 'demo', password: DEMO_PASSWORD, users: demoUsers.map((u) => ({ ...u })) };
    s = await startServer(backend, {}, { app: { demo } });
    await addUser(s, 'acme', 'boss');
    await addUser(s, 'demo', 'demo-admin');
    expect(await options(s)).toEqual({ defaultTenant: 'demo', demo });
    expect(demo.users.map((u) => u.role).sort()).toEqual(['admin', 'customer_service', 'finance', 'operations', 'read_only', 'warehouse']);
  });

  it('is public and answers the same to a signed-in caller', async () => {
    s = await startServer(backend);
    await addUser(s, 'acme', 'boss');
    const withToken = await s.api<Record<string, unknown>>('GET', '/api/auth/options');
    expect(withToken.body).toEqual({ defaultTenant: 'acme', demo: null });
  });
});
