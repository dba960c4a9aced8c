// Hiding secrets inside texts that leave the hub (logs, stored errors, views). Pure.

/** `scheme://user:password@host` → `scheme://[hidden]@host`, wherever it appears in a text. */
export function hideUrlCredentials(text: string, mark = '[hidden]'): string {
  return text.includes('@') ? text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']*@/gi, `$1${mark}@`) : text;
}
