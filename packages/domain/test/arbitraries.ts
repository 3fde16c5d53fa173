import fc from 'fast-check';
import {
  BUCKET_MS,
  bucketOf,
  type EquipmentState,
  type Interval,
  type ProductionRecord,
  type Shift,
  type StateInterval,
} from '../src/index.js';
import { at, MINUTE_MS } from './given.js';

/** Facts live on a two-day timeline; the evaluation time may fall inside it or after it. */
export const TIMELINE: Interval = { start: at('00:00'), end: at('+2 00:00') };
const TIMELINE_MINUTES = (TIMELINE.end - TIMELINE.start) / MINUTE_MS;

/** Mostly whole minutes, so edges coincide with buckets and each other; sometimes any millisecond. */
export const instant = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: 0, max: TIMELINE_MINUTES }).map((m) => TIMELINE.start + m * MINUTE_MS),
  },
  { weight: 1, arbitrary: fc.integer({ min: TIMELINE.start, max: TIMELINE.end }) },
);

const sortedInstants = (maxLength: number) =>
  fc.uniqueArray(instant, { maxLength }).map((points) => [...points].sort((a, b) => a - b));

/** Pairwise disjoint intervals, as the EXCLUDE constraint guarantees for one owner's shifts. */
export const disjointIntervals = (max: number): fc.Arbitrary<Interval[]> =>
  sortedInstants(2 * max).map((points) => {
    const intervals: Interval[] = [];
    for (let k = 0; k + 1 < points.length; k += 2) intervals.push({ start: points[k]!, end: points[k + 1]! });
    return intervals;
  });

export const shifts: fc.Arbitrary<Shift[]> = fc
  .record({ line: disjointIntervals(4), equipment: disjointIntervals(2) })
  .map(({ line, equipment }) => [
    ...line.map((i, k): Shift => ({ id: `line-${k}`, name: `line shift ${k}`, owner: 'line', ...i })),
    ...equipment.map(
      (i, k): Shift => ({ id: `eq-${k}`, name: `equipment shift ${k}`, owner: 'equipment', ...i }),
    ),
  ]);

type StateOrGap = EquipmentState | 'gap';

/** A state stream as ingest keeps it: no overlaps, adjacent or with gaps, at most the latest state open. */
export const states: fc.Arbitrary<StateInterval[]> = sortedInstants(12).chain((points) =>
  fc
    .record({
      kinds: fc.array(fc.constantFrom<StateOrGap>('running', 'stopped', 'planned_stop', 'gap'), {
        minLength: points.length,
        maxLength: points.length,
      }),
      lastOpen: fc.boolean(),
    })
    .map(({ kinds, lastOpen }) => {
      const stream: StateInterval[] = [];
      points.forEach((start, k) => {
        const kind = kinds[k]!;
        const next = points[k + 1];
        if (kind === 'gap') return;
        if (next !== undefined) stream.push({ state: kind, start, end: next });
        else if (lastOpen) stream.push({ state: kind, start, end: null });
      });
      return stream;
    }),
);

export const productionRecord: fc.Arbitrary<ProductionRecord> = fc
  .record({
    end: instant,
    durationMs: fc.integer({ min: 1, max: 3 * 3_600_000 }),
    good: fc.nat(60),
    scrap: fc.nat(20),
    rework: fc.nat(20),
    extra: fc.nat(10),
    idealCycleTimeMs: fc.integer({ min: 1, max: 120_000 }),
  })
  .map(({ end, durationMs, good, scrap, rework, extra, idealCycleTimeMs }) => ({
    start: end - durationMs,
    end,
    total: good + scrap + rework + extra,
    good,
    scrap,
    rework,
    idealCycleTimeMs,
  }));

export const now = fc.oneof(instant, fc.constant(TIMELINE.end + 3_600_000));

/** A query window on 15-minute boundaries inside the timeline. */
export const alignedWindow: fc.Arbitrary<Interval> = fc
  .tuple(instant, instant)
  .filter(([a, b]) => bucketOf(a) !== bucketOf(b))
  .map(([a, b]) => ({ start: bucketOf(Math.min(a, b)), end: bucketOf(Math.max(a, b)) }));

export const facts = fc.record({
  shifts,
  states,
  production: fc.array(productionRecord, { maxLength: 12 }),
  now,
});

export const bucketIn = (window: Interval): fc.Arbitrary<Interval> =>
  fc
    .integer({ min: 0, max: (window.end - window.start) / BUCKET_MS - 1 })
    .map((k) => ({ start: window.start + k * BUCKET_MS, end: window.start + (k + 1) * BUCKET_MS }));
