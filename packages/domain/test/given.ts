import { expect } from 'vitest';
import {
  adot,
  type ComponentRow,
  type Components,
  computeComponentsForWindow,
  type ProductionRecord,
  pbt,
  type Ratios,
  ratios,
  type Shift,
  type ShiftOwner,
  type StateInterval,
  sumComponents,
} from '../src/index.js';

/** A Monday, far from any DST change: `at('06:00')` is 06:00 UTC on it. */
const BASE_DAY = '2026-01-05';

/** `'06:00'` on the base day, `'+1 06:00'` the day after, a full ISO string, or epoch milliseconds. */
export type Time = string | number;

export function at(time: Time): number {
  if (typeof time === 'number') return time;
  const nextDay = /^\+(\d+) (\d\d:\d\d(?::\d\d(?:\.\d{3})?)?)$/.exec(time);
  if (nextDay !== null) return Date.parse(`${BASE_DAY}T${nextDay[2]}Z`) + Number(nextDay[1]) * HOUR_MS * 24;
  if (/^\d\d:\d\d/.test(time)) return Date.parse(`${BASE_DAY}T${time}Z`);
  const parsed = Date.parse(time);
  if (Number.isNaN(parsed)) throw new Error(`not a time: ${time}`);
  return parsed;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const minutes = (n: number): number => n * MINUTE_MS;
export const hours = (n: number): number => n * HOUR_MS;

export const lineShift = (id: string, start: Time, end: Time): Shift => shift(id, 'line', start, end);
export const equipmentShift = (id: string, start: Time, end: Time): Shift =>
  shift(id, 'equipment', start, end);
const shift = (id: string, owner: ShiftOwner, start: Time, end: Time): Shift => ({
  id,
  name: `shift ${id}`,
  owner,
  start: at(start),
  end: at(end),
});

export const running = (start: Time, end: Time | null): StateInterval => state('running', start, end);
export const stopped = (start: Time, end: Time | null): StateInterval => state('stopped', start, end);
export const plannedStop = (start: Time, end: Time | null): StateInterval =>
  state('planned_stop', start, end);
const state = (kind: StateInterval['state'], start: Time, end: Time | null): StateInterval => ({
  state: kind,
  start: at(start),
  end: end === null ? null : at(end),
});

export function produced(
  start: Time,
  end: Time,
  counts: { total: number; good?: number; scrap?: number; rework?: number; idealCycleTimeS?: number },
): ProductionRecord {
  return {
    start: at(start),
    end: at(end),
    total: counts.total,
    good: counts.good ?? counts.total - (counts.scrap ?? 0) - (counts.rework ?? 0),
    scrap: counts.scrap ?? 0,
    rework: counts.rework ?? 0,
    idealCycleTimeMs: (counts.idealCycleTimeS ?? 1) * 1_000,
  };
}

/** Components plus the derived PBT and ADOT, so a test can state any of them. */
export type Expected = Partial<Components & { pbt: number; adot: number }>;

const withDerived = (c: Components) => ({ ...c, pbt: pbt(c), adot: adot(c) });

function pick<T extends object>(actual: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(actual).filter(([key]) => keys.includes(key))) as Partial<T>;
}

class Outcome {
  constructor(readonly rows: readonly ComponentRow[]) {}

  get total(): Components {
    return sumComponents(this.rows);
  }

  // biome-ignore lint/suspicious/noThenProperty: the Given/When/Then vocabulary; an Outcome is never awaited.
  then(expected: Expected): this {
    expect(pick(withDerived(this.total), Object.keys(expected))).toEqual(expected);
    return this;
  }

  /** Summed per shift: a shift absent from `expected` must have no rows at all. */
  perShift(expected: Record<string, Expected>): this {
    const byShift: Record<string, Expected> = {};
    for (const id of new Set(this.rows.map((row) => row.shiftId))) {
      const total = withDerived(sumComponents(this.rows.filter((row) => row.shiftId === id)));
      byShift[id] = pick(total, Object.keys(expected[id] ?? {}));
    }
    expect(byShift).toEqual(expected);
    return this;
  }

  ratios(expected: Partial<Ratios>): this {
    const actual = ratios(this.total);
    expect(pick(actual, Object.keys(expected))).toEqual(expected);
    return this;
  }

  /** Bucket starts that have rows, as `'HH:MM'` on the base day. */
  buckets(expected: readonly string[]): this {
    const starts = [
      ...new Set(this.rows.map((row) => new Date(row.bucketStart).toISOString().slice(11, 16))),
    ];
    expect(starts).toEqual(expected);
    return this;
  }
}

interface Facts {
  readonly shifts?: readonly Shift[];
  readonly states?: readonly StateInterval[];
  readonly production?: readonly ProductionRecord[];
}

export function given(facts: Facts) {
  return {
    when({ window, now }: { window: readonly [Time, Time]; now: Time }): Outcome {
      return new Outcome(
        computeComponentsForWindow({
          shifts: facts.shifts ?? [],
          states: facts.states ?? [],
          production: facts.production ?? [],
          window: { start: at(window[0]), end: at(window[1]) },
          now: at(now),
        }),
      );
    },
  };
}
