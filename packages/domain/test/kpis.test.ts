import { describe, expect, it } from 'vitest';
import {
  addMaintenanceTotals,
  computeKpis,
  type MaintenanceEvent,
  maintenanceTotals,
  ZERO_COMPONENTS,
} from '../src/index.js';
import { at, hours, minutes } from './given.js';

const window = { start: at('00:00'), end: at('+1 00:00') };
const corrective = (start: string, end: string | null): MaintenanceEvent => ({
  kind: 'corrective',
  start: at(start),
  end: end === null ? null : at(end),
});
const preventive = (start: string, end: string): MaintenanceEvent => ({
  kind: 'preventive',
  start: at(start),
  end: at(end),
});

describe('ISO 22400-2 KPIs', () => {
  const shift = {
    ...ZERO_COMPONENTS,
    pot: hours(8),
    pdot: hours(1),
    apt: hours(6),
    pq: 400,
    gq: 360,
    sq: 30,
    rq: 10,
  };

  it('derives the production KPIs from the summed components', () => {
    const kpis = computeKpis(
      { ...shift, ideal: hours(4.5) },
      { failures: 0, correctiveMs: 0, preventiveMs: 0 },
    );
    expect(kpis).toMatchObject({
      availability: 6 / 7,
      effectiveness: 0.75,
      qualityRatio: 0.9,
      scrapRatio: 0.075,
      reworkRatio: 0.025,
      throughputRatePerHour: 50,
      mtbfS: null,
      mttrS: null,
      correctiveMaintenanceRatio: null,
    });
    expect(kpis.oeeIndex).toBeCloseTo((6 / 7) * 0.75 * 0.9, 12);
  });

  it('derives MTBF, MTTR and the corrective maintenance ratio from maintenance in the window', () => {
    const totals = maintenanceTotals(
      [corrective('08:00', '08:30'), corrective('12:00', '13:30'), preventive('18:00', '19:00')],
      window,
      at('+1 06:00'),
    );
    expect(totals).toEqual({ failures: 2, correctiveMs: hours(2), preventiveMs: hours(1) });
    expect(computeKpis(shift, totals)).toMatchObject({
      mtbfS: 3 * 3_600,
      mttrS: 3_600,
      correctiveMaintenanceRatio: 2 / 3,
    });
  });

  it('extends open maintenance to now and ignores maintenance starting outside the window or after now', () => {
    const events = [
      corrective('10:00', null),
      corrective('11:00', '11:10'), // after now
      corrective('+1 01:00', '+1 02:00'), // after the window
      preventive('2026-01-04T23:00Z', '01:00'), // before the window
    ];
    expect(maintenanceTotals(events, window, at('10:45'))).toEqual({
      failures: 1,
      correctiveMs: minutes(45),
      preventiveMs: 0,
    });
  });

  it('adds maintenance across windows and equipment like components', () => {
    const first = maintenanceTotals([corrective('01:00', '02:00')], window, at('+2 00:00'));
    const second = maintenanceTotals([preventive('03:00', '03:30')], window, at('+2 00:00'));
    expect(addMaintenanceTotals(first, second)).toEqual({
      failures: 1,
      correctiveMs: hours(1),
      preventiveMs: minutes(30),
    });
  });

  it('has no throughput rate without planned operation time', () => {
    expect(computeKpis(ZERO_COMPONENTS, { failures: 0, correctiveMs: 0, preventiveMs: 0 })).toEqual({
      availability: null,
      effectiveness: null,
      qualityRatio: null,
      oeeIndex: null,
      scrapRatio: null,
      reworkRatio: null,
      throughputRatePerHour: null,
      mtbfS: null,
      mttrS: null,
      correctiveMaintenanceRatio: null,
    });
  });
});
