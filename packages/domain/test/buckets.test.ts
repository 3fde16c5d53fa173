import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  bucketCover,
  bucketOf,
  bucketsTouched,
  type CalendarGranularity,
  calendarBuckets,
  checkWindow,
  GRANULARITIES,
  type Interval,
  maxWindowDays,
  shiftBuckets,
} from '../src/index.js';
import { at, equipmentShift, hours, lineShift, minutes } from './given.js';

const utc = (iso: string): number => Date.parse(iso);
const window = (from: string, to: string): Interval => ({ start: utc(from), end: utc(to) });
const lengthsInHours = (buckets: readonly Interval[]): number[] =>
  buckets.map((b) => (b.end - b.start) / hours(1));
const starts = (buckets: readonly Interval[]): string[] =>
  buckets.map((b) => new Date(b.start).toISOString());

describe('15-minute UTC buckets', () => {
  it('finds the bucket of an instant', () => {
    expect(bucketOf(at('06:07:30'))).toBe(at('06:00'));
    expect(bucketOf(at('06:15'))).toBe(at('06:15'));
    expect(bucketOf(at('06:14:59.999'))).toBe(at('06:00'));
  });

  it('marks the buckets an interval touches, half-open', () => {
    expect(bucketsTouched({ start: at('06:10'), end: at('06:20') })).toEqual([at('06:00'), at('06:15')]);
    expect(bucketsTouched({ start: at('06:00'), end: at('06:15') })).toEqual([at('06:00')]);
    expect(bucketsTouched({ start: at('06:14:59.999'), end: at('06:15:00.001') })).toEqual([
      at('06:00'),
      at('06:15'),
    ]);
    expect(bucketsTouched({ start: at('06:05'), end: at('06:05') })).toEqual([]);
    expect(bucketCover({ start: at('06:10'), end: at('07:01') })).toEqual({
      start: at('06:00'),
      end: at('07:15'),
    });
  });

  it('touches exactly the buckets that share an instant with the interval', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * BUCKET_MS }),
        fc.integer({ min: 0, max: 3 * BUCKET_MS }),
        (start, length) => {
          const touched = bucketsTouched({ start, end: start + length });
          const expected = [];
          for (let b = 0; b < 14 * BUCKET_MS; b += BUCKET_MS)
            if (b < start + length && start < b + BUCKET_MS) expected.push(b);
          expect(touched).toEqual(length === 0 ? [] : expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('query windows (docs/oee.md §10)', () => {
  it.each([
    ['15m', 7],
    ['hour', 62],
    ['shift', 400],
    ['day', 400],
    ['week', 3_660],
    ['month', 3_660],
    ['total', 3_660],
  ] as const)('limits %s windows to %i days', (granularity, days) => {
    expect(maxWindowDays(granularity)).toBe(days);
    const from = at('00:00');
    expect(checkWindow({ start: from, end: from + hours(24 * days) }, granularity)).toEqual({ ok: true });
    expect(checkWindow({ start: from, end: from + hours(24 * days) + BUCKET_MS }, granularity)).toEqual({
      ok: false,
      problem: 'too-long',
      limitDays: days,
    });
  });

  it('names every granularity', () => {
    expect(GRANULARITIES).toEqual(['15m', 'hour', 'shift', 'day', 'week', 'month', 'total']);
  });

  it('wants both ends on 15-minute boundaries and from < to', () => {
    expect(checkWindow({ start: at('06:05'), end: at('07:00') }, 'hour')).toMatchObject({ field: 'from' });
    expect(checkWindow({ start: at('06:00'), end: at('07:01') }, 'hour')).toMatchObject({ field: 'to' });
    expect(checkWindow({ start: at('07:00'), end: at('07:00') }, 'hour')).toEqual({
      ok: false,
      problem: 'empty',
    });
  });
});

describe('local-time buckets', () => {
  it('has a 23-hour and a 25-hour day in Berlin', () => {
    expect(
      lengthsInHours(
        calendarBuckets(window('2026-03-27T23:00Z', '2026-03-30T22:00Z'), 'day', 'Europe/Berlin'),
      ),
    ).toEqual([24, 23, 24]);
    expect(
      lengthsInHours(
        calendarBuckets(window('2026-10-24T22:00Z', '2026-10-26T23:00Z'), 'day', 'Europe/Berlin'),
      ),
    ).toEqual([25, 24]);
  });

  it('has 23 and 25 one-hour buckets on those days', () => {
    const spring = calendarBuckets(window('2026-03-28T23:00Z', '2026-03-29T22:00Z'), 'hour', 'Europe/Berlin');
    const autumn = calendarBuckets(window('2026-10-24T22:00Z', '2026-10-25T23:00Z'), 'hour', 'Europe/Berlin');
    expect(spring).toHaveLength(23);
    expect(autumn).toHaveLength(25);
    expect(new Set(lengthsInHours([...spring, ...autumn]))).toEqual(new Set([1]));
  });

  it('starts Kolkata days at 18:30 UTC and its hours at half past the UTC hour', () => {
    expect(
      starts(calendarBuckets(window('2026-01-05T00:00Z', '2026-01-07T00:00Z'), 'day', 'Asia/Kolkata')),
    ).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-05T18:30:00.000Z', '2026-01-06T18:30:00.000Z']);
    const hour = calendarBuckets(window('2026-01-05T03:00Z', '2026-01-05T05:00Z'), 'hour', 'Asia/Kolkata');
    // 09:00–10:00 local is 03:30–04:30 UTC.
    expect(hour).toContainEqual({ start: utc('2026-01-05T03:30Z'), end: utc('2026-01-05T04:30Z') });
    expect(lengthsInHours(hour)).toEqual([0.5, 1, 0.5]);
  });

  it('starts ISO weeks on Monday at local midnight', () => {
    expect(
      starts(calendarBuckets(window('2026-03-18T00:00Z', '2026-04-08T00:00Z'), 'week', 'Europe/Berlin')),
    ).toEqual([
      '2026-03-18T00:00:00.000Z',
      '2026-03-22T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-04-05T22:00:00.000Z',
    ]);
    expect(
      starts(calendarBuckets(window('2026-01-01T00:00Z', '2026-01-10T00:00Z'), 'week', 'Asia/Kolkata')),
    ).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-04T18:30:00.000Z']);
  });

  it('starts months on the first at local midnight', () => {
    const months = calendarBuckets(
      window('2026-02-15T00:00Z', '2026-05-15T00:00Z'),
      'month',
      'Europe/Berlin',
    );
    expect(starts(months)).toEqual([
      '2026-02-15T00:00:00.000Z',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
      '2026-04-30T22:00:00.000Z',
    ]);
    expect(lengthsInHours(months)[1]).toBe(31 * 24 - 1);
  });

  it('keeps 15-minute buckets in UTC and total as the whole window', () => {
    const w = window('2026-01-05T03:00Z', '2026-01-05T04:00Z');
    expect(calendarBuckets(w, '15m', 'Asia/Kolkata')).toEqual(calendarBuckets(w, '15m', 'UTC'));
    expect(calendarBuckets(w, '15m', 'Asia/Kolkata')).toHaveLength(4);
    expect(calendarBuckets(w, 'total', 'Asia/Kolkata')).toEqual([w]);
  });

  it('handles a quarter-hour offset and a half-hour DST shift', () => {
    const kathmandu = calendarBuckets(
      window('2026-01-05T00:00Z', '2026-01-05T03:00Z'),
      'hour',
      'Asia/Kathmandu',
    );
    expect(starts(kathmandu).slice(1, 3)).toEqual(['2026-01-05T00:15:00.000Z', '2026-01-05T01:15:00.000Z']);
    // Lord Howe Island falls back from 02:00 (+11) to 01:30 (+10:30), making its 01:00 hour 90 minutes.
    const lordHowe = calendarBuckets(
      window('2026-04-04T13:00Z', '2026-04-04T17:00Z'),
      'hour',
      'Australia/Lord_Howe',
    );
    expect(lengthsInHours(lordHowe)).toEqual([1, 1.5, 1, 0.5]);
  });

  it('starts a day the first time the clock reaches it, even when a day is skipped or an hour repeats', () => {
    // Samoa skipped 2011-12-30; Asuncion fell back from 00:00 to 23:00 on 2023-03-26, a 25-hour 2023-03-25.
    expect(
      lengthsInHours(
        calendarBuckets(window('2011-12-29T10:00Z', '2011-12-31T10:00Z'), 'day', 'Pacific/Apia'),
      ),
    ).toEqual([24, 24]);
    expect(
      lengthsInHours(
        calendarBuckets(window('2023-03-25T03:00Z', '2023-03-27T04:00Z'), 'day', 'America/Asuncion'),
      ),
    ).toEqual([25, 24]);
  });
});

describe('shift buckets', () => {
  it('gives each shift instance overlapping the window its own bucket, clipped to the window', () => {
    const night = lineShift('night', '2026-01-04T22:00Z', '06:00');
    const overtime = equipmentShift('overtime', '05:00', '07:00');
    const late = lineShift('late', '14:00', '22:00');
    const buckets = shiftBuckets({ start: at('00:00'), end: at('12:00') }, [late, overtime, night, night]);
    expect(buckets.map((b) => [b.shift.id, b.start, b.end])).toEqual([
      ['night', at('00:00'), at('06:00')],
      ['overtime', at('05:00'), at('07:00')],
    ]);
    expect(buckets[0]!.shift.start).toBe(at('00:00') - minutes(120));
  });
});

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'Asia/Kolkata',
  'America/New_York',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'America/Santiago',
] as const;
const SPAN_DAYS: Record<CalendarGranularity, number> = {
  '15m': 3,
  hour: 20,
  day: 120,
  week: 400,
  month: 800,
  total: 800,
};

const zonedWindow = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    granularity: fc.constantFrom<CalendarGranularity>('15m', 'hour', 'day', 'week', 'month', 'total'),
    startBucket: fc.integer({
      min: utc('2020-01-01T00:00Z') / BUCKET_MS,
      max: utc('2030-01-01T00:00Z') / BUCKET_MS,
    }),
    lengthShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ timeZone, granularity, startBucket, lengthShare }) => {
    const buckets = 1 + Math.floor(lengthShare * ((SPAN_DAYS[granularity] * 86_400_000) / BUCKET_MS));
    return {
      timeZone,
      granularity,
      window: { start: startBucket * BUCKET_MS, end: (startBucket + buckets) * BUCKET_MS },
    };
  });

const wallClock = new Map<string, Intl.DateTimeFormat>();
/** Local calendar fields straight from Intl, independent of the bucket code. */
function local(timeZone: string, instant: number) {
  let format = wallClock.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    wallClock.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value;
  const [year, month, day] = [part('year'), part('month'), part('day')];
  return {
    year,
    month,
    date: `${year}-${month}-${day}`,
    hour: part('hour'),
    minute: Number(part('minute')),
    weekday: part('weekday'),
  };
}

const innerBoundaries = (buckets: readonly Interval[]): number[] => buckets.slice(1).map((b) => b.start);

describe('local-time bucket properties', () => {
  it('partitions the window into contiguous non-empty buckets on 15-minute boundaries', () => {
    fc.assert(
      fc.property(zonedWindow, ({ timeZone, granularity, window }) => {
        const buckets = calendarBuckets(window, granularity, timeZone);
        expect(buckets[0]!.start).toBe(window.start);
        expect(buckets[buckets.length - 1]!.end).toBe(window.end);
        const broken = buckets.filter(
          (b, k) =>
            b.start >= b.end || bucketOf(b.start) !== b.start || (k > 0 && buckets[k - 1]!.end !== b.start),
        );
        expect(broken).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('starts buckets where the local clock starts an hour, a day, a Monday or a month', () => {
    fc.assert(
      fc.property(zonedWindow, ({ timeZone, granularity, window }) => {
        const boundaries = innerBoundaries(calendarBuckets(window, granularity, timeZone));
        const wrong = boundaries.filter((b) => {
          const now = local(timeZone, b);
          const before = local(timeZone, b - 1);
          switch (granularity) {
            case '15m':
              return b % BUCKET_MS !== 0;
            case 'hour':
              // or the clock jumped forward over hh:00 (Lord Howe: 02:00 → 02:30)
              return now.minute !== 0 && now.hour === before.hour;
            case 'day':
              return now.date === before.date;
            case 'week':
              return now.date === before.date || now.weekday !== 'Mon';
            case 'month':
              return now.month === before.month;
            case 'total':
              return true;
            default:
              return granularity satisfies never;
          }
        });
        expect(wrong.map((b) => new Date(b).toISOString())).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('has one day bucket per local date and one month bucket per local month the window shows', () => {
    fc.assert(
      fc.property(zonedWindow, ({ timeZone, window }) => {
        const w = { start: window.start, end: Math.min(window.end, window.start + hours(24 * 120)) };
        const dates = new Set<string>();
        const months = new Set<string>();
        // Every local date lasts at least 23 hours, so hourly samples and the last instant see them all.
        const samples = Array.from(
          { length: Math.ceil((w.end - w.start) / hours(1)) },
          (_, k) => w.start + hours(k),
        );
        for (const t of [...samples, w.end - 1]) {
          const { year, month, date } = local(timeZone, t);
          dates.add(date);
          months.add(`${year}-${month}`);
        }
        expect(calendarBuckets(w, 'day', timeZone)).toHaveLength(dates.size);
        expect(calendarBuckets(w, 'month', timeZone)).toHaveLength(months.size);
      }),
      { numRuns: 40 },
    );
  });

  it('nests: every day starts on an hour, every week and month on a day', () => {
    fc.assert(
      fc.property(zonedWindow, ({ timeZone, window }) => {
        const w = { start: window.start, end: Math.min(window.end, window.start + hours(24 * 62)) };
        const of = (g: CalendarGranularity) => new Set(innerBoundaries(calendarBuckets(w, g, timeZone)));
        const [quarter, hour, day, week, month] = (['15m', 'hour', 'day', 'week', 'month'] as const).map(of);
        const notIn = (fine: Set<number>, coarse: Set<number>) => [...coarse].filter((b) => !fine.has(b));
        expect([notIn(quarter!, hour!), notIn(hour!, day!), notIn(day!, week!), notIn(day!, month!)]).toEqual(
          [[], [], [], []],
        );
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same bounds for a window read alone or inside a larger one', () => {
    fc.assert(
      fc.property(
        zonedWindow,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (z, a, b) => {
          const count = (z.window.end - z.window.start) / BUCKET_MS;
          const [first, last] = [
            Math.min(count - 1, Math.floor(a * count)),
            Math.min(count - 1, Math.floor(b * count)),
          ].sort((x, y) => x - y) as [number, number];
          const inner = {
            start: z.window.start + first * BUCKET_MS,
            end: z.window.start + (last + 1) * BUCKET_MS,
          };
          const clipped = calendarBuckets(z.window, z.granularity, z.timeZone)
            .map((bucket) => ({
              start: Math.max(bucket.start, inner.start),
              end: Math.min(bucket.end, inner.end),
            }))
            .filter((bucket) => bucket.start < bucket.end);
          expect(calendarBuckets(inner, z.granularity, z.timeZone)).toEqual(clipped);
        },
      ),
      { numRuns: 100 },
    );
  });
});
