// The written forms of the codes people type that become keys (a warehouse, a SKU, a carrier, a role, a username, an
// event type): one pattern each, enforced at the edge, shown in the OpenAPI document and the README.

export const codes = {
  warehouse: {
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$',
    description: 'a warehouse code: 1–32 letters (A–Z, a–z), digits, _ . -; starts with a letter or digit (WH1, HZ-01, NB.BONDED)',
  },
  carrier: {
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$',
    description: 'a carrier code: 1–32 letters, digits, _ . -; starts with a letter or digit (sf, zto, JD-EXPRESS)',
  },
  sku: {
    // Sellers' SKUs carry Chinese, spaces and dashes (保温杯-500ml 红): anything printable but a path separator, trimmed.
    // First and last: not a space, a control character (C0, DEL, C1), / or \; between them, spaces too.
    pattern: '^[^\\s\\x00-\\x1F\\x7F-\\x9F/\\\\](?:[^\\x00-\\x1F\\x7F-\\x9F/\\\\]*[^\\s\\x00-\\x1F\\x7F-\\x9F/\\\\])?$',
    description: 'a hub SKU code: 1–64 printable characters (Chinese included), no control character, no / or \\, no space at either end',
  },
  role: {
    pattern: '^[a-z][a-z0-9_]{1,39}$',
    description: 'a role name: 2–40 lower-case letters, digits and _, starting with a letter (operations, cs_lead)',
  },
  username: {
    pattern: '^[A-Za-z0-9._@-]{2,64}$',
    description: 'a username: 2–64 letters, digits, . _ @ -',
  },
  eventType: {
    pattern: '^(?:\\*|[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)+)$',
    description: 'an event type (order.created, stock.set …) or * for all',
  },
} as const satisfies Record<string, { pattern: string; description: string }>;

export type CodeKind = keyof typeof codes;

const compiled = Object.fromEntries(Object.entries(codes).map(([k, v]) => [k, new RegExp(v.pattern, 'u')])) as Record<CodeKind, RegExp>;

/** True when `s` is written as a code of this kind must be (length limits beside: see the route schemas). */
export function isCode(kind: CodeKind, s: string): boolean {
  return compiled[kind].test(s);
}
