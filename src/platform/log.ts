// Structured logging (pino). Secrets and personal data are redacted by path before a line is written; text that
// can quote what a caller sent (URLs, error messages) is cleaned here too, so no call site has to remember it.
import { pino, type Logger } from 'pino';
import { hideUrlCredentials } from '../kernel/redact.ts';

export type { Logger };

const HIDDEN = '[hidden]';

const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-orderhub-signature"]',
  'headers.authorization',
  'credentials',
  '*.credentials',
  'secret',
  '*.secret',
  'adminToken',
  'token',
  'buyer.name',
  'buyer.phone',
  'receiver.name',
  'receiver.phone',
  'receiver.address',
  '*.buyer.name',
  '*.buyer.phone',
  '*.receiver.name',
  '*.receiver.phone',
  '*.receiver.address',
  // Node's HTTP parser hands a refused request's raw bytes (Authorization, Cookie, query) to Fastify, which logs the error at trace.
  'err.rawPacket',
];

/**
 * A request URL as logged: the path, the query's parameter names, never their values (`/api/orders?q=<full phone>` is
 * a search by personal data), and no user:password part.
 */
function logUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const clean = hideUrlCredentials(url);
  const q = clean.indexOf('?');
  if (q < 0) return clean;
  const query = clean
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      // A parameter name is kept when it looks like one; a bare `?13912345678` is a value.
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      return eq > 0 && /^[A-Za-z_][\w.\-[\]]{0,63}$/.test(name) ? `${name}=${HIDDEN}` : HIDDEN;
    })
    .join('&');
  return `${clean.slice(0, q)}?${query}`;
}


/**
 * Cleans a text that may quote input: URLs with credentials (a failed fetch names its URL), and V8's JSON.parse
 * messages, which quote the text around the fault — the whole body when it is short.
 */
function logText(text: string): string {
  let out = hideUrlCredentials(text);
  if (out.includes('is not valid JSON')) {
    out = out.replace(/(Unexpected token '[^']*', )?(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON/gs, '$1(excerpt hidden) is not valid JSON');
  }
  return out;
}

const stdErr = pino.stdSerializers.err;

/** pino's error serializer, with message and stack cleaned (a stack begins with the message). */
function logErr(err: unknown): unknown {
  const out = stdErr(err as Error) as unknown;
  if (out && typeof out === 'object') {
    const o = out as { message?: unknown; stack?: unknown };
    if (typeof o.message === 'string') o.message = logText(o.message);
    if (typeof o.stack === 'string') o.stack = logText(o.stack);
  }
  return out;
}

/** A request, if one is ever logged whole (Fastify does on some failures): method, cleaned URL, address — no headers. */
function logReq(req: unknown): unknown {
  if (!req || typeof req !== 'object') return req;
  const r = req as { method?: unknown; url?: unknown; ip?: unknown; socket?: { remotePort?: unknown } | null };
  return { method: r.method, url: logUrl(r.url), remoteAddress: r.ip, remotePort: r.socket?.remotePort };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: HIDDEN },
      base: { app: 'orderhub' },
      serializers: { err: logErr, req: logReq, url: logUrl },
      formatters: {
        // Top-level texts of a line (e.g. a webhook delivery's `error`).
        log(obj) {
          let copy: Record<string, unknown> | null = null;
          for (const [k, v] of Object.entries(obj)) {
            if (typeof v !== 'string') continue;
            const clean = logText(v);
            if (clean !== v) (copy ??= { ...obj })[k] = clean;
          }
          return copy ?? obj;
        },
      },
      hooks: {
        // The message itself (e.g. `push refused: ${e.message}`).
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            const a: unknown = args[i];
            if (typeof a === 'string') args[i] = logText(a);
          }
          return method.apply(this, args);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
