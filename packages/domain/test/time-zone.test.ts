import { describe, expect, it } from 'vitest';
import { isTimeZone, offsetAt, offsetSegments } from '../src/index.js';
import { hours, minutes } from './given.js';

const utc = (iso: string): number => Date.parse(iso);

describe('time zones through Intl', () => {
  it('reads offsets, including half- and quarter-hour ones', () => {
    expect(offsetAt('Asia/Kolkata', utc('2026-06-01T00:00Z'))).toBe(hours(5.5));
    expect(offsetAt('Asia/Kathmandu', utc('2026-06-01T00:00Z'))).toBe(hours(5) + minutes(45));
    expect(offsetAt('America/St_Johns', utc('2026-01-01T00:00Z'))).toBe(-hours(3.5));
    expect(offsetAt('UTC', utc('2026-01-01T00:00Z'))).toBe(0);
  });

  it('changes the Berlin offset at 01:00 UTC on the last Sundays of March and October', () => {
    expect(offsetAt('Europe/Berlin', utc('2026-03-29T01:00Z') - 1)).toBe(hours(1));
    expect(offsetAt('Europe/Berlin', utc('2026-03-29T01:00Z'))).toBe(hours(2));
    expect(
      offsetSegments('Europe/Berlin', { start: utc('2026-01-01T00:00Z'), end: utc('2027-01-01T00:00Z') }),
    ).toEqual([
      { start: utc('2026-01-01T00:00Z'), end: utc('2026-03-29T01:00Z'), offsetMs: hours(1) },
      { start: utc('2026-03-29T01:00Z'), end: utc('2026-10-25T01:00Z'), offsetMs: hours(2) },
      { start: utc('2026-10-25T01:00Z'), end: utc('2027-01-01T00:00Z'), offsetMs: hours(1) },
    ]);
  });

  it('finds a change of a whole day: Samoa crossing the date line on 2011-12-30', () => {
    const segments = offsetSegments('Pacific/Apia', {
      start: utc('2011-12-29T00:00Z'),
      end: utc('2012-01-02T00:00Z'),
    });
    expect(segments.map((s) => s.offsetMs)).toEqual([-hours(10), hours(14)]);
    expect(segments[1]!.start).toBe(utc('2011-12-30T10:00Z'));
  });

  it('validates IANA names', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
