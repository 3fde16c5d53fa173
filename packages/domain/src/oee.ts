import { BUCKET_MS, bucketCover, bucketOf, bucketsTouched } from './buckets.js';
import type { ProductionRecord, Shift, StateInterval } from './facts.js';
import {
  clipCanonical,
  containsInstant,
  type Interval,
  type IntervalSet,
  intersect,
  normalize,
  subtract,
  totalLength,
  union,
} from './interval.js';

/**
 * What the projector stores per (tenant, equipment, 15-minute UTC bucket, shift), docs/oee.md §8.
 * Durations in milliseconds; PBT and ADOT are derived (see ratios.ts), never stored.
 */
export interface Components {
  /** POT: planned operation time, the shift time within the bucket, up to now. */
  readonly pot: number;
  /** PDOT: planned downtime, `planned_stop` within POT. */
  readonly pdot: number;
  /** APT: actual production time, `running` within POT. */
  readonly apt: number;
  /** PQ: produced quantity. */
  readonly pq: number;
  /** GQ: good quantity. */
  readonly gq: number;
  /** SQ: scrap quantity. */
  readonly sq: number;
  /** RQ: rework quantity. */
  readonly rq: number;
  /** Ideal time Σ PRI × PQ, in milliseconds. */
  readonly ideal: number;
}

export const ZERO_COMPONENTS: Components = { pot: 0, pdot: 0, apt: 0, pq: 0, gq: 0, sq: 0, rq: 0, ideal: 0 };

/**
 * One stored row. Outside every shift there is no POT and nothing counts, so a row always names its shift,
 * and rows exist only where POT > 0: a counted record's last instant lies in POT, so its row has POT too.
 * A (bucket, shift) pair without a row has all-zero components.
 */
export interface ComponentRow extends Components {
  readonly bucketStart: number;
  readonly shiftId: string;
}

export interface OwnedShift {
  readonly shift: Shift;
  /** The part of the shift's time that is its own: disjoint from every other shift's. */
  readonly owned: IntervalSet;
}

const ownerRank = (shift: Shift): number => (shift.owner === 'equipment' ? 0 : 1);
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * POT is the union of the shifts; where shifts overlap, the equipment's own shift owns the overlap.
 * Shifts of one owner never overlap (an EXCLUDE constraint), but if they did the earlier one keeps the time,
 * so no instant is ever counted twice.
 */
export function shiftOwnership(shifts: readonly Shift[]): OwnedShift[] {
  const ordered = [...shifts].sort(
    (a, b) => ownerRank(a) - ownerRank(b) || a.start - b.start || a.end - b.end || compareIds(a.id, b.id),
  );
  let claimed: IntervalSet = [];
  const owned: OwnedShift[] = [];
  for (const shift of ordered) {
    const own = subtract([shift], claimed);
    claimed = union(claimed, own);
    owned.push({ shift, owned: own });
  }
  return owned;
}

/** POT within `window`, clipped at `now`: the union of the shifts that apply to the equipment. */
export function plannedOperationTime(shifts: readonly Shift[], window: Interval, now: number): IntervalSet {
  return intersect(shifts, [{ start: window.start, end: Math.min(window.end, now) }]);
}

interface StateTime {
  readonly running: IntervalSet;
  readonly plannedStop: IntervalSet;
}

/**
 * An open state extends to `now`. A state also ends where the next one starts, as ingest closes an open
 * state when a new one arrives; a mirror that has the new state but not yet the closing update stays exact.
 */
function stateTime(states: readonly StateInterval[], now: number): StateTime {
  const ordered = [...states].sort(
    (a, b) => a.start - b.start || (a.end ?? now) - (b.end ?? now) || compareIds(a.state, b.state),
  );
  const running: Interval[] = [];
  const plannedStop: Interval[] = [];
  ordered.forEach((state, k) => {
    const end = Math.min(state.end ?? now, ordered[k + 1]?.start ?? Number.POSITIVE_INFINITY);
    const span = { start: state.start, end };
    if (state.state === 'running') running.push(span);
    else if (state.state === 'planned_stop') plannedStop.push(span);
    // `stopped` needs no set: ADOT is whatever of PBT is not running, stopped and unknown alike.
  });
  return { running: normalize(running), plannedStop: normalize(plannedStop) };
}

/** The instant a production record is attributed by: its last one. */
export const lastInstantOf = (record: ProductionRecord): number => record.end - 1;

interface Facts {
  readonly shifts: readonly OwnedShift[];
  readonly states: StateTime;
  readonly now: number;
}

function factsOf(input: EquipmentFacts): Facts {
  return { shifts: shiftOwnership(input.shifts), states: stateTime(input.states, input.now), now: input.now };
}

function rowsOfBucket(
  facts: Facts,
  bucket: Interval,
  shifts: readonly OwnedShift[],
  production: readonly ProductionRecord[],
): ComponentRow[] {
  const upToNow = { start: bucket.start, end: Math.min(bucket.end, facts.now) };
  if (upToNow.end <= upToNow.start) return [];
  const running = clipCanonical(facts.states.running, upToNow);
  const plannedStop = clipCanonical(facts.states.plannedStop, upToNow);
  const rows: ComponentRow[] = [];
  for (const { shift, owned } of shifts) {
    const pot = clipCanonical(owned, upToNow);
    const potMs = totalLength(pot);
    if (potMs === 0) continue;
    let pq = 0;
    let gq = 0;
    let sq = 0;
    let rq = 0;
    let ideal = 0;
    for (const record of production) {
      if (!containsInstant(pot, lastInstantOf(record))) continue;
      pq += record.total;
      gq += record.good;
      sq += record.scrap;
      rq += record.rework;
      ideal += record.idealCycleTimeMs * record.total;
    }
    rows.push({
      bucketStart: bucket.start,
      shiftId: shift.id,
      pot: potMs,
      pdot: totalLength(intersect(pot, plannedStop)),
      apt: totalLength(intersect(pot, running)),
      pq,
      gq,
      sq,
      rq,
      ideal,
    });
  }
  return rows.sort((a, b) => compareIds(a.shiftId, b.shiftId));
}

export interface EquipmentFacts {
  /** The shifts that apply to the equipment: its own and its line's. */
  readonly shifts: readonly Shift[];
  readonly states: readonly StateInterval[];
  readonly production: readonly ProductionRecord[];
  /** Evaluation time: nothing at or after it counts. */
  readonly now: number;
}

/**
 * The component rows of one bucket (normally a 15-minute bucket, though any interval works), one per shift.
 * Only facts that overlap the bucket matter (production: whose last instant lies in it), so the projector
 * recomputes a dirty bucket from those alone.
 */
export function computeComponents(input: EquipmentFacts & { readonly bucket: Interval }): ComponentRow[] {
  const facts = factsOf(input);
  return rowsOfBucket(facts, input.bucket, facts.shifts, input.production);
}

function groupBy<T>(items: Iterable<T>, keyOf: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * The component rows of every whole 15-minute bucket the window touches, in bucket order. Each bucket is
 * computed exactly as `computeComponents` computes it alone, so results never depend on the window.
 */
export function computeComponentsForWindow(
  input: EquipmentFacts & { readonly window: Interval },
): ComponentRow[] {
  const facts = factsOf(input);
  const cover = bucketCover(input.window);
  const horizon = { start: cover.start, end: Math.min(cover.end, input.now) };
  // Only buckets holding some shift's time can have rows, so long windows with few shifts stay cheap.
  const shiftsByBucket = groupBy(
    facts.shifts.flatMap((shift) =>
      clipCanonical(shift.owned, horizon).flatMap((part) =>
        bucketsTouched(part).map((start) => ({ start, shift })),
      ),
    ),
    (touch) => touch.start,
  );
  const productionByBucket = groupBy(input.production, (record) => bucketOf(lastInstantOf(record)));
  const rows: ComponentRow[] = [];
  for (const start of [...shiftsByBucket.keys()].sort((a, b) => a - b)) {
    const shifts = [...new Set(shiftsByBucket.get(start)!.map((touch) => touch.shift))];
    rows.push(
      ...rowsOfBucket(facts, { start, end: start + BUCKET_MS }, shifts, productionByBucket.get(start) ?? []),
    );
  }
  return rows;
}
