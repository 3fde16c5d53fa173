import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clip,
  clipCanonical,
  containsInstant,
  type Interval,
  intersect,
  normalize,
  overlaps,
  subtract,
  totalLength,
  union,
} from '../src/index.js';

const RUNS = { numRuns: 150 };

/** Small integer domain: a set is determined by which unit cells [t, t + 1) it covers. */
const DOMAIN = 40;
const anyInterval: fc.Arbitrary<Interval> = fc
  .tuple(fc.integer({ min: 0, max: DOMAIN }), fc.integer({ min: 0, max: DOMAIN }))
  .map(([start, end]) => ({ start, end }));
const anySet = fc.array(anyInterval, { maxLength: 6 });

const cells = (set: readonly Interval[]): number[] =>
  Array.from({ length: DOMAIN }, (_, t) => t).filter((t) => set.some((i) => i.start <= t && t < i.end));

const isCanonical = (set: readonly Interval[]): boolean =>
  set.every((i, k) => i.start < i.end && (k === 0 || set[k - 1]!.end < i.start));

describe('interval sets', () => {
  it('normalizes to sorted, disjoint, non-adjacent, non-empty intervals', () => {
    expect(
      normalize([
        { start: 5, end: 7 },
        { start: 1, end: 3 },
        { start: 3, end: 4 },
        { start: 9, end: 9 },
        { start: 6, end: 8 },
      ]),
    ).toEqual([
      { start: 1, end: 4 },
      { start: 5, end: 8 },
    ]);
  });

  it('treats intervals as half-open: touching intervals do not overlap', () => {
    expect(overlaps({ start: 0, end: 5 }, { start: 5, end: 9 })).toBe(false);
    expect(overlaps({ start: 0, end: 6 }, { start: 5, end: 9 })).toBe(true);
    expect(overlaps({ start: 3, end: 3 }, { start: 0, end: 9 })).toBe(false);
    expect(containsInstant([{ start: 0, end: 5 }], 5)).toBe(false);
    expect(containsInstant([{ start: 0, end: 5 }], 4)).toBe(true);
  });

  it('subtracts and clips', () => {
    expect(
      subtract(
        [{ start: 0, end: 10 }],
        [
          { start: 2, end: 3 },
          { start: 5, end: 12 },
        ],
      ),
    ).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 5 },
    ]);
    expect(
      clip(
        [
          { start: 0, end: 10 },
          { start: 20, end: 30 },
        ],
        { start: 5, end: 25 },
      ),
    ).toEqual([
      { start: 5, end: 10 },
      { start: 20, end: 25 },
    ]);
  });

  it('computes every operation as the point-set model does, in canonical form', () => {
    fc.assert(
      fc.property(anySet, anySet, (a, b) => {
        const inA = new Set(cells(a));
        const inB = new Set(cells(b));
        expect([union(a, b), intersect(a, b), subtract(a, b), normalize(a)].every(isCanonical)).toBe(true);
        expect(cells(union(a, b))).toEqual(cells([...a, ...b]));
        expect(cells(intersect(a, b))).toEqual([...inA].filter((t) => inB.has(t)));
        expect(cells(subtract(a, b))).toEqual([...inA].filter((t) => !inB.has(t)));
        expect(totalLength(a)).toBe(inA.size);
        const instants = Array.from({ length: DOMAIN }, (_, t) => t);
        expect(instants.filter((t) => containsInstant(a, t))).toEqual([...inA]);
      }),
      RUNS,
    );
  });

  it('makes union commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(anySet, anySet, anySet, (a, b, c) => {
        expect(union(a, b)).toEqual(union(b, a));
        expect(union(union(a, b), c)).toEqual(union(a, union(b, c)));
        expect(union(a, a)).toEqual(normalize(a));
        expect(intersect(a, b)).toEqual(intersect(b, a));
      }),
      RUNS,
    );
  });

  it('satisfies |A ∪ B| = |A| + |B| − |A ∩ B|', () => {
    fc.assert(
      fc.property(anySet, anySet, (a, b) => {
        expect(totalLength(union(a, b))).toBe(totalLength(a) + totalLength(b) - totalLength(intersect(a, b)));
      }),
      RUNS,
    );
  });

  it('splits A into A − B and A ∩ B, and (A − B) ∪ B covers A', () => {
    fc.assert(
      fc.property(anySet, anySet, (a, b) => {
        expect(intersect(subtract(a, b), b)).toEqual([]);
        expect(union(subtract(a, b), intersect(a, b))).toEqual(normalize(a));
        expect(subtract(a, union(subtract(a, b), b))).toEqual([]);
      }),
      RUNS,
    );
  });

  it('clips to a window as intersecting with it does', () => {
    fc.assert(
      fc.property(anySet, anyInterval, (a, window) => {
        const clipped = clip(a, window);
        expect(clipped).toEqual(intersect(a, [window]));
        expect(clipCanonical(normalize(a), window)).toEqual(clipped);
        expect(clipped.every((i) => i.start >= window.start && i.end <= window.end)).toBe(true);
      }),
      RUNS,
    );
  });
});
