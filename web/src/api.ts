// The console's one door to the hub: JSON over /api with the session cookie, the CSRF token on writes, and
// errors as values with the hub's stable codes.
import { wordError } from './i18n.tsx';

/**
 * A refusal from the hub. Its `message` is already in the console's words and language (the one place where server
 * errors are translated): every page shows `e.message`. The hub's own English sentence stays in `serverMessage`,
 * and is the message only for a code the catalogue does not know.
 */
export class ApiError extends Error {
  readonly serverMessage: string;
  constructor(
    readonly status: number,
    readonly code: string,
    serverMessage: string,
    readonly details?: unknown,
  ) {
    super(wordError(code, details, serverMessage) ?? serverMessage);
    this.serverMessage = serverMessage;
  }
}

let csrfToken: string | null = null;
export function setCsrfToken(t: string | null): void {
  csrfToken = t;
}

/** Called when the session has ended (401): the shell shows the sign-in page. */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(f: () => void): void {
  onSignedOut = f;
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  return fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body);
  if (res.status === 403 && method !== 'GET') {
    const peek = (await res.clone().json().catch(() => null)) as { error?: { code?: string } } | null;
    if (peek?.error?.code === 'CSRF_TOKEN_INVALID') {
      // The data key was rotated, or another tab signed in again: fetch the token anew and retry once.
      const me = await send('GET', '/api/auth/me');
      if (me.ok) {
        setCsrfToken(((await me.json()) as { csrfToken: string | null }).csrfToken);
        res = await send(method, path, body);
      }
    }
  }
  if (res.status === 204) return null as T;
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (json as { error?: { code: string; message: string; details?: unknown } } | null)?.error;
    if (res.status === 401 && !path.startsWith('/api/auth/sign-in')) onSignedOut();
    throw new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? res.statusText, e?.details);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, body ?? {});
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, body ?? {});
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A query string from the defined values of an object. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
