// Starts the hub as a child process (its own core, as in production), waits until it is ready, and stops it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import http from 'node:http';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Binding port 0 lets the kernel pick a free port; it is released again for the child to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerLog {
  lines: string[];
}

export interface RunningServer {
  pid: number;
  port: number;
  /** Everything the child wrote to stdout and stderr (pino writes to stdout), line by line. */
  output: ServerLog;
  exited: Promise<Exit>;
  stop(timeoutMs?: number): Promise<Exit & { killed: boolean; ms: number }>;
}

function collect(child: ChildProcess, log: ServerLog): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p.trim()) log.lines.push(p);
    });
    stream?.on('end', () => {
      if (rest.trim()) log.lines.push(rest);
    });
  }
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(2_000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

export async function startServer(env: Record<string, string>, port: number, nodeArgs: string[] = [], readyTimeoutMs = 60_000): Promise<RunningServer> {
  // Inherited hub settings would silently change what is measured: only the ones given here apply.
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ORDERHUB_') || k === 'DATABASE_URL' || k === 'PORT' || k === 'HOST' || k === 'LOG_LEVEL') continue;
    base[k] = v;
  }
  const child = spawn(process.execPath, [...nodeArgs, 'bin/orderhub.js', 'serve'], {
    cwd: repoRoot,
    env: { ...base, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: ServerLog = { lines: [] };
  collect(child, output);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // A holder object, because the exit is learnt in a callback while the code below polls it.
  const state: { gone: Exit | null } = { gone: null };
  void exited.then((e) => (state.gone = e));
  if (child.pid === undefined) throw new Error('could not start the hub process');
  const pid = child.pid;

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (state.gone) {
      throw new Error(`hub exited before it was ready (${JSON.stringify(state.gone)}):\n${output.lines.slice(-20).join('\n')}`);
    }
    if ((await getStatus(port, '/ready')) === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`hub not ready after ${readyTimeoutMs} ms:\n${output.lines.slice(-20).join('\n')}`);
    }
    await sleep(100);
  }

  return {
    pid,
    port,
    output,
    exited,
    async stop(timeoutMs = 30_000) {
      const t0 = Date.now();
      if (state.gone) return { ...state.gone, killed: false, ms: 0 };
      child.kill('SIGTERM');
      const timer = sleep(timeoutMs).then(() => null);
      const first = await Promise.race([exited, timer]);
      if (first) return { ...first, killed: false, ms: Date.now() - t0 };
      // A hub that ignores SIGTERM is a finding in itself; it is reported, then killed so the run can finish.
      child.kill('SIGKILL');
      return { ...(await exited), killed: true, ms: Date.now() - t0 };
    },
  };
}
