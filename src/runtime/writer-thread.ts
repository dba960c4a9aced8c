// The main thread's side of the SQLite writer thread: starts it, forwards writes, and notices if it dies.
import type { AdminToken } from '../services/admin-token.ts';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { HubError, type ErrorCode } from '../domain/errors.ts';
import { writeOps, type WriteApi, type WriteOp } from './write-api.ts';
import type { WebhookSenderOptions } from './webhooks.ts';

export interface WriterThread {
  writes: WriteApi;
  adminToken: AdminToken;
  alive(): boolean;
  close(): Promise<void>;
}

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { hub: boolean; code?: ErrorCode; message: string; details?: unknown } };

/** Runtime settings the writer thread's relay, timers and webhook sender take (plain data). */
export interface WriterRuntimeOptions {
  webhook?: Partial<WebhookSenderOptions>;
  relayPollMs?: number;
  timerPollMs?: number;
  refundPollMs?: number;
  refundQueryAfterMs?: number;
}

export async function startWriterThread(
  config: Config,
  log: Logger,
  onDeath: (why: string) => void,
  runtime: WriterRuntimeOptions = {},
): Promise<WriterThread> {
  const worker = new Worker(new URL('./writer-entry.js', import.meta.url), { workerData: { config, runtime } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let alive = true;
  let closing = false;

  const started = await new Promise<{ adminToken: WriterThread['adminToken'] }>((resolve, reject) => {
    const onMessage = (m: { ready?: boolean; fatal?: string; adminToken?: WriterThread['adminToken'] }) => {
      if (m.ready && m.adminToken) {
        worker.off('message', onMessage);
        resolve({ adminToken: m.adminToken });
      } else if (m.fatal) {
        reject(new Error(`writer thread failed to start: ${m.fatal}`));
      }
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });

  const die = (why: string) => {
    if (!alive) return;
    alive = false;
    for (const p of pending.values()) p.reject(new HubError('INTERNAL', 'the writer stopped; nothing was stored'));
    pending.clear();
    if (!closing) onDeath(why);
  };
  worker.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else if (m.error.hub) p.reject(new HubError(m.error.code as ErrorCode, m.error.message, m.error.details));
    else p.reject(new Error(m.error.message));
  });
  worker.on('error', (e) => {
    log.fatal({ err: e }, 'writer thread crashed');
    die(e.message);
  });
  worker.on('exit', (code) => die(`writer thread exited with code ${code}`));

  const call = (op: WriteOp | 'close', args: unknown[]): Promise<unknown> => {
    if (!alive) return Promise.reject(new HubError('NOT_READY', 'the writer is not running'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  };

  const writes = Object.fromEntries(writeOps.map((op) => [op, (...args: unknown[]) => call(op, args)])) as unknown as WriteApi;
  return {
    writes,
    adminToken: started.adminToken,
    alive: () => alive,
    async close() {
      if (!alive) return;
      closing = true;
      await call('close', []);
      alive = false;
      await worker.terminate();
    },
  };
}
