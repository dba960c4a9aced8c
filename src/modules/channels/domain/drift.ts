// Contract drift: what a platform usually sends, learnt per account and payload shape, and what is new about a
// delivery — a field never seen, a field that was always there and is gone, a body far larger than usual. The seeds'
// stories (a renamed signature header, a 2.1 MB body answered 413) cost orders because nobody saw them coming.
// Pure: no I/O; the caller keeps the stats and raises the findings.

export interface ShapeStats {
  deliveries: number;
  meanBytes: number;
  maxBytes: number;
  /** Field path → deliveries it appeared in. */
  fields: Record<string, number>;
}

export interface DriftFinding {
  kind: 'field_added' | 'field_missing' | 'body_large' | 'body_near_limit';
  key: string;
  message: string;
}

export interface DriftOptions {
  /** Deliveries learnt silently before anything is called new (optional fields show up in the first ones). */
  learning: number;
  /** A body this many times the usual size is worth a look… */
  largeFactor: number;
  /** …when it is at least this big. */
  largeMinBytes: number;
  /** The body limit: a body past half of it is close to being refused (413). */
  bodyLimitBytes: number;
}

export const defaultDriftOptions: Omit<DriftOptions, 'bodyLimitBytes'> = { learning: 20, largeFactor: 4, largeMinBytes: 64 * 1024 };

const maxDepth = 6;
const maxPaths = 2000;

/**
 * The field paths of a JSON value: `a`, `a.b`, `items[].sku`. Keys made of digits (ids used as keys) become `*`
 * so that data does not look like schema. At most 2,000 paths, 6 levels deep.
 */
export function fieldPaths(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, prefix: string, depth: number) => {
    if (out.size >= maxPaths || depth > maxDepth || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const item of v) walk(item, `${prefix}[]`, depth + 1);
      return;
    }
    for (const [k, child] of Object.entries(v)) {
      const key = /^\d+$/.test(k) ? '*' : k;
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(path);
      walk(child, path, depth + 1);
    }
  };
  walk(value, '', 0);
  return [...out];
}

/** Folds one delivery into the stats and says what is new about it. */
export function observeShape(
  stats: ShapeStats | undefined,
  paths: readonly string[],
  bytes: number,
  opts: DriftOptions,
): { next: ShapeStats; findings: DriftFinding[]; newFields: boolean } {
  const s: ShapeStats = stats
    ? { deliveries: stats.deliveries, meanBytes: stats.meanBytes, maxBytes: stats.maxBytes, fields: { ...stats.fields } }
    : { deliveries: 0, meanBytes: 0, maxBytes: 0, fields: {} };
  const findings: DriftFinding[] = [];
  const learnt = s.deliveries >= opts.learning;
  const present = new Set(paths);
  let newFields = false;
  for (const p of paths) {
    if (s.fields[p] === undefined) {
      newFields = true;
      if (learnt) findings.push({ kind: 'field_added', key: p, message: `a field never seen in ${s.deliveries} deliveries: ${p}` });
      s.fields[p] = 0;
    }
    s.fields[p] = (s.fields[p] ?? 0) + 1;
  }
  if (learnt) {
    for (const [p, seen] of Object.entries(s.fields)) {
      // Only a field that came in every delivery so far: optional fields come and go.
      if (seen === s.deliveries && !present.has(p)) {
        findings.push({ kind: 'field_missing', key: p, message: `${p} came in all ${s.deliveries} deliveries so far and is missing now` });
      }
    }
    if (bytes >= opts.largeMinBytes && s.meanBytes > 0 && bytes > opts.largeFactor * s.meanBytes) {
      findings.push({
        kind: 'body_large',
        key: 'size',
        message: `a ${bytes}-byte body, ${Math.round(bytes / s.meanBytes)}× the usual ${Math.round(s.meanBytes)} bytes`,
      });
    }
  }
  if (bytes > opts.bodyLimitBytes / 2) {
    findings.push({
      kind: 'body_near_limit',
      key: 'limit',
      message: `a ${bytes}-byte body is past half of the ${opts.bodyLimitBytes}-byte limit: raise the limit before bodies are refused`,
    });
  }
  s.deliveries += 1;
  s.meanBytes += (bytes - s.meanBytes) / Math.min(s.deliveries, 1000);
  s.maxBytes = Math.max(s.maxBytes, bytes);
  return { next: s, findings, newFields };
}
