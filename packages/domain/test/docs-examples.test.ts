/**
 * The worked examples of docs/oee.md §15, run through the pure functions they describe. Each test is
 * named after its section and asserts the numbers the document prints, so the document cannot drift
 * from the code: change one and this file fails until the other follows.
 */
import { describe, expect, it } from 'vitest';
import {
  type ComponentRow,
  calendarBuckets,
  computeComponentsForWindow,
  computeKpis,
  type EquipmentFacts,
  type Interval,
  maintenanceTotals,
  oeeRow,
  type ProductionRecord,
  rollup,
  secondsOf,
  sumComponents,
} from '../src/index.js';
import { at, equipmentShift, lineShift, plannedStop, produced, running, stopped } from './given.js';

/** 2026-01-05, the Monday of the examples, from midnight to midnight UTC. */
const DAY: Interval = { start: at('00:00'), end: at('+1 00:00') };

const components = (facts: Omit<EquipmentFacts, 'now'>, now: number, window: Interval = DAY) =>
  computeComponentsForWindow({ ...facts, now, window });

const utc = (iso: string): number => Date.parse(iso);
const iso = (instant: number): string => new Date(instant).toISOString().replace('.000Z', 'Z');
const bounds = (buckets: readonly Interval[]) => buckets.map((b) => `${iso(b.start)}..${iso(b.end)}`);

/** §15.1: one line shift with a breakdown and a break. */
const breakdownShift = {
  shifts: [lineShift('early', '06:00', '14:00')],
  states: [
    running('06:00', '09:00'),
    stopped('09:00', '09:45'),
    running('09:45', '12:00'),
    plannedStop('12:00', '12:30'),
    running('12:30', '14:00'),
  ],
  production: [
    produced('06:00', '10:00', { total: 300, scrap: 9, rework: 6, idealCycleTimeS: 30 }),
    produced('10:00', '14:00', { total: 400, scrap: 12, rework: 8, idealCycleTimeS: 30 }),
  ],
};

describe('docs/oee.md §15 worked examples', () => {
  it('§15.1 a shift with a breakdown and a break', () => {
    const total = sumComponents(components(breakdownShift, at('18:00')));
    const row = oeeRow(total);
    expect(row).toMatchObject({
      plannedOperationS: 28_800,
      plannedDowntimeS: 1_800,
      plannedBusyS: 27_000,
      productionS: 24_300,
      unplannedDowntimeS: 2_700,
      produced: 700,
      good: 665,
      scrap: 21,
      rework: 14,
      idealS: 21_000,
      availability: 0.9,
      quality: 0.95,
    });
    expect(row.performance).toBeCloseTo(0.8642, 4);
    expect(row.oee).toBeCloseTo(0.7389, 4);
    // A × P is ideal time / PBT, so OEE is also 21,000 / 27,000 × 0.95.
    expect(row.oee).toBeCloseTo((21_000 / 27_000) * 0.95, 12);
  });

  it('§15.2 production is counted by its last instant', () => {
    const facts = {
      shifts: [lineShift('early', '06:00', '14:00')],
      states: [running('05:00', '15:00')],
      production: [
        produced('05:50', '06:10', { total: 10 }),
        produced('06:10', '06:20', { total: 20 }),
        produced('13:50', '14:10', { total: 40 }),
      ],
    };
    const rows = components(facts, at('18:00'));
    expect(sumComponents(rows).pq).toBe(30);
    const byBucket = Object.fromEntries(
      rows.filter((r) => r.pq > 0).map((r) => [iso(r.bucketStart).slice(11, 16), r.pq]),
    );
    expect(byBucket).toEqual({ '06:00': 10, '06:15': 20 });
    // Running before and after the shift is not production time either.
    expect(sumComponents(rows).apt).toBe(8 * 3_600_000);
  });

  it('§15.3 overlapping shifts: the equipment’s own shift owns the overlap', () => {
    const facts = {
      shifts: [lineShift('early', '06:00', '14:00'), equipmentShift('overtime', '13:00', '15:00')],
      states: [running('06:00', '15:00')],
      production: [produced('13:00', '13:30', { total: 5 })],
    };
    const rows = components(facts, at('18:00'));
    const potOf = (shiftId: string) =>
      secondsOf(sumComponents(rows.filter((r) => r.shiftId === shiftId)).pot);
    expect(secondsOf(sumComponents(rows).pot)).toBe(32_400);
    expect(potOf('early')).toBe(25_200);
    expect(potOf('overtime')).toBe(7_200);
    expect(sumComponents(rows.filter((r) => r.shiftId === 'overtime')).pq).toBe(5);
  });

  it('§15.4 live numbers: POT is clipped at now', () => {
    const facts = {
      shifts: [lineShift('early', '06:00', '14:00')],
      states: [running('06:00', null)],
      production: [produced('06:00', '10:00', { total: 200, idealCycleTimeS: 60 })],
    };
    const row = oeeRow(sumComponents(components(facts, at('10:00'))));
    expect(row).toMatchObject({
      plannedOperationS: 14_400,
      productionS: 14_400,
      unplannedDowntimeS: 0,
      idealS: 12_000,
      availability: 1,
      quality: 1,
    });
    expect(row.performance).toBeCloseTo(0.8333, 4);
    expect(row.oee).toBeCloseTo(0.8333, 4);
  });

  it('§15.5 zero is not null', () => {
    const shifts = [lineShift('early', '06:00', '14:00')];
    const down = oeeRow(
      sumComponents(components({ shifts, states: [stopped('06:00', '14:00')], production: [] }, at('18:00'))),
    );
    expect(down).toMatchObject({ availability: 0, performance: null, quality: null, oee: 0 });
    const idle = oeeRow(
      sumComponents(components({ shifts, states: [running('06:00', '14:00')], production: [] }, at('18:00'))),
    );
    expect(idle).toMatchObject({ availability: 1, performance: 0, quality: null, oee: 0 });
    const unplanned = oeeRow(
      sumComponents(
        components(
          {
            shifts: [],
            states: [running('06:00', '14:00')],
            production: [produced('06:00', '14:00', { total: 100 })],
          },
          at('18:00'),
        ),
      ),
    );
    expect(unplanned).toMatchObject({
      plannedOperationS: 0,
      produced: 0,
      availability: null,
      performance: null,
      quality: null,
      oee: null,
    });
  });

  it('§15.6 a line rolls up sums, not averages', () => {
    const shifts = [lineShift('early', '06:00', '14:00')];
    const press = components(
      {
        shifts,
        states: [running('06:00', '14:00')],
        production: [produced('06:00', '14:00', { total: 480, idealCycleTimeS: 60 })],
      },
      at('18:00'),
    );
    const lathe = components(
      {
        shifts,
        states: [running('06:00', '08:00'), stopped('08:00', '14:00')],
        production: [produced('06:00', '08:00', { total: 120, scrap: 60, idealCycleTimeS: 30 })],
      },
      at('18:00'),
    );
    const whole = (rows: readonly ComponentRow[]) =>
      oeeRow(rollup(rows, { window: DAY, granularity: 'total', timeZone: 'UTC' })[0]!);
    expect(whole(press)).toMatchObject({ availability: 1, performance: 1, quality: 1, oee: 1 });
    expect(whole(lathe)).toMatchObject({ availability: 0.25, performance: 0.5, quality: 0.5, oee: 0.0625 });
    const line = whole([...press, ...lathe]);
    expect(line).toMatchObject({
      plannedOperationS: 57_600,
      productionS: 36_000,
      idealS: 32_400,
      produced: 600,
      good: 540,
      availability: 0.625,
      performance: 0.9,
      quality: 0.9,
    });
    expect(line.oee).toBeCloseTo(0.50625, 12);
  });

  it('§15.7 Berlin’s 25-hour day', () => {
    const window = { start: utc('2026-10-24T22:00Z'), end: utc('2026-10-26T23:00Z') };
    expect(bounds(calendarBuckets(window, 'day', 'Europe/Berlin'))).toEqual([
      '2026-10-24T22:00:00Z..2026-10-25T23:00:00Z',
      '2026-10-25T23:00:00Z..2026-10-26T23:00:00Z',
    ]);
    const sunday = { start: window.start, end: utc('2026-10-25T23:00Z') };
    expect(calendarBuckets(sunday, 'hour', 'Europe/Berlin')).toHaveLength(25);
    const spring = { start: utc('2026-03-28T23:00Z'), end: utc('2026-03-29T22:00Z') };
    expect(calendarBuckets(spring, 'hour', 'Europe/Berlin')).toHaveLength(23);

    const aroundTheClock = {
      shifts: [lineShift('all', window.start, window.end)],
      states: [running(window.start, window.end)],
      production: [],
    };
    const days = rollup(components(aroundTheClock, window.end, window), {
      window,
      granularity: 'day',
      timeZone: 'Europe/Berlin',
    });
    expect(days.map((d) => secondsOf(d.pot))).toEqual([90_000, 86_400]);
  });

  it('§15.8 Kolkata’s hours, clipped to the window', () => {
    const window = { start: utc('2026-01-05T03:00Z'), end: utc('2026-01-05T05:00Z') };
    expect(bounds(calendarBuckets(window, 'hour', 'Asia/Kolkata'))).toEqual([
      '2026-01-05T03:00:00Z..2026-01-05T03:30:00Z',
      '2026-01-05T03:30:00Z..2026-01-05T04:30:00Z',
      '2026-01-05T04:30:00Z..2026-01-05T05:00:00Z',
    ]);
    expect(bounds(calendarBuckets(window, '15m', 'Asia/Kolkata'))).toHaveLength(8);
  });

  it('§15.9 shift granularity', () => {
    const night = lineShift('night', '2026-01-04T22:00:00Z', '06:00');
    const early = lineShift('early', '06:00', '14:00');
    const window = { start: at('04:00'), end: at('10:00') };
    const facts = { shifts: [night, early], states: [running('04:00', '10:00')], production: [] };
    const rows = rollup(components(facts, at('18:00'), window), {
      window,
      granularity: 'shift',
      shifts: [night, early],
    });
    expect(
      rows.map((r) => ({
        bucket: `${iso(r.bucketStart)}..${iso(r.bucketEnd)}`,
        shift: `${r.shift?.id} ${iso(r.shift!.start)}..${iso(r.shift!.end)}`,
        plannedOperationS: secondsOf(r.pot),
      })),
    ).toEqual([
      {
        bucket: '2026-01-05T04:00:00Z..2026-01-05T06:00:00Z',
        shift: 'night 2026-01-04T22:00:00Z..2026-01-05T06:00:00Z',
        plannedOperationS: 7_200,
      },
      {
        bucket: '2026-01-05T06:00:00Z..2026-01-05T10:00:00Z',
        shift: 'early 2026-01-05T06:00:00Z..2026-01-05T14:00:00Z',
        plannedOperationS: 14_400,
      },
    ]);
  });

  it('§15.10 ISO 22400-2 KPIs of §15.1', () => {
    const total = sumComponents(components(breakdownShift, at('18:00')));
    const maintenance = maintenanceTotals(
      [
        { kind: 'corrective', start: at('09:00'), end: at('09:45') },
        { kind: 'preventive', start: at('12:00'), end: at('12:30') },
      ],
      DAY,
      at('18:00'),
    );
    const kpis = computeKpis(total, maintenance);
    expect(kpis).toMatchObject({
      availability: 0.9,
      qualityRatio: 0.95,
      scrapRatio: 0.03,
      reworkRatio: 0.02,
      throughputRatePerHour: 87.5,
      mtbfS: 24_300,
      mttrS: 2_700,
      correctiveMaintenanceRatio: 0.6,
    });
  });

  it('§15.11 rounding of the ideal time', () => {
    const record: ProductionRecord = {
      ...produced('06:00', '06:10', { total: 3 }),
      idealCycleTimeMs: Math.round(1.2345 * 1_000_000) / 1_000,
    };
    const rows = components(
      {
        shifts: [lineShift('early', '06:00', '14:00')],
        states: [running('06:00', '14:00')],
        production: [record],
      },
      at('18:00'),
    );
    const total = sumComponents(rows);
    expect(total.ideal).toBe(3_703.5);
    expect(oeeRow(total).idealS).toBe(3.704);
  });
});
