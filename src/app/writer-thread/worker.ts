// The SQLite writer thread: owns the one write connection and runs every write, the outbox relay, timers and
// webhook sender, so that commits (and their fsync) never stall the thread that serves HTTP.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../platform/config.ts';
import { createLogger } from '../../platform/log.ts';
import { isHubError } from '../../kernel/errors.ts';
import { startHub } from '../hub.ts';
import type { WriteOp } from '../commands.ts';
import type { Reply, WriterRuntimeOptions } from './thread.ts';
import type { Delivery } from '../../modules/orders/ingest/ingest.ts';

interface Call {
  id: number;
  op: WriteOp | 'close';
  args: unknown[];
}

const port = parentPort;
if (!port) throw new Error('writer-worker must run in a worker thread');
const { config, runtime } = workerData as { config: Config; runtime: WriterRuntimeOptions };
const log = createLogger(config.logLevel).child({ thread: 'writer' });

try {
  const hub = await startHub(config, log, { ...runtime, writerThread: false, poller: false });
  const writes = hub.writes;
  // Answers go back in one message per turn of this thread's event loop: a group commit answers its whole batch at
  // once, and every message across threads costs a wake-up of the other thread (measured: a sixth of the HTTP
  // thread's time when each call had its own).
  let answers: Reply[] = [];
  const answer = (r: Reply) => {
    if (answers.length === 0) setImmediate(flushAnswers);
    answers.push(r);
  };
  const flushAnswers = () => {
    const out = answers;
    answers = [];
    port.postMessage({ replies: out });
  };
  const handle = (m: Call) => {
    if (m.op === 'close') {
      void hub.close().then(() => port.postMessage({ replies: [{ id: m.id, ok: true, value: null }] }));
      return;
    }
    if (m.op === 'ingest') {
      // Buffers arrive as plain Uint8Arrays; the ingest path reads them as Buffers.
      const d = m.args[0] as Delivery;
      d.rawBody = Buffer.from(d.rawBody.buffer, d.rawBody.byteOffset, d.rawBody.byteLength);
    }
    const fn = writes[m.op] as (...a: unknown[]) => Promise<unknown>;
    fn(...m.args).then(
      (value) => answer({ id: m.id, ok: true, value }),
      (e: unknown) => {
        if (!isHubError(e)) log.error({ err: e, op: m.op }, 'write failed');
        answer({
          id: m.id,
          ok: false,
          error: isHubError(e)
            ? { hub: true, code: e.code, message: e.message, details: e.details }
            : { hub: false, message: (e as Error)?.message ?? String(e) },
        });
      },
    );
  };
  port.on('message', (m: { calls: Call[] }) => {
    for (const c of m.calls) handle(c);
  });
  port.postMessage({ ready: true, adminToken: hub.adminToken });
} catch (e) {
  port.postMessage({ fatal: (e as Error).message ?? String(e) });
}

