/** A half-open span of time `[start, end)` in integer epoch milliseconds. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

/**
 * A set of instants in canonical form: sorted, non-empty, pairwise disjoint and non-adjacent intervals.
 * Every function here accepts intervals in any order and returns the canonical form.
 */
export type IntervalSet = readonly Interval[];

export const interval = (start: number, end: number): Interval => ({ start, end });

export const isEmpty = (i: Interval): boolean => i.end <= i.start;

export const durationOf = (i: Interval): number => Math.max(0, i.end - i.start);

function isCanonical(intervals: readonly Interval[]): boolean {
  for (let k = 0; k < intervals.length; k++) {
    const current = intervals[k]!;
    if (isEmpty(current)) return false;
    const previous = intervals[k - 1];
    if (previous !== undefined && current.start <= previous.end) return false;
  }
  return true;
}

export function normalize(intervals: Iterable<Interval>): IntervalSet {
  const given = [...intervals];
  if (isCanonical(given)) return given;
  const sorted = given.filter((i) => !isEmpty(i)).sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && next.start <= last.end) {
      if (next.end > last.end) merged[merged.length - 1] = { start: last.start, end: next.end };
    } else {
      merged.push({ start: next.start, end: next.end });
    }
  }
  return merged;
}

export const union = (a: readonly Interval[], b: readonly Interval[]): IntervalSet => normalize([...a, ...b]);

export function intersect(a: readonly Interval[], b: readonly Interval[]): IntervalSet {
  const left = normalize(a);
  const right = normalize(b);
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const x = left[i]!;
    const y = right[j]!;
    const start = Math.max(x.start, y.start);
    const end = Math.min(x.end, y.end);
    if (start < end) out.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return out;
}

/** The instants of `a` that are not in `b`. */
export function subtract(a: readonly Interval[], b: readonly Interval[]): IntervalSet {
  const removed = normalize(b);
  const out: Interval[] = [];
  let j = 0;
  for (const x of normalize(a)) {
    let cursor = x.start;
    // `removed` is sorted, so intervals ending before `x` can never cut a later `x` either.
    while (j < removed.length && removed[j]!.end <= cursor) j++;
    let k = j;
    while (k < removed.length && removed[k]!.start < x.end) {
      const cut = removed[k]!;
      if (cut.start > cursor) out.push({ start: cursor, end: cut.start });
      cursor = Math.max(cursor, cut.end);
      k++;
    }
    if (cursor < x.end) out.push({ start: cursor, end: x.end });
  }
  return out;
}

export const clip = (set: readonly Interval[], window: Interval): IntervalSet => intersect(set, [window]);

/** `clip` for a set already in canonical form, in O(log n + k) rather than O(n): for loops over many buckets. */
export function clipCanonical(set: IntervalSet, window: Interval): IntervalSet {
  let low = 0;
  let high = set.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (set[middle]!.end <= window.start) low = middle + 1;
    else high = middle;
  }
  const out: Interval[] = [];
  for (let k = low; k < set.length && set[k]!.start < window.end; k++) {
    const start = Math.max(set[k]!.start, window.start);
    const end = Math.min(set[k]!.end, window.end);
    if (start < end) out.push({ start, end });
  }
  return out;
}

/** Length of the union, so overlapping inputs are not counted twice. */
export function totalLength(set: readonly Interval[]): number {
  let total = 0;
  for (const i of normalize(set)) total += i.end - i.start;
  return total;
}

export const overlaps = (a: Interval, b: Interval): boolean =>
  !isEmpty(a) && !isEmpty(b) && a.start < b.end && b.start < a.end;

export function containsInstant(set: readonly Interval[], instant: number): boolean {
  const canonical = normalize(set);
  let low = 0;
  let high = canonical.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const candidate = canonical[middle]!;
    if (instant < candidate.start) high = middle - 1;
    else if (instant >= candidate.end) low = middle + 1;
    else return true;
  }
  return false;
}
