// Time at the edges: ISO 8601 with offset in, epoch milliseconds inside.

/** ISO 8601 with an explicit offset (Z or ±hh:mm), e.g. 2026-11-22T10:00:00+08:00. */
const isoWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses an ISO 8601 timestamp that names its offset; a time without one is ambiguous and refused. */
export function parseIsoInstant(s: string): number | null {
  if (!isoWithOffset.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
