import type { ClickHouse } from '@takt/clickhouse';
import {
  type Granularity,
  type Interval,
  type OeeFigures,
  oeeRow,
  type RollupRow,
  rollup,
  sumComponents,
} from '@takt/domain';
import { fetchCalendarComponents, fetchComponents, fetchShifts } from './components.js';
import { iso } from './params.js';
import type { ScopeTarget } from './plant.js';

export interface OeeRowOut extends OeeFigures {
  readonly scopeId: string;
  readonly bucketStart: string;
  readonly bucketEnd: string;
  readonly shift?: { id: string; name: string; start: string; end: string };
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
 * Dense OEE rows for each target in request order, buckets in time order. ClickHouse sums the stored
 * 15-minute components per target; @takt/domain groups them into the granularity's buckets and computes
 * the ratios once, from the sums.
 */
export async function oeeRows(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  granularity: Granularity,
): Promise<OeeRowOut[]> {
  if (granularity === 'shift') {
    const [components, shifts] = await Promise.all([
      fetchComponents(clickhouse, tenantId, targets, window, 'shift'),
      fetchShifts(clickhouse, tenantId, targets, window),
    ]);
    return targets.flatMap((t, k) =>
      rollup(components[k]!, { window, granularity, shifts: shifts[k]! }).map((row) => toOut(t.scopeId, row)),
    );
  }
  if (granularity === 'total') {
    const components = await fetchComponents(clickhouse, tenantId, targets, window, 'window');
    return targets.map((t, k) =>
      toOut(t.scopeId, {
        bucketStart: window.start,
        bucketEnd: window.end,
        ...sumComponents(components[k]!),
      }),
    );
  }
  const components = await fetchCalendarComponents(clickhouse, tenantId, targets, window, granularity);
  return targets.flatMap((t, k) =>
    rollup(components[k]!, { window, granularity, timeZone: t.timeZone }).map((row) => toOut(t.scopeId, row)),
  );
}
