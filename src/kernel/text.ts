// Text the hub can store and hash the same way on SQLite and PostgreSQL: no NUL (PostgreSQL refuses it in text) and no
// lone UTF-16 surrogate (each driver writes one as U+FFFD, so what was hashed is not what is stored).
import { HubError } from './errors.ts';

/** Why a string cannot be stored as it is, or null when it can. */
export function textProblem(s: string): 'nul' | 'lone_surrogate' | null {
  if (s.includes('\u0000')) return 'nul';
  if (!s.isWellFormed()) return 'lone_surrogate';
  return null;
}

/** The string as it will be stored: NUL removed, each lone surrogate replaced by U+FFFD (what the drivers would write). */
export function storableText(s: string): string {
  const noNul = s.includes('\u0000') ? s.replaceAll('\u0000', '') : s;
  return noNul.isWellFormed() ? noNul : noNul.toWellFormed();
}

/**
 * A plain value (JSON-like: objects, arrays, strings, numbers, booleans, null; Buffers and Uint8Arrays kept as they are)
 * with every string, object key included, made storable. Returns the same value when nothing needed changing, so the
 * common case allocates nothing.
 */
export function storableValue<T>(v: T): T {
  return clean(v, 0) as T;
}

function clean(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return textProblem(v) ? storableText(v) : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth > 200) throw new HubError('VALIDATION_FAILED', 'a value nested more than 200 levels deep cannot be stored; nothing was');
  if (v instanceof Uint8Array || v instanceof Date) return v;
  if (Array.isArray(v)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const c = clean(v[i], depth + 1);
      if (c !== v[i]) (out ??= v.slice())[i] = c;
    }
    return out ?? v;
  }
  let out: Record<string, unknown> | null = null;
  const o = v as Record<string, unknown>;
  // Keys, not entries: one array per object instead of one per property (this walks every write's arguments).
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const x = o[k];
    const ck = textProblem(k) ? storableText(k) : k;
    const cx = clean(x, depth + 1);
    if (ck !== k || cx !== x) {
      out ??= { ...o };
      if (ck !== k) delete out[k];
      out[ck] = cx;
    }
  }
  return out ?? v;
}
