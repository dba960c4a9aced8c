// The main thread's side of the SQLite writer thread: starts it, forwards writes, and notices if it dies.
import type { OutboundWorkerOptions } from '../../modules/channels/outbound-worker.ts';
import type { StockSyncOptions } from '../../modules/channels/stock-sync-worker.ts';
import type { AdminToken } from '../../modules/access/admin-token.ts';
import { Worker } from 'node:worker_threads';
import type { Config } from '../../platform/config.ts';
import type { Logger } from '../../platform/log.ts';
import { HubError, type ErrorCode } from '../../kernel/errors.ts';
import type { WriteOp } from '../commands.ts';
import type { WebhookSenderOptions } from '../../modules/webhooks/sender.ts';

export interface WriterThread {
  /** Hands one write to the writer thread; its answer (or error) comes back once it is committed and durable. */
  send(op: WriteOp, args: unknown[]): Promise<unknown>;
  adminToken: AdminToken;
  alive(): boolean;
  close(): Promise<void>;
}

/** One call's answer from the writer thread; they travel in batches (`{ replies: Reply[] }`). */
export type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { hub: boolean; code?: ErrorCode; message: string; details?: unknown } };

/** Runtime settings the writer thread's relay, timers and webhook sender take (plain data). */
export interface WriterRuntimeOptions {
  webhook?: Partial<WebhookSenderOptions>;
  relayPollMs?: number;
  timerPollMs?: number;
  refundPollMs?: number;
  refundQueryAfterMs?: number;
  outbound?: Partial<Omit<OutboundWorkerOptions, 'fetch'>>;
  stockSync?: Partial<Omit<StockSyncOptions, 'fetch' | 'onWrite'>>;
}

export async function startWriterThread(
  config: Config,
  log: Logger,
  onDeath: (why: string) => void,
  runtime: WriterRuntimeOptions = {},
): Promise<WriterThread> {
  const worker = new Worker(new URL('./entry.js', import.meta.url), { workerData: { config, runtime } });
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
  worker.on('message', (m: { replies?: Reply[] }) => {
    for (const r of m.replies ?? []) {
      const p = pending.get(r.id);
      if (!p) continue;
      pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else if (r.error.hub) p.reject(new HubError(r.error.code as ErrorCode, r.error.message, r.error.details));
      else p.reject(new Error(r.error.message));
    }
  });
  worker.on('error', (e) => {
    log.fatal({ err: e }, 'writer thread crashed');
    die(e.message);
  });
  worker.on('exit', (code) => die(`writer thread exited with code ${code}`));

  // Calls made in one turn of the event loop cross to the writer in one message (each message wakes the writer
  // thread); they are sent before this thread waits for I/O again, so none waits longer than that turn.
  let outgoing: { id: number; op: WriteOp | 'close'; args: unknown[] }[] = [];
  const flushCalls = () => {
    const calls = outgoing;
    outgoing = [];
    if (!alive) return;
    try {
      worker.postMessage({ calls });
    } catch {
      // One call's arguments could not be copied across (a structure too deep for the structured clone, something not
      // cloneable): it alone is refused, and the calls beside it still go.
      for (const c of calls) {
        try {
          worker.postMessage({ calls: [c] });
        } catch (e) {
          const p = pending.get(c.id);
          pending.delete(c.id);
          p?.reject(new HubError('VALIDATION_FAILED', `the request could not be handed to the writer (${(e as Error).message}); nothing was stored`));
        }
      }
    }
  };
  const call = (op: WriteOp | 'close', args: unknown[]): Promise<unknown> => {
    if (!alive) return Promise.reject(new HubError('NOT_READY', 'the writer is not running'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (outgoing.length === 0) setImmediate(flushCalls);
      outgoing.push({ id, op, args });
    });
  };

  return {
    send: (op, args) => call(op, args),
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
