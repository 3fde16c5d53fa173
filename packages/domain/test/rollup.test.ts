import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUCKET_MS,
  type CalendarGranularity,
  type ComponentRow,
  type Components,
  computeComponentsForWindow,
  type Interval,
  type RollupInput,
  rollup,
  sumComponents,
  ZERO_COMPONENTS,
} from '../src/index.js';
import { at, equipmentShift, hours, lineShift, minutes, produced, running } from './given.js';

const utc = (iso: string): number => Date.parse(iso);
const row = (bucketStart: number, shiftId: string, c: Partial<Components>): ComponentRow => ({
  bucketStart,
  shiftId,
  ...ZERO_COMPONENTS,
  ...c,
});
const fullQuarter = (bucketStart: number, shiftId = 's'): ComponentRow =>
  row(bucketStart, shiftId, { pot: BUCKET_MS, apt: BUCKET_MS });

/** Component rows for every 15 minutes of `window`, as if one shift covered it all. */
const quartersOf = (window: Interval): ComponentRow[] =>
  Array.from({ length: (window.end - window.start) / BUCKET_MS }, (_, k) =>
    fullQuarter(window.start + k * BUCKET_MS),
  );

describe('roll-up into local buckets', () => {
  it('returns dense rows: one per bucket, zeros where nothing happened', () => {
    const rows = rollup([fullQuarter(at('07:15')), fullQuarter(at('07:30'))], {
      window: { start: at('06:00'), end: at('09:00') },
      granularity: 'hour',
      timeZone: 'UTC',
    });
    expect(rows).toEqual([
      { bucketStart: at('06:00'), bucketEnd: at('07:00'), ...ZERO_COMPONENTS },
      {
        bucketStart: at('07:00'),
        bucketEnd: at('08:00'),
        ...ZERO_COMPONENTS,
        pot: minutes(30),
        apt: minutes(30),
      },
      { bucketStart: at('08:00'), bucketEnd: at('09:00'), ...ZERO_COMPONENTS },
    ]);
  });

  it('rolls the local day of 2026-03-29 in Berlin into 23 hours and one 23-hour day', () => {
    const window = { start: utc('2026-03-28T23:00Z'), end: utc('2026-03-29T22:00Z') };
    const quarters = quartersOf(window);
    expect(rollup(quarters, { window, granularity: 'hour', timeZone: 'Europe/Berlin' })).toHaveLength(23);
    expect(rollup(quarters, { window, granularity: 'day', timeZone: 'Europe/Berlin' })).toEqual([
      {
        bucketStart: window.start,
        bucketEnd: window.end,
        ...ZERO_COMPONENTS,
        pot: hours(23),
        apt: hours(23),
      },
    ]);
  });

  it('runs Kolkata hours from 09:00 to 10:00 local, at half past the UTC hour', () => {
    const window = { start: utc('2026-01-05T03:00Z'), end: utc('2026-01-05T05:00Z') };
    const rows = rollup(quartersOf(window), { window, granularity: 'hour', timeZone: 'Asia/Kolkata' });
    expect(rows.map((r) => [new Date(r.bucketStart).toISOString(), r.pot])).toEqual([
      ['2026-01-05T03:00:00.000Z', minutes(30)],
      ['2026-01-05T03:30:00.000Z', hours(1)],
      ['2026-01-05T04:30:00.000Z', minutes(30)],
    ]);
  });

  it('ignores rows outside the window and sums the equipment of a line', () => {
    const rows = rollup(
      [
        fullQuarter(at('05:45')),
        fullQuarter(at('06:00'), 'a'),
        fullQuarter(at('06:00'), 'b'),
        fullQuarter(at('07:00')),
      ],
      { window: { start: at('06:00'), end: at('07:00') }, granularity: 'total', timeZone: 'UTC' },
    );
    expect(rows).toEqual([
      {
        bucketStart: at('06:00'),
        bucketEnd: at('07:00'),
        ...ZERO_COMPONENTS,
        pot: minutes(30),
        apt: minutes(30),
      },
    ]);
  });
});

describe('roll-up by shift', () => {
  const night = lineShift('night', '2026-01-04T22:00Z', '06:00');
  const early = lineShift('early', '06:00', '14:00');
  const overtime = equipmentShift('overtime', '12:00', '16:00');
  const late = lineShift('late', '14:00', '22:00');

  it('gives one row per shift instance in the window, with its own times and clipped bounds', () => {
    const facts = {
      shifts: [night, early, overtime, late],
      states: [running('2026-01-04T22:00Z', '16:00')],
      production: [produced('12:00', '13:00', { total: 30 }), produced('05:00', '06:00', { total: 5 })],
      now: at('+1 00:00'),
    };
    const window = { start: at('00:00'), end: at('15:00') };
    const rows = rollup(computeComponentsForWindow({ ...facts, window }), {
      window,
      granularity: 'shift',
      shifts: facts.shifts,
    });
    expect(rows.map((r) => [r.shift?.id, r.bucketStart, r.bucketEnd, r.pot, r.apt, r.pq])).toEqual([
      ['night', at('00:00'), at('06:00'), hours(6), hours(6), 5],
      ['early', at('06:00'), at('14:00'), hours(6), hours(6), 0],
      ['overtime', at('12:00'), at('15:00'), hours(3), hours(3), 30],
      ['late', at('14:00'), at('15:00'), 0, 0, 0],
    ]);
    expect(rows[0]!.shift).toEqual({ id: 'night', name: 'shift night', start: night.start, end: night.end });
  });

  it('includes the shifts of every equipment in scope, summing a shared line shift', () => {
    const window = { start: at('06:00'), end: at('07:00') };
    const rows = rollup(
      [fullQuarter(at('06:00'), 'early'), fullQuarter(at('06:00'), 'early'), fullQuarter(at('06:15'), 'own')],
      {
        window,
        granularity: 'shift',
        shifts: [early, equipmentShift('own', '06:15', '06:30')],
      },
    );
    expect(rows.map((r) => [r.shift?.id, r.pot])).toEqual([
      ['early', 2 * BUCKET_MS],
      ['own', BUCKET_MS],
    ]);
  });
});

const ZONES = ['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe'] as const;

/** Sparse component rows over a window of up to 40 days, often across a March DST change, some outside it. */
const rowsInWindow = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    startBucket: fc.integer({
      min: utc('2026-02-01T00:00Z') / BUCKET_MS,
      max: utc('2026-04-15T00:00Z') / BUCKET_MS,
    }),
    buckets: fc.integer({ min: 1, max: (40 * 86_400_000) / BUCKET_MS }),
  })
  .chain(({ timeZone, startBucket, buckets }) => {
    const window = { start: startBucket * BUCKET_MS, end: (startBucket + buckets) * BUCKET_MS };
    const component = fc.record({
      offset: fc.integer({ min: -4, max: buckets + 4 }),
      pot: fc.nat(BUCKET_MS),
      pq: fc.nat(100),
      ideal: fc.nat(1_000_000),
    });
    return fc.record({
      timeZone: fc.constant(timeZone),
      window: fc.constant(window),
      rows: fc.array(component, { maxLength: 60 }).map((cs) =>
        cs.map(({ offset, pot, pq, ideal }) =>
          row(window.start + offset * BUCKET_MS, 's', {
            pot,
            pdot: pot >> 2,
            apt: pot >> 1,
            pq,
            gq: pq >> 1,
            ideal,
          }),
        ),
      ),
    });
  });

const inside = (rows: readonly RollupInput[], window: Interval) =>
  rows.filter((r) => r.bucketStart >= window.start && r.bucketStart < window.end);

describe('roll-up properties', () => {
  it('rolls up roll-ups to the same numbers as the 15-minute rows: 15m → hour → day → week and month', () => {
    fc.assert(
      fc.property(rowsInWindow, ({ timeZone, window, rows }) => {
        const to = (g: CalendarGranularity, from: readonly RollupInput[]) =>
          rollup(from, { window, granularity: g, timeZone });
        const quarters = to('15m', rows);
        const hoursRows = to('hour', quarters);
        const days = to('day', hoursRows);
        expect(days).toEqual(to('day', rows));
        expect(to('week', days)).toEqual(to('week', rows));
        expect(to('month', days)).toEqual(to('month', rows));
        expect(to('total', to('month', days))).toEqual(to('total', rows));
      }),
      { numRuns: 60 },
    );
  });

  it('keeps every component of the window: the buckets sum to the rows inside it', () => {
    fc.assert(
      fc.property(
        rowsInWindow,
        fc.constantFrom<CalendarGranularity>('15m', 'hour', 'day', 'week', 'month'),
        (r, g) => {
          const rolled = rollup(r.rows, { window: r.window, granularity: g, timeZone: r.timeZone });
          expect(sumComponents(rolled)).toEqual(sumComponents(inside(r.rows, r.window)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives a bucket lying wholly inside a smaller window the same numbers there', () => {
    fc.assert(
      fc.property(rowsInWindow, fc.nat(), fc.nat(), ({ timeZone, window, rows }, a, b) => {
        const count = (window.end - window.start) / BUCKET_MS;
        const [first, last] = [a % count, b % count].sort((x, y) => x - y) as [number, number];
        const inner = { start: window.start + first * BUCKET_MS, end: window.start + (last + 1) * BUCKET_MS };
        const whole = rollup(rows, { window, granularity: 'day', timeZone });
        const part = rollup(rows, { window: inner, granularity: 'day', timeZone });
        const key = (r: { bucketStart: number; bucketEnd: number }) => `${r.bucketStart}-${r.bucketEnd}`;
        const shared = new Set(part.map(key));
        expect(part.filter((r) => whole.some((w) => key(w) === key(r)))).toEqual(
          whole.filter((w) => shared.has(key(w))),
        );
      }),
      { numRuns: 60 },
    );
  });
});
