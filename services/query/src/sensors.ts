import { type ClickHouse, dateTime, exactFloat, sql } from '@takt/clickhouse';
import type { Interval } from '@takt/domain';
import { iso, SENSOR_STEP_MS, type SensorStep } from './params.js';
import { int, read } from './store.js';

export interface SensorPoint {
  readonly ts: string;
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly count: number;
}

interface StepRow {
  s: number;
  lo: number;
  hi: number;
  total: number;
  n: string;
}

/**
 * Readings per step from the per-minute roll-ups (sum and count, so averages of steps are exact).
 * Steps start on multiples of the step since the epoch (UTC); steps without readings have no point.
 */
export async function sensorSeries(
  clickhouse: ClickHouse,
  tenantId: string,
  equipmentId: string,
  tag: string,
  window: Interval,
  step: SensorStep,
): Promise<SensorPoint[]> {
  const stepS = SENSOR_STEP_MS[step] / 1000;
  const rows = await read<StepRow>(
    clickhouse,
    sql`SELECT intDiv(toUInt32(minute), ${stepS}) * ${stepS} AS s, min(\`min\`) AS lo, max(\`max\`) AS hi,
          sum(\`sum\`) AS total, sum(\`count\`) AS n
        FROM sensor_minute_v1 FINAL
        WHERE tenant_id = ${tenantId} AND equipment_id = ${equipmentId} AND tag = ${tag}
          AND minute >= ${dateTime(window.start)} AND minute < ${dateTime(window.end)}
        GROUP BY s ORDER BY s`,
  );
  return rows
    .filter((r) => int(r.n) > 0)
    .map((r) => ({
      ts: iso(r.s * 1000),
      // Extremes are readings as posted; an average is arithmetic on what is stored, left as it is.
      min: exactFloat(r.lo),
      max: exactFloat(r.hi),
      avg: r.total / int(r.n),
      count: int(r.n),
    }));
}
