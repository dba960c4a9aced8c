// The transport every platform write shares: one request with the call's timeout, a network failure (or an answer cut
// short) as a retryable PlatformWriteError naming the platform, and the answer's text parsed where it parses. What an
// answer means — a refusal, a limit, success — is each platform's own reading, in its client. Every request first waits
// for the account's turn under the platform's rate (ctx.pace, the write pacer), so pacing holds per request: a Shopify
// ship-back is four requests, a Taobao one is one.
import { PlatformWriteError, type CallContext } from './types.ts';

export interface PlatformAnswer {
  status: number;
  ok: boolean;
  /** The parsed body; undefined when it did not parse (a gateway's HTML page, an empty answer). */
  body: unknown;
  /** What a Retry-After header asks for, in ms. */
  retryAfterMs: number | undefined;
}

/**
 * What the call log names a request by when its client does not say: the HTTP method and the path, with ids (digits,
 * Shopify's gids) put as {id} so that one method reads as one line in the log — and no order number is kept in it.
 */
export function restOp(method: string, url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = '?';
  }
  return `${method.toUpperCase()} ${path.replace(/\/\d+(?=\/|\.|$)/g, '/{id}')}`;
}

export async function sendPlatformRequest(
  ctx: Pick<CallContext<unknown>, 'fetch' | 'signal' | 'onCall' | 'pace'>,
  platform: string,
  url: string,
  /** `op`: the platform's method name for the call log (RPC-style APIs); REST calls are named by method and path. */
  init: { method: string; headers: Record<string, string>; body?: string | undefined; op?: string | undefined },
  parse: (text: string) => unknown = JSON.parse,
): Promise<PlatformAnswer> {
  await ctx.pace?.();
  let res: Response | undefined;
  let text: string;
  const at = Date.now();
  const started = performance.now();
  try {
    res = await ctx.fetch(url, { method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    text = await res.text();
  } catch (e) {
    throw new PlatformWriteError('NETWORK', `${platform} unreachable: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    ctx.onCall?.({ op: init.op ?? restOp(init.method, url), status: res?.status ?? null, latencyMs: Math.round(performance.now() - started), at });
  }
  let body: unknown;
  try {
    body = parse(text);
  } catch {
    body = undefined;
  }
  const after = Number(res.headers.get('retry-after') ?? Number.NaN);
  return { status: res.status, ok: res.ok, body, retryAfterMs: Number.isFinite(after) && after >= 0 ? Math.ceil(after * 1000) : undefined };
}

/** An answer kept as bytes (a document a platform serves: a PDF label), with its content type. */
export interface PlatformBytes {
  status: number;
  ok: boolean;
  contentType: string;
  bytes: Buffer;
  retryAfterMs: number | undefined;
}

/** The same transport for an answer that is a file, not text: the bytes as they came (never decoded as UTF-8). */
export async function sendPlatformRequestBytes(
  ctx: Pick<CallContext<unknown>, 'fetch' | 'signal' | 'onCall'>,
  platform: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string | undefined; op?: string | undefined },
): Promise<PlatformBytes> {
  let res: Response | undefined;
  let bytes: Buffer;
  const at = Date.now();
  const started = performance.now();
  try {
    res = await ctx.fetch(url, { method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    bytes = Buffer.from(await res.arrayBuffer());
  } catch (e) {
    throw new PlatformWriteError('NETWORK', `${platform} unreachable: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    ctx.onCall?.({ op: init.op ?? restOp(init.method, url), status: res?.status ?? null, latencyMs: Math.round(performance.now() - started), at });
  }
  const after = Number(res.headers.get('retry-after') ?? Number.NaN);
  return { status: res.status, ok: res.ok, contentType: res.headers.get('content-type') ?? '', bytes, retryAfterMs: Number.isFinite(after) && after >= 0 ? Math.ceil(after * 1000) : undefined };
}
