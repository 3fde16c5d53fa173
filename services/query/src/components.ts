import { type ClickHouse, dateTime, inList, raw, type Sql, sql } from '@takt/clickhouse';
import {
  BUCKET_MS,
  type CalendarGranularity,
  calendarBuckets,
  type Interval,
  type RollupInput,
  type Shift,
} from '@takt/domain';
import type { ScopeTarget } from './plant.js';
import { int, read } from './store.js';

/** How finely ClickHouse groups before the roll-up in TS: per 15-minute bucket, per shift, or not at all. */
export type Grouping =
  | 'bucket'
  | 'shift'
  | 'window'
  | { readonly slots: readonly number[]; readonly starts: readonly number[] };

interface SumRow {
  k: string;
  b: number;
  s?: string;
  pot: string;
  pdot: string;
  apt: string;
  pq: string;
  gq: string;
  sq: string;
  rq: string;
  ideal: number;
}

/**
 * The stored components of the targets' equipment in the window, summed per target in ClickHouse: a line's
 * 15-minute row is the sum over its equipment, so the service parses one row per target and bucket instead
 * of one per equipment. Rows come back per target index, in no particular order.
 */
export async function fetchComponents(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  grouping: Grouping,
): Promise<RollupInput[][]> {
  const perTarget: RollupInput[][] = targets.map(() => []);
  const equipment: string[] = [];
  const keys: string[] = [];
  targets.forEach((t, k) => {
    for (const id of t.equipmentIds) {
      equipment.push(id);
      keys.push(String(k));
    }
  });
  if (equipment.length === 0) return perTarget;
  let bucket: Sql;
  if (grouping === 'bucket') bucket = raw('toUInt32(bucket_start)');
  else if (typeof grouping === 'object')
    bucket = sql`arrayElement(${grouping.slots}, toUInt32(intDiv(toUInt32(bucket_start) - ${window.start / 1000}, 900) + 1))`;
  // A constant inside the window: the roll-up only needs to know the row belongs to it.
  else bucket = sql`${Math.floor(window.start / 1000)}`;
  const shift = grouping === 'shift' ? raw(', shift_id AS s') : raw('');
  const groupBy = grouping === 'shift' ? raw('k, s') : grouping === 'window' ? raw('k') : raw('k, b');
  const rows = await read<SumRow>(
    clickhouse,
    sql`SELECT transform(equipment_id, ${equipment}, ${keys}, '') AS k, ${bucket} AS b ${shift},
          sum(pot_ms) AS pot, sum(pdot_ms) AS pdot, sum(apt_ms) AS apt, sum(pq) AS pq, sum(gq) AS gq,
          sum(sq) AS sq, sum(rq) AS rq, sum(ideal_ms) AS ideal
        FROM oee_bucket_v1 FINAL
        WHERE tenant_id = ${tenantId} AND equipment_id IN ${inList(equipment)}
          AND bucket_start >= ${dateTime(window.start)} AND bucket_start < ${dateTime(window.end)}
          AND is_deleted = 0
        GROUP BY ${groupBy}`,
  );
  const startOf =
    typeof grouping === 'object'
      ? (b: number) => grouping.starts[b - 1]!
      : grouping === 'bucket'
        ? (b: number) => b * 1000
        : () => window.start;
  for (const row of rows) {
    perTarget[Number(row.k)]?.push({
      bucketStart: startOf(Number(row.b)),
      ...(row.s === undefined ? {} : { shiftId: row.s }),
      pot: int(row.pot),
      pdot: int(row.pdot),
      apt: int(row.apt),
      pq: int(row.pq),
      gq: int(row.gq),
      sq: int(row.sq),
      rq: int(row.rq),
      ideal: row.ideal,
    });
  }
  return perTarget;
}

interface ShiftRow {
  id: string;
  line_id: string;
  equipment_id: string;
  name: string;
  start_ms: string;
  end_ms: string;
}

/** Per target, the shifts overlapping the window that apply to its equipment: their own and their lines'. */
export async function fetchShifts(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
): Promise<Shift[][]> {
  const equipment = [...new Set(targets.flatMap((t) => t.equipmentIds))];
  const lines = [...new Set(targets.flatMap((t) => t.lineIds))];
  if (equipment.length === 0) return targets.map(() => []);
  const owners =
    lines.length === 0
      ? sql`equipment_id IN ${inList(equipment)}`
      : sql`(equipment_id IN ${inList(equipment)} OR (equipment_id = '' AND line_id IN ${inList(lines)}))`;
  const rows = await read<ShiftRow>(
    clickhouse,
    sql`SELECT id, line_id, equipment_id, name, start_ms, end_ms FROM fact_shift_v1 FINAL
        WHERE tenant_id = ${tenantId} AND is_deleted = 0 AND ${owners}
          AND start_ms < ${window.end} AND end_ms > ${window.start}`,
  );
  const shifts = rows.map((r) => ({
    equipmentId: r.equipment_id,
    lineId: r.line_id,
    shift: {
      id: r.id,
      name: r.name,
      owner: r.equipment_id === '' ? 'line' : 'equipment',
      start: int(r.start_ms),
      end: int(r.end_ms),
    } satisfies Shift,
  }));
  return targets.map((t) => {
    const equipmentIds = new Set(t.equipmentIds);
    const lineIds = new Set(t.lineIds);
    return shifts
      .filter((s) => (s.equipmentId === '' ? lineIds.has(s.lineId) : equipmentIds.has(s.equipmentId)))
      .map((s) => s.shift);
  });
}

/** Beyond this many 15-minute slots the slot table would make the SQL large (60 kB at 10,000 slots). */
const MAX_SLOTS = 10_000;

/**
 * Components per target and calendar bucket. The buckets come from @takt/domain (local time, DST), and
 * ClickHouse sums into them through a table from 15-minute slot to bucket number, so a 30-day daily query
 * parses 30 rows per target instead of 2,880. Long windows fall back to 15-minute rows, rolled up in TS.
 */
export async function fetchCalendarComponents(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  granularity: CalendarGranularity,
): Promise<RollupInput[][]> {
  if (granularity === 'total') return fetchComponents(clickhouse, tenantId, targets, window, 'window');
  const slotCount = (window.end - window.start) / BUCKET_MS;
  if (granularity === '15m' || slotCount > MAX_SLOTS)
    return fetchComponents(clickhouse, tenantId, targets, window, 'bucket');
  const zones = [...new Set(targets.map((t) => t.timeZone))];
  const perTarget: RollupInput[][] = targets.map(() => []);
  await Promise.all(
    zones.map(async (zone) => {
      const buckets = calendarBuckets(window, granularity, zone);
      const slots: number[] = [];
      let k = 0;
      for (let at = window.start; at < window.end; at += BUCKET_MS) {
        while (buckets[k]!.end <= at) k++;
        slots.push(k + 1);
      }
      const indices = targets.flatMap((t, i) => (t.timeZone === zone ? [i] : []));
      const rows = await fetchComponents(
        clickhouse,
        tenantId,
        indices.map((i) => targets[i]!),
        window,
        { slots, starts: buckets.map((b) => b.start) },
      );
      indices.forEach((i, j) => {
        perTarget[i] = rows[j]!;
      });
    }),
  );
  return perTarget;
}
