import type { ClickHouse } from '@takt/clickhouse';
import {
  type CalendarGranularity,
  calendarBuckets,
  type Granularity,
  type Interval,
  type OeeFigures,
  oeeRow,
  type RollupRow,
  rollup,
} from '@takt/domain';
import { fetchCalendarComponents, fetchComponents, fetchShifts } from './components.js';
import { type EquipmentSet, equipmentSet, type FragmentCache } from './fragments.js';
import { iso } from './params.js';
import type { ScopeTarget } from './plant.js';

export interface OeeRowOut extends OeeFigures {
  readonly scopeId: string;
  readonly bucketStart: string;
  readonly bucketEnd: string;
  readonly shift?: { id: string; name: string; start: string; end: string };
}

/** A calendar bucket of one target as kept between answers: its row, rendered once, without the scope id. */
export interface OeeFragment {
  readonly json: string;
}

function toOut(scopeId: string, row: RollupRow): OeeRowOut {
  return {
    scopeId,
    bucketStart: iso(row.bucketStart),
    bucketEnd: iso(row.bucketEnd),
    ...(row.shift === undefined
      ? {}
      : {
          shift: {
            id: row.shift.id,
            name: row.shift.name,
            start: iso(row.shift.start),
            end: iso(row.shift.end),
          },
        }),
    ...oeeRow(row),
  };
}

/**
 * The `/v1/oee` answer as JSON: dense rows for each target in request order, buckets in time order.
 * ClickHouse sums the stored 15-minute components per target; @takt/domain groups them into the
 * granularity's buckets and computes the ratios once, from the sums. Calendar buckets of earlier
 * answers come from `fragments` (when given), rendered, instead of from ClickHouse.
 */
export async function oeeAnswer(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  granularity: Granularity,
  fragments?: FragmentCache<OeeFragment>,
): Promise<string> {
  if (granularity === 'shift') {
    const [components, shifts] = await Promise.all([
      fetchComponents(clickhouse, tenantId, targets, window, 'shift'),
      fetchShifts(clickhouse, tenantId, targets, window),
    ]);
    const rows = targets.flatMap((t, k) =>
      rollup(components[k]!, { window, granularity, shifts: shifts[k]! }).map((row) => toOut(t.scopeId, row)),
    );
    return JSON.stringify({ rows });
  }
  const buckets = await calendarFragments(clickhouse, tenantId, targets, window, granularity, fragments);
  // Rendered rows are joined as text: at 168 rows an answer, serializing objects cost more than the rest.
  const rows = targets.flatMap((t, k) => {
    const scope = `{"scopeId":${JSON.stringify(t.scopeId)},`;
    return buckets[k]!.map((b) => scope + b.json);
  });
  return `{"rows":[${rows.join(',')}]}`;
}

/** `{"bucketStart":…,…,"oee":…}` without its opening brace: the scope id goes in front. */
const render = (row: RollupRow): OeeFragment => ({
  json: JSON.stringify({
    bucketStart: iso(row.bucketStart),
    bucketEnd: iso(row.bucketEnd),
    ...oeeRow(row),
  }).slice(1),
});

interface Pending {
  readonly index: number;
  readonly set: EquipmentSet;
  /** The target's buckets, with holes where no fragment was kept: the array in the answer, filled in place. */
  readonly buckets: (OeeFragment | undefined)[];
  readonly first: number;
  readonly last: number;
}

/** Per target, one fragment per calendar bucket of the window: kept ones, the rest read from ClickHouse. */
async function calendarFragments(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  granularity: CalendarGranularity,
  fragments: FragmentCache<OeeFragment> | undefined,
): Promise<OeeFragment[][]> {
  const bucketsOf = new Map<string, Interval[]>();
  const out: OeeFragment[][] = [];
  const pending: Pending[] = [];
  targets.forEach((t, index) => {
    let buckets = bucketsOf.get(t.timeZone);
    if (buckets === undefined) {
      buckets = calendarBuckets(window, granularity, t.timeZone);
      bucketsOf.set(t.timeZone, buckets);
    }
    const set = equipmentSet(tenantId, t.equipmentIds);
    const kept = fragments?.getAll(set, buckets) ?? buckets.map(() => undefined);
    const first = kept.indexOf(undefined);
    const last = kept.lastIndexOf(undefined);
    out.push(kept as OeeFragment[]);
    if (first >= 0) pending.push({ index, set, buckets: kept, first, last });
  });
  if (pending.length === 0) return out;

  // One read per time zone, over the span from the first to the last missing bucket of its targets:
  // the span's ends are bucket bounds, so its buckets are exactly the window's.
  const token = fragments?.begin() ?? 0;
  const byZone = new Map<string, Pending[]>();
  for (const p of pending) {
    const zone = targets[p.index]!.timeZone;
    const group = byZone.get(zone);
    if (group === undefined) byZone.set(zone, [p]);
    else group.push(p);
  }
  await Promise.all(
    [...byZone].map(async ([zone, group]) => {
      const buckets = bucketsOf.get(zone)!;
      const first = Math.min(...group.map((p) => p.first));
      const last = Math.max(...group.map((p) => p.last));
      const span = { start: buckets[first]!.start, end: buckets[last]!.end };
      const fetched = await fetchCalendarComponents(
        clickhouse,
        tenantId,
        group.map((p) => targets[p.index]!),
        span,
        granularity,
      );
      group.forEach((p, j) => {
        const read = rollup(fetched[j]!, { window: span, granularity, timeZone: zone }).map((row) => ({
          start: row.bucketStart,
          end: row.bucketEnd,
          value: render(row),
        }));
        read.forEach((f, k) => {
          p.buckets[first + k] = f.value;
        });
        fragments?.put(p.set, token, read);
      });
    }),
  );
  return out;
}
