// The SQLite writer thread: owns the one write connection and runs every write, the outbox relay, timers and
// webhook sender, so that commits (and their fsync) never stall the thread that serves HTTP.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../../platform/config.ts';
import { createLogger } from '../../platform/log.ts';
import { isHubError } from '../../kernel/errors.ts';
import { startHub } from '../hub.ts';
import { isWriteOp, reviveArgs, type WriteOp } from '../commands.ts';
import type { Reply, WriterRuntimeOptions } from './thread.ts';

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
  const hub = await startHub(config, log, { ...runtime, writerThread: false, poller: false, argsStorable: true });
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
    try {
      port.postMessage({ replies: out });
    } catch {
      // An answer that cannot be copied back fails alone; the write it answers is committed all the same.
      for (const r of out) {
        try {
          port.postMessage({ replies: [r] });
        } catch (e) {
          log.error({ err: e, id: r.id }, 'an answer could not be sent back to the serving thread');
          port.postMessage({ replies: [{ id: r.id, ok: false, error: { hub: true, code: 'INTERNAL', message: 'the write was done, but its answer could not be sent back' } }] });
        }
      }
    }
  };
  const handle = (m: Call) => {
    if (m.op === 'close') {
      void hub.close().then(() => port.postMessage({ replies: [{ id: m.id, ok: true, value: null }] }));
      return;
    }
    if (!isWriteOp(m.op)) {
      answer({ id: m.id, ok: false, error: { hub: false, message: `no write ${String(m.op)}` } });
      return;
    }
    const fn = writes[m.op] as (...a: unknown[]) => Promise<unknown>;
    fn(...reviveArgs(m.op, m.args)).then(
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

