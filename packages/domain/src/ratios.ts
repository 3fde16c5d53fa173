import type { Components } from './oee.js';

/** PBT = POT − PDOT */
export const pbt = (c: Components): number => c.pot - c.pdot;

/** ADOT = PBT − APT: stopped, or no state known (a gap in the state stream is a loss, never free time). */
export const adot = (c: Components): number => pbt(c) - c.apt;

/** Roll-ups add components; ratios are computed once, from the sums, never averaged. */
export function sumComponents(rows: Iterable<Components>): Components {
  let pot = 0;
  let pdot = 0;
  let apt = 0;
  let pq = 0;
  let gq = 0;
  let sq = 0;
  let rq = 0;
  let ideal = 0;
  for (const row of rows) {
    pot += row.pot;
    pdot += row.pdot;
    apt += row.apt;
    pq += row.pq;
    gq += row.gq;
    sq += row.sq;
    rq += row.rq;
    ideal += row.ideal;
  }
  return { pot, pdot, apt, pq, gq, sq, rq, ideal };
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

/** Availability = APT / PBT */
export const availability = (c: Components): number | null => ratio(c.apt, pbt(c));

/** Performance (ISO: effectiveness) = ideal time / APT; above 1 is reported as is: the ideal cycle time is wrong. */
export const performance = (c: Components): number | null => ratio(c.ideal, c.apt);

/** Quality ratio = GQ / PQ */
export const quality = (c: Components): number | null => ratio(c.gq, c.pq);

/**
 * OEE = A × P × Q, `null` only when PBT = 0. A machine down all shift (APT = 0) or one that produced nothing
 * (PQ = 0) has OEE 0, not null.
 */
export function oee(c: Components): number | null {
  const a = availability(c);
  if (a === null) return null;
  const p = performance(c);
  const q = quality(c);
  if (p === null || q === null) return 0;
  return a * p * q;
}

export interface Ratios {
  readonly availability: number | null;
  readonly performance: number | null;
  readonly quality: number | null;
  readonly oee: number | null;
}

export const ratios = (c: Components): Ratios => ({
  availability: availability(c),
  performance: performance(c),
  quality: quality(c),
  oee: oee(c),
});

/** The numeric fields of an `OeeRow` (docs/api.md): durations in seconds with millisecond precision. */
export interface OeeFigures extends Ratios {
  readonly plannedOperationS: number;
  readonly plannedDowntimeS: number;
  readonly plannedBusyS: number;
  readonly productionS: number;
  readonly unplannedDowntimeS: number;
  readonly produced: number;
  readonly good: number;
  readonly scrap: number;
  readonly rework: number;
  readonly idealS: number;
}

/** Whole milliseconds as seconds; the ideal time may carry sub-millisecond digits from a fractional PRI. */
export const secondsOf = (ms: number): number => Math.round(ms) / 1_000;

export function oeeRow(c: Components): OeeFigures {
  return {
    plannedOperationS: secondsOf(c.pot),
    plannedDowntimeS: secondsOf(c.pdot),
    plannedBusyS: secondsOf(pbt(c)),
    productionS: secondsOf(c.apt),
    unplannedDowntimeS: secondsOf(adot(c)),
    produced: c.pq,
    good: c.gq,
    scrap: c.sq,
    rework: c.rq,
    idealS: secondsOf(c.ideal),
    ...ratios(c),
  };
}
