import {
  BUCKET_MS,
  bucketOf,
  type ComponentRow,
  computeComponentsForWindow,
  type EquipmentState,
  type Interval,
  intersect,
  normalize,
  type ProductionRecord,
  type Shift,
  shiftOwnership,
  subtract,
} from '@takt/domain';

export interface StateFact {
  readonly state: EquipmentState | string;
  readonly reasonId: string;
  readonly start: number;
  readonly end: number | null;
}

export interface EquipmentInput {
  readonly shifts: readonly Shift[];
  readonly states: readonly StateFact[];
  readonly production: readonly ProductionRecord[];
  readonly now: number;
}

export interface DowntimeRow {
  readonly bucketStart: number;
  readonly shiftId: string;
  readonly reasonId: string;
  readonly planned: boolean;
  readonly durationMs: number;
  readonly occurrences: number;
}

const KNOWN: ReadonlySet<string> = new Set(['running', 'stopped', 'planned_stop']);

/** The OEE component rows of every bucket in `range` (bucket-aligned), exactly as @takt/domain defines them. */
export function oeeRows(input: EquipmentInput, range: Interval): ComponentRow[] {
  return computeComponentsForWindow({
    shifts: input.shifts,
    // A state this code does not know is no production time: it stays out, so its time is a gap (a loss).
    states: input.states
      .filter((s) => KNOWN.has(s.state))
      .map((s) => ({ state: s.state as EquipmentState, start: s.start, end: s.end })),
    production: input.production,
    now: input.now,
    window: range,
  }).filter((row) => row.bucketStart >= range.start && row.bucketStart < range.end);
}

interface Downtime {
  readonly span: Interval;
  readonly reasonId: string;
  readonly planned: boolean;
}

/**
 * The downtime inside POT, per bucket, shift and reason: planned_stop is planned, stopped and gaps in
 * the state stream are unplanned (docs/oee.md §13). States end at the next state's start, as in the domain.
 * An occurrence is a maximal piece of one downtime interval inside one shift's POT, counted in the
 * bucket where that piece starts. `input.states` must hold every state overlapping the range and the
 * instant before it: earlier states only move the start of a piece that begins before the range.
 */
export function downtimeRows(input: EquipmentInput, range: Interval): DowntimeRow[] {
  const ordered = input.states
    .filter((s) => KNOWN.has(s.state))
    .sort((a, b) => a.start - b.start || (a.end ?? input.now) - (b.end ?? input.now));
  const effective = ordered.map((s, k) => ({
    ...s,
    end: Math.min(s.end ?? input.now, ordered[k + 1]?.start ?? Number.POSITIVE_INFINITY),
  }));
  const covered = normalize(effective.map((s) => ({ start: s.start, end: s.end })));
  const horizon = { start: Number.NEGATIVE_INFINITY, end: input.now };
  const rows = new Map<string, { row: DowntimeRow; duration: number; occurrences: number }>();
  const add = (bucketStart: number, shiftId: string, d: Downtime, duration: number, starts: number) => {
    const key = `${bucketStart}|${shiftId}|${d.reasonId}|${d.planned ? 1 : 0}`;
    const entry = rows.get(key);
    if (entry) {
      entry.duration += duration;
      entry.occurrences += starts;
    } else {
      rows.set(key, {
        row: {
          bucketStart,
          shiftId,
          reasonId: d.reasonId,
          planned: d.planned,
          durationMs: 0,
          occurrences: 0,
        },
        duration,
        occurrences: starts,
      });
    }
  };
  for (const { shift, owned } of shiftOwnership(input.shifts)) {
    const pot = intersect(owned, [horizon]);
    if (pot.length === 0) continue;
    const downtime: Downtime[] = [
      ...effective
        .filter((s) => s.state === 'stopped' || s.state === 'planned_stop')
        .map((s) => ({
          span: { start: s.start, end: s.end },
          reasonId: s.reasonId,
          planned: s.state === 'planned_stop',
        })),
      ...subtract(pot, covered).map((span) => ({ span, reasonId: '', planned: false })),
    ];
    for (const d of downtime) {
      for (const piece of intersect(pot, [d.span])) {
        for (let b = bucketOf(piece.start); b < piece.end; b += BUCKET_MS) {
          if (b < range.start || b >= range.end) continue;
          const inBucket = Math.min(piece.end, b + BUCKET_MS) - Math.max(piece.start, b);
          add(b, shift.id, d, inBucket, bucketOf(piece.start) === b ? 1 : 0);
        }
      }
    }
  }
  return [...rows.values()]
    .map(({ row, duration, occurrences }) => ({ ...row, durationMs: duration, occurrences }))
    .filter((r) => r.durationMs > 0)
    .sort(
      (a, b) =>
        a.bucketStart - b.bucketStart ||
        cmp(a.shiftId, b.shiftId) ||
        cmp(a.reasonId, b.reasonId) ||
        Number(a.planned) - Number(b.planned),
    );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
