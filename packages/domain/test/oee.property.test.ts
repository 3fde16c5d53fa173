import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adot,
  BUCKET_MS,
  type ComponentRow,
  computeComponents,
  computeComponentsForWindow,
  containsInstant,
  type Interval,
  intersect,
  isBucketBoundary,
  lastInstantOf,
  plannedOperationTime,
  type StateInterval,
  subtract,
  sumComponents,
  totalLength,
} from '../src/index.js';
import { alignedWindow, bucketIn, facts, TIMELINE } from './arbitraries.js';

const RUNS = { numRuns: 100 };

type Facts = typeof facts extends fc.Arbitrary<infer F> ? F : never;

const rowsOf = (f: Facts, window: Interval): ComponentRow[] => computeComponentsForWindow({ ...f, window });

/** Every state with an end: an open state is the same as one closed at now. */
const closedAtNow = (states: readonly StateInterval[], now: number): StateInterval[] =>
  states.map((s) => ({ ...s, end: s.end ?? Math.max(s.start, now) }));

describe('OEE component properties', () => {
  it('sums the 15-minute buckets of a window to the window computed whole', () => {
    fc.assert(
      fc.property(facts, alignedWindow, (f, window) => {
        expect(sumComponents(rowsOf(f, window))).toEqual(
          sumComponents(computeComponents({ ...f, bucket: window })),
        );
      }),
      RUNS,
    );
  });

  it('gives a bucket the same rows read alone or inside any larger window', () => {
    fc.assert(
      fc.property(
        facts,
        alignedWindow.chain((window) => fc.tuple(fc.constant(window), bucketIn(window))),
        (f, [window, bucket]) => {
          const alone = computeComponents({ ...f, bucket });
          expect(rowsOf(f, window).filter((row) => row.bucketStart === bucket.start)).toEqual(alone);
          expect(rowsOf(f, bucket)).toEqual(alone);
        },
      ),
      RUNS,
    );
  });

  it('keeps components non-negative with APT + PDOT + ADOT = POT, within the bucket and before now', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const broken = rowsOf(f, TIMELINE).filter(
          (row) =>
            Object.values(row).some((value) => typeof value === 'number' && value < 0) ||
            adot(row) < 0 ||
            row.apt + row.pdot + adot(row) !== row.pot ||
            row.pot === 0 ||
            row.pot > BUCKET_MS ||
            row.gq + row.sq + row.rq > row.pq ||
            !isBucketBoundary(row.bucketStart) ||
            row.bucketStart >= f.now,
        );
        expect(broken).toEqual([]);
      }),
      RUNS,
    );
  });

  it('makes POT the union of the shifts, each instant counted once, clipped at now', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const pot = plannedOperationTime(f.shifts, TIMELINE, f.now);
        expect(sumComponents(rowsOf(f, TIMELINE)).pot).toBe(totalLength(pot));
      }),
      RUNS,
    );
  });

  it('counts exactly the records whose last instant lies in POT', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const pot = plannedOperationTime(f.shifts, TIMELINE, f.now);
        const counted = f.production.filter((record) => containsInstant(pot, lastInstantOf(record)));
        const total = sumComponents(rowsOf(f, TIMELINE));
        expect(total.pq).toBe(counted.reduce((sum, record) => sum + record.total, 0));
        expect(total.ideal).toBe(counted.reduce((sum, r) => sum + r.total * r.idealCycleTimeMs, 0));
      }),
      RUNS,
    );
  });

  it('never counts what happens outside the shifts: running there changes nothing', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const pot = plannedOperationTime(f.shifts, TIMELINE, Number.POSITIVE_INFINITY);
        const insideShifts = closedAtNow(f.states, f.now).flatMap((s) =>
          intersect([{ start: s.start, end: s.end! }], pot).map((i) => ({ ...s, ...i })),
        );
        const runningOutside = subtract([TIMELINE], pot).map(
          (i): StateInterval => ({ state: 'running', ...i }),
        );
        const states = [...insideShifts, ...runningOutside].sort((a, b) => a.start - b.start);
        expect(rowsOf({ ...f, states }, TIMELINE)).toEqual(rowsOf(f, TIMELINE));
      }),
      RUNS,
    );
  });

  it('has no rows at all without shifts', () => {
    fc.assert(
      fc.property(facts, (f) => {
        expect(rowsOf({ ...f, shifts: [] }, TIMELINE)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('counts a gap in the state stream exactly like a stop: as unplanned downtime', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const withoutStops = f.states.filter((s) => s.state !== 'stopped');
        expect(rowsOf({ ...f, states: withoutStops }, TIMELINE)).toEqual(rowsOf(f, TIMELINE));
        const stateless = rowsOf({ ...f, states: [] }, TIMELINE);
        expect(stateless.filter((row) => row.apt + row.pdot !== 0 || adot(row) !== row.pot)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('counts running time within POT as APT and planned stops within POT as PDOT', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const pot = plannedOperationTime(f.shifts, TIMELINE, f.now);
        const closed = closedAtNow(f.states, f.now);
        const timeIn = (kind: StateInterval['state']) =>
          totalLength(
            intersect(
              closed.filter((s) => s.state === kind).map((s) => ({ start: s.start, end: s.end! })),
              pot,
            ),
          );
        const total = sumComponents(rowsOf(f, TIMELINE));
        expect(total.apt).toBe(timeIn('running'));
        expect(total.pdot).toBe(timeIn('planned_stop'));
      }),
      RUNS,
    );
  });
});
