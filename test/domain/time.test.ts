import { describe, expect, it } from 'vitest';
import { startOfDayInZone, zoneOffsetMinutes } from '../../src/kernel/time.ts';

const iso = (ms: number) => new Date(ms).toISOString();

describe("the seller's day", () => {
  it('starts at local midnight in the shop time zone', () => {
    const t = Date.parse('2026-11-22T01:30:00Z'); // 09:30 in Shanghai, 20:30 the day before in New York
    expect(iso(startOfDayInZone(t, 'Asia/Shanghai'))).toBe('2026-11-21T16:00:00.000Z');
    expect(iso(startOfDayInZone(t, 'America/New_York'))).toBe('2026-11-21T05:00:00.000Z');
    expect(iso(startOfDayInZone(t, 'UTC'))).toBe('2026-11-22T00:00:00.000Z');
    expect(iso(startOfDayInZone(Date.parse('2026-11-21T16:00:00Z'), 'Asia/Shanghai'))).toBe('2026-11-21T16:00:00.000Z');
  });

  it('is right on a day whose offset changed (daylight saving)', () => {
    // 8 March 2026: New York moved from −05:00 to −04:00 at 02:00 local; the day began at 05:00Z.
    expect(iso(startOfDayInZone(Date.parse('2026-03-08T20:00:00Z'), 'America/New_York'))).toBe('2026-03-08T05:00:00.000Z');
    expect(zoneOffsetMinutes(Date.parse('2026-03-08T20:00:00Z'), 'America/New_York')).toBe(-240);
    expect(zoneOffsetMinutes(Date.now(), 'Asia/Kolkata')).toBe(330);
  });
});
