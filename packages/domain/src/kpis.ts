import type { MaintenanceEvent } from './facts.js';
import type { Interval } from './interval.js';
import type { Components } from './oee.js';
import { availability, oee, performance, quality, secondsOf } from './ratios.js';

const HOUR_MS = 3_600_000;

/** Maintenance in a window, as sums, so equipment and windows add up like the OEE components do. */
export interface MaintenanceTotals {
  /** FE: failure events, the corrective maintenance started in the window. */
  readonly failures: number;
  /** CMT: corrective maintenance time, in milliseconds. */
  readonly correctiveMs: number;
  /** PMT: preventive maintenance time, in milliseconds. */
  readonly preventiveMs: number;
}

/**
 * A maintenance event belongs to the window its start lies in, with its whole duration (an open one lasts
 * until now), so adjacent windows add up to their union and a repair is never split into two repairs.
 */
export function maintenanceTotals(
  events: readonly MaintenanceEvent[],
  window: Interval,
  now: number,
): MaintenanceTotals {
  let failures = 0;
  let correctiveMs = 0;
  let preventiveMs = 0;
  for (const event of events) {
    if (event.start < window.start || event.start >= Math.min(window.end, now)) continue;
    const durationMs = Math.max(0, Math.min(event.end ?? now, now) - event.start);
    switch (event.kind) {
      case 'corrective':
        failures += 1;
        correctiveMs += durationMs;
        break;
      case 'preventive':
        preventiveMs += durationMs;
        break;
      default: {
        const unexpected: never = event.kind;
        throw new Error(`unexpected maintenance kind ${String(unexpected)}`);
      }
    }
  }
  return { failures, correctiveMs, preventiveMs };
}

export const addMaintenanceTotals = (a: MaintenanceTotals, b: MaintenanceTotals): MaintenanceTotals => ({
  failures: a.failures + b.failures,
  correctiveMs: a.correctiveMs + b.correctiveMs,
  preventiveMs: a.preventiveMs + b.preventiveMs,
});

/** ISO 22400-2 KPIs; each is `null` exactly when its denominator is 0. */
export interface KpiSet {
  readonly availability: number | null;
  readonly effectiveness: number | null;
  readonly qualityRatio: number | null;
  readonly oeeIndex: number | null;
  readonly scrapRatio: number | null;
  readonly reworkRatio: number | null;
  /** Items per hour of planned operation time. */
  readonly throughputRatePerHour: number | null;
  /** Seconds, millisecond precision. */
  readonly mtbfS: number | null;
  /** Seconds, millisecond precision. */
  readonly mttrS: number | null;
  readonly correctiveMaintenanceRatio: number | null;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

export function computeKpis(c: Components, maintenance: MaintenanceTotals): KpiSet {
  const mtbfMs = ratio(c.apt, maintenance.failures);
  const mttrMs = ratio(maintenance.correctiveMs, maintenance.failures);
  return {
    // Availability = APT / PBT
    availability: availability(c),
    // Effectiveness = PRI × PQ / APT
    effectiveness: performance(c),
    // Quality ratio = GQ / PQ
    qualityRatio: quality(c),
    // OEE index = availability × effectiveness × quality ratio
    oeeIndex: oee(c),
    // Scrap ratio = SQ / PQ
    scrapRatio: ratio(c.sq, c.pq),
    // Rework ratio = RQ / PQ
    reworkRatio: ratio(c.rq, c.pq),
    // Throughput rate = PQ / POT, per hour
    throughputRatePerHour: ratio(c.pq, c.pot / HOUR_MS),
    // MTBF (mean operating time between failures) = APT / FE
    mtbfS: mtbfMs === null ? null : secondsOf(mtbfMs),
    // MTTR (mean time to restoration) = CMT / FE
    mttrS: mttrMs === null ? null : secondsOf(mttrMs),
    // Corrective maintenance ratio = CMT / (CMT + PMT)
    correctiveMaintenanceRatio: ratio(
      maintenance.correctiveMs,
      maintenance.correctiveMs + maintenance.preventiveMs,
    ),
  };
}
