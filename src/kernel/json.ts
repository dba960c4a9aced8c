// How deep JSON may nest before the hub reads it: checked on the text, before JSON.parse, so that nothing nested
// thousands deep reaches a structured clone (the writer-thread hand-off), a recursive walk or a database driver.
import { HubError } from './errors.ts';

/**
 * Arrays and objects inside each other, at most. Far above anything the hub takes (a routing plan, the deepest /api
 * body, nests 7; platform payloads about as much), far below what a recursive walk or a structured clone survives.
 * Documented in the README (the edge).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * True when JSON text opens more than `limit` arrays or objects inside each other. One pass, no allocation; brackets
 * inside strings do not count. Not a validator: malformed text is left to JSON.parse. On bytes it reads UTF-8 as it is
 * (a multi-byte character never contains a quote, a backslash or a bracket byte).
 */
export function jsonNestingExceeds(text: string | Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  const n = text.length;
  if (typeof text === 'string') {
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
        if (++depth > limit) return true;
      } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
    }
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** Throws BODY_TOO_DEEP (400) for JSON text nested beyond MAX_JSON_DEPTH; `what` names it in the message. */
export function refuseDeepJson(text: string | Uint8Array, what = 'the body'): void {
  if (jsonNestingExceeds(text)) {
    throw new HubError('BODY_TOO_DEEP', `${what} nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`, { limit: MAX_JSON_DEPTH });
  }
}
