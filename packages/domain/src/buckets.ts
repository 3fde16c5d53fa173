import type { Shift } from './facts.js';
import type { Interval } from './interval.js';
import { type OffsetSegment, offsetSegments } from './time-zone.js';

/** Components are stored per 15-minute UTC bucket: every site offset is a multiple of 15 minutes. */
export const BUCKET_MS = 900_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export const GRANULARITIES = ['15m', 'hour', 'shift', 'day', 'week', 'month', 'total'] as const;
export type Granularity = (typeof GRANULARITIES)[number];
/** The granularities whose buckets come from the clock; `shift` buckets come from the shifts. */
export type CalendarGranularity = Exclude<Granularity, 'shift'>;

export const bucketOf = (instant: number): number => Math.floor(instant / BUCKET_MS) * BUCKET_MS;

export const isBucketBoundary = (instant: number): boolean => bucketOf(instant) === instant;

/** The smallest run of whole buckets that covers `interval`: what a change to it marks dirty. */
export function bucketCover(interval: Interval): Interval {
  if (interval.end <= interval.start)
    return { start: bucketOf(interval.start), end: bucketOf(interval.start) };
  return { start: bucketOf(interval.start), end: bucketOf(interval.end - 1) + BUCKET_MS };
}

/** Start of every bucket that shares at least one instant with `interval`. */
export function bucketsTouched(interval: Interval): number[] {
  const cover = bucketCover(interval);
  const starts: number[] = [];
  for (let start = cover.start; start < cover.end; start += BUCKET_MS) starts.push(start);
  return starts;
}

type CalendarUnit = 'hour' | 'day' | 'week' | 'month';

/**
 * Unit arithmetic on local wall-clock time, written as if it were a UTC instant
 * (local 2026-03-29 03:00 in Berlin is `Date.UTC(2026, 2, 29, 3)`).
 */
function unitStartAtOrAfter(unit: CalendarUnit, wallClock: number): number {
  switch (unit) {
    case 'hour':
      return Math.ceil(wallClock / HOUR_MS) * HOUR_MS;
    case 'day':
      return Math.ceil(wallClock / DAY_MS) * DAY_MS;
    case 'week': {
      const day = Math.ceil(wallClock / DAY_MS);
      // 1970-01-01 was a Thursday, so (day + 3) mod 7 counts days since Monday.
      const sinceMonday = (((day + 3) % 7) + 7) % 7;
      return (sinceMonday === 0 ? day : day + 7 - sinceMonday) * DAY_MS;
    }
    case 'month': {
      const date = new Date(wallClock);
      const first = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
      return first >= wallClock ? first : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
    default:
      return assertNever(unit);
  }
}

function unitAfter(unit: CalendarUnit, unitStart: number): number {
  switch (unit) {
    case 'hour':
      return unitStart + HOUR_MS;
    case 'day':
      return unitStart + DAY_MS;
    case 'week':
      return unitStart + 7 * DAY_MS;
    case 'month': {
      const date = new Date(unitStart);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
    }
    default:
      return assertNever(unit);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

/**
 * Hours are the clock's hours: one starts wherever the wall clock reads hh:00, or jumps forward over it.
 * A 25-hour day has 25 hour buckets (02:00 CEST and 02:00 CET are two buckets), a 23-hour day 23.
 */
function clockHourStarts(segments: readonly OffsetSegment[]): number[] {
  const starts: number[] = [];
  let previous: OffsetSegment | undefined;
  for (const segment of segments) {
    const wallStart = segment.start + segment.offsetMs;
    if (
      previous !== undefined &&
      segment.offsetMs > previous.offsetMs &&
      unitStartAtOrAfter('hour', segment.start + previous.offsetMs) <= wallStart
    ) {
      starts.push(segment.start);
    }
    const wallEnd = segment.end + segment.offsetMs;
    for (let wall = unitStartAtOrAfter('hour', wallStart); wall < wallEnd; wall += HOUR_MS) {
      pushIncreasing(starts, wall - segment.offsetMs);
    }
    previous = segment;
  }
  return starts;
}

/**
 * Days, weeks and months start the first time the wall clock reaches them, so a wall-clock hour repeated
 * by a backward jump stays in the day it began in (America/Asuncion's 25-hour days), and a day skipped by a
 * forward jump has no bucket (Pacific/Apia, 2011-12-30).
 */
function firstReachedStarts(segments: readonly OffsetSegment[], unit: CalendarUnit): number[] {
  const starts: number[] = [];
  const first = segments[0];
  if (first === undefined) return starts;
  // Wall-clock times below `reached` have already been shown by the clock.
  let reached = first.start + first.offsetMs;
  for (const segment of segments) {
    const wallStart = segment.start + segment.offsetMs;
    const wallEnd = segment.end + segment.offsetMs;
    if (unitStartAtOrAfter(unit, reached) < wallStart) pushIncreasing(starts, segment.start);
    for (let wall = unitStartAtOrAfter(unit, Math.max(reached, wallStart)); wall < wallEnd; ) {
      pushIncreasing(starts, wall - segment.offsetMs);
      wall = unitAfter(unit, wall);
    }
    reached = Math.max(reached, wallEnd);
  }
  return starts;
}

function pushIncreasing(values: number[], value: number): void {
  const last = values[values.length - 1];
  if (last === undefined || value > last) values.push(value);
}

/** Enough history for the first-reached rule to see every backward clock jump (at most a few hours). */
const LOOK_BEHIND_MS = 2 * DAY_MS;

function localUnitStarts(window: Interval, unit: CalendarUnit, timeZone: string): number[] {
  const segments = offsetSegments(timeZone, { start: window.start - LOOK_BEHIND_MS, end: window.end });
  const starts = unit === 'hour' ? clockHourStarts(segments) : firstReachedStarts(segments, unit);
  return starts.filter((start) => start > window.start && start < window.end);
}

function boundariesInside(window: Interval, granularity: CalendarGranularity, timeZone: string): number[] {
  switch (granularity) {
    case '15m': {
      const boundaries: number[] = [];
      for (let b = bucketOf(window.start) + BUCKET_MS; b < window.end; b += BUCKET_MS) boundaries.push(b);
      return boundaries;
    }
    case 'hour':
    case 'day':
    case 'week':
    case 'month':
      return localUnitStarts(window, granularity, timeZone);
    case 'total':
      return [];
    default:
      return assertNever(granularity);
  }
}

/**
 * The buckets of `granularity` in the site's time zone that cover `window`, in order, clipped to it.
 * `15m` buckets are UTC everywhere; hour, day, week (ISO, from Monday) and month follow local time.
 */
export function calendarBuckets(
  window: Interval,
  granularity: CalendarGranularity,
  timeZone: string,
): Interval[] {
  if (window.end <= window.start) return [];
  const buckets: Interval[] = [];
  let start = window.start;
  for (const boundary of boundariesInside(window, granularity, timeZone)) {
    buckets.push({ start, end: boundary });
    start = boundary;
  }
  buckets.push({ start, end: window.end });
  return buckets;
}

export interface ShiftBucket extends Interval {
  readonly shift: Shift;
}

/** One bucket per shift instance that overlaps `window`, bounded by the shift clipped to the window. */
export function shiftBuckets(window: Interval, shifts: readonly Shift[]): ShiftBucket[] {
  const seen = new Set<string>();
  const buckets: ShiftBucket[] = [];
  for (const shift of shifts) {
    if (seen.has(shift.id)) continue;
    seen.add(shift.id);
    const start = Math.max(shift.start, window.start);
    const end = Math.min(shift.end, window.end);
    if (start < end) buckets.push({ shift, start, end });
  }
  return buckets.sort(
    (a, b) =>
      a.start - b.start ||
      a.shift.start - b.shift.start ||
      (a.shift.id < b.shift.id ? -1 : a.shift.id > b.shift.id ? 1 : 0),
  );
}

/** The largest query window per granularity (docs/oee.md §10), in elapsed days; 10 years is 3,660 days. */
export function maxWindowDays(granularity: Granularity): number {
  switch (granularity) {
    case '15m':
      return 7;
    case 'hour':
      return 62;
    case 'shift':
    case 'day':
      return 400;
    case 'week':
    case 'month':
    case 'total':
      return 3_660;
    default:
      return assertNever(granularity);
  }
}

export const maxWindowMs = (granularity: Granularity): number => maxWindowDays(granularity) * DAY_MS;

export type WindowCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly problem: 'not-on-bucket-boundary'; readonly field: 'from' | 'to' }
  | { readonly ok: false; readonly problem: 'empty' }
  | { readonly ok: false; readonly problem: 'too-long'; readonly limitDays: number };

/** The API's rules for a query window: both ends on 15-minute boundaries, `from < to`, within the limit. */
export function checkWindow(window: Interval, granularity: Granularity): WindowCheck {
  if (!isBucketBoundary(window.start)) return { ok: false, problem: 'not-on-bucket-boundary', field: 'from' };
  if (!isBucketBoundary(window.end)) return { ok: false, problem: 'not-on-bucket-boundary', field: 'to' };
  if (window.end <= window.start) return { ok: false, problem: 'empty' };
  if (window.end - window.start > maxWindowMs(granularity)) {
    return { ok: false, problem: 'too-long', limitDays: maxWindowDays(granularity) };
  }
  return { ok: true };
}
