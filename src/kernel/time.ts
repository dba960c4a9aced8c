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

/** Minutes a time zone is ahead of UTC at an instant (Asia/Shanghai: 480). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(epochMs);
  const name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** The instant the seller's day began, for an instant and the shop's time zone. */
export function startOfDayInZone(epochMs: number, timeZone: string): number {
  const offset = zoneOffsetMinutes(epochMs, timeZone) * 60_000;
  const local = epochMs + offset;
  const start = local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - offset;
  // A day that began under another offset (daylight saving changed during it) starts an hour off: correct once.
  const correction = (zoneOffsetMinutes(start, timeZone) * 60_000 - offset);
  return start - correction;
}

/** Beijing time (GMT+8, no daylight saving): how Taobao, JD and Pinduoduo write times, with no zone. */
const beijingOffsetMs = 8 * 3_600_000;

/** An instant as Chinese platforms write it: 'yyyy-MM-dd HH:mm:ss' in Beijing time. */
export function formatBeijingTime(ms: number): string {
  return new Date(ms + beijingOffsetMs).toISOString().slice(0, 19).replace('T', ' ');
}

/** 'yyyy-MM-dd HH:mm:ss' in Beijing time as epoch ms; null when it is not such a time (02-30 is not rolled over). */
export function parseBeijingTime(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - beijingOffsetMs;
  return Number.isFinite(ms) && formatBeijingTime(ms) === s ? ms : null;
}
