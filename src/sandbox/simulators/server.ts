// One loopback HTTP server for every simulated platform API: each simulator is mounted under its own path prefix.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlatformSimulator, SimulatorFactory } from './types.ts';

export interface SimulatorServer {
  readonly url: string;
  /** Creates a simulator mounted at `/${prefix}`; its apiBase is `${url}/${prefix}`. */
  mount(prefix: string, factory: SimulatorFactory, seed?: string): PlatformSimulator;
  close(): Promise<void>;
}

export async function startSimulatorServer(port = 0, host = '127.0.0.1'): Promise<SimulatorServer> {
  const mounted = new Map<string, PlatformSimulator>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://sim');
      const [, prefix = '', ...rest] = u.pathname.split('/');
      const sim = mounted.get(prefix);
      if (!sim) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no simulator at /${prefix}` }));
        return;
      }
      let answer;
      try {
        answer = sim.handle({ method: req.method ?? 'GET', path: `/${rest.join('/')}`, query: u.searchParams, headers: req.headers, body: Buffer.concat(chunks) });
      } catch (e) {
        answer = { status: 500, body: JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) };
      }
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers }).end(answer.bytes ?? answer.body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    mount(prefix, factory, seed) {
      if (mounted.has(prefix)) throw new Error(`a simulator is already mounted at /${prefix}`);
      const sim = factory({ apiBase: `${url}/${prefix}`, ...(seed !== undefined ? { seed } : {}) });
      mounted.set(prefix, sim);
      return sim;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
