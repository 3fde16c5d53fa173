import { type CalendarGranularity, calendarBuckets, shiftBuckets } from './buckets.js';
import type { Shift } from './facts.js';
import type { Interval } from './interval.js';
import type { Components } from './oee.js';
import { sumComponents } from './ratios.js';

/** Anything with components and a start: 15-minute component rows, or rows of an earlier roll-up. */
export interface RollupInput extends Components {
  readonly bucketStart: number;
  readonly shiftId?: string;
}

export interface ShiftInstance {
  readonly id: string;
  readonly name: string;
  /** The shift's own times, unclipped. */
  readonly start: number;
  readonly end: number;
}

export interface RollupRow extends Components {
  /** Bucket bounds clipped to the window. */
  readonly bucketStart: number;
  readonly bucketEnd: number;
  readonly shift?: ShiftInstance;
}

export type RollupRequest =
  | { readonly window: Interval; readonly granularity: CalendarGranularity; readonly timeZone: string }
  | {
      readonly window: Interval;
      readonly granularity: 'shift';
      /** Every shift that applies to the scope, including the equipment's own shifts at line and site scope. */
      readonly shifts: readonly Shift[];
    };

const inside = (window: Interval, instant: number): boolean =>
  instant >= window.start && instant < window.end;

/** Index of the last bucket starting at or before `instant`; buckets are sorted and contiguous. */
function bucketIndexOf(buckets: readonly Interval[], instant: number): number {
  let low = 0;
  let high = buckets.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (buckets[middle]!.start <= instant) low = middle;
    else high = middle - 1;
  }
  return low;
}

/**
 * Dense roll-up: one row per bucket of the window (zeros where nothing happened), or with `shift` one row per
 * shift instance overlapping the window. Rows are summed components, so rolling up a roll-up gives the same
 * numbers as rolling up the 15-minute rows directly, as long as the finer buckets nest in the coarser ones.
 * Input rows starting outside the window are ignored; a row belongs to the bucket its start lies in.
 */
export function rollup(rows: Iterable<RollupInput>, request: RollupRequest): RollupRow[] {
  const { window } = request;
  if (request.granularity === 'shift') {
    const byShift = new Map<string, RollupInput[]>();
    for (const row of rows) {
      if (row.shiftId === undefined || !inside(window, row.bucketStart)) continue;
      const members = byShift.get(row.shiftId);
      if (members === undefined) byShift.set(row.shiftId, [row]);
      else members.push(row);
    }
    return shiftBuckets(window, request.shifts).map(({ shift, start, end }) => ({
      bucketStart: start,
      bucketEnd: end,
      shift: { id: shift.id, name: shift.name, start: shift.start, end: shift.end },
      ...sumComponents(byShift.get(shift.id) ?? []),
    }));
  }
  const buckets = calendarBuckets(window, request.granularity, request.timeZone);
  const members: RollupInput[][] = buckets.map(() => []);
  for (const row of rows) {
    if (!inside(window, row.bucketStart)) continue;
    members[bucketIndexOf(buckets, row.bucketStart)]!.push(row);
  }
  return buckets.map((bucket, k) => ({
    bucketStart: bucket.start,
    bucketEnd: bucket.end,
    ...sumComponents(members[k]!),
  }));
}
