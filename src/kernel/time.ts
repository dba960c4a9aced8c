// Time at the edges: ISO 8601 with offset in, epoch milliseconds inside.

/** ISO 8601 with an explicit offset (Z or ±hh:mm), e.g. 2026-11-22T10:00:00+08:00. */
const isoWithOffset = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;

/**
 * The years a time the hub takes may fall in (orders, filters, expiries, ship-by, warehouse reports). Year 0000 and
 * 275760 are valid ISO 8601 and parse in JavaScript, but no order was placed then: they are typing mistakes or probes.
 */
export const instantYears = { min: 1970, max: 9999 } as const;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Parses an ISO 8601 timestamp that names its offset; a time without one is ambiguous and refused. So is an impossible
 * one (Date.parse turns 2026-02-30 into 2 March, 24:00 into the next day): every field must lie in its calendar
 * range, the year in `instantYears`, the offset within ±23:59.
 */
export function parseIsoInstant(s: string): number | null {
  const m = isoWithOffset.exec(s);
  if (!m) return null;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (year < instantYears.min || year > instantYears.max) return null;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** One formatter per zone: building one costs far more than using it (an export formats three times a row). */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes a time zone is ahead of UTC at an instant (Asia/Shanghai: 480). */
export function zoneOffsetMinutes(epochMs: number, timeZone: string): number {
  let f = offsetFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, f);
  }
  const parts = f.formatToParts(epochMs);
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

/** An instant as 'YYYY-MM-DD HH:mm:ss' on the wall clock of a time zone (the shop's), for people and spreadsheets. */
export function formatInZone(ms: number, timeZone: string): string {
  return new Date(ms + zoneOffsetMinutes(ms, timeZone) * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}
