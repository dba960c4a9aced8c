import { describe, expect, it } from 'vitest';
import { instantYears, parseIsoInstant, startOfDayInZone, zoneOffsetMinutes } from '../../src/kernel/time.ts';

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

describe('an instant at the edge', () => {
  it('reads ISO 8601 with its offset to the millisecond', () => {
    expect(parseIsoInstant('2026-11-22T10:00:00+08:00')).toBe(Date.parse('2026-11-22T02:00:00Z'));
    expect(parseIsoInstant('2026-11-22T10:00+0800')).toBe(Date.parse('2026-11-22T02:00:00Z'));
    expect(parseIsoInstant('2026-11-22T02:00:00.123456789Z')).toBe(Date.parse('2026-11-22T02:00:00.123Z'));
    expect(parseIsoInstant('2026-11-22T02:00:00.5-05:30')).toBe(Date.parse('2026-11-22T07:30:00.500Z'));
    expect(parseIsoInstant('2028-02-29T00:00:00Z')).toBe(Date.parse('2028-02-29T00:00:00Z'));
    expect(parseIsoInstant(`${instantYears.min}-01-01T00:00:00Z`)).toBe(0);
    expect(parseIsoInstant(`${instantYears.max}-12-31T23:59:59Z`)).toBe(Date.parse('9999-12-31T23:59:59Z'));
  });

  it.each([
    ['2026-02-30T10:00:00+08:00', 'a day February does not have (Date.parse makes it 2 March)'],
    ['2027-02-29T10:00:00Z', 'a leap day in a common year'],
    ['2026-04-31T10:00:00Z', 'the 31st of a 30-day month'],
    ['2026-13-01T10:00:00Z', 'month 13'],
    ['2026-00-10T10:00:00Z', 'month 0'],
    ['2026-01-00T10:00:00Z', 'day 0'],
    ['2026-11-22T24:00:00Z', 'hour 24 (Date.parse makes it the next day)'],
    ['2026-11-22T10:60:00Z', 'minute 60'],
    ['2026-11-22T10:00:60Z', 'second 60'],
    ['2026-11-22T10:00:00+24:00', 'an offset of a whole day'],
    ['2026-11-22T10:00:00+08:60', 'offset minute 60'],
    ['0000-01-01T00:00:00Z', 'year 0000'],
    ['1969-12-31T23:59:59Z', 'before the documented range'],
    ['2026-11-22T10:00:00', 'no offset'],
    ['2026-11-22', 'a date without a time'],
    ['+275760-09-13T00:00:00Z', 'an expanded year'],
    [' 2026-11-22T10:00:00Z', 'a leading space'],
  ])('refuses %s: %s', (text) => {
    expect(parseIsoInstant(text)).toBeNull();
  });
});
