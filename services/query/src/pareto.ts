import { type ClickHouse, dateTime, inList, sql } from '@takt/clickhouse';
import { type Interval, secondsOf } from '@takt/domain';
import type { ScopeTarget } from './plant.js';
import { int, read } from './store.js';

export interface ParetoRow {
  /** `null` for downtime without a reason: stopped without one, or a gap in the state stream. */
  readonly reasonCode: string | null;
  readonly reasonName: string | null;
  readonly planned: boolean;
  readonly durationS: number;
  readonly occurrences: number;
  readonly cumulativeShare: number;
}

interface DowntimeRow {
  reason_id: string;
  planned: number;
  duration: string;
  occurrences: string;
}

interface ReasonRow {
  id: string;
  code: string;
  name: string;
}

/** Pure: longest first (then most frequent, then by code, no-reason last), with the running share. */
export function paretoOf(
  rows: readonly {
    reasonCode: string | null;
    reasonName: string | null;
    planned: boolean;
    durationMs: number;
    occurrences: number;
  }[],
): ParetoRow[] {
  const sorted = rows
    .filter((r) => r.durationMs > 0 || r.occurrences > 0)
    .sort(
      (a, b) =>
        b.durationMs - a.durationMs ||
        b.occurrences - a.occurrences ||
        (a.reasonCode === null ? 1 : 0) - (b.reasonCode === null ? 1 : 0) ||
        (a.reasonCode ?? '').localeCompare(b.reasonCode ?? '') ||
        Number(a.planned) - Number(b.planned),
    );
  const total = sorted.reduce((sum, r) => sum + r.durationMs, 0);
  let running = 0;
  return sorted.map((r) => {
    running += r.durationMs;
    return {
      reasonCode: r.reasonCode,
      reasonName: r.reasonName,
      planned: r.planned,
      durationS: secondsOf(r.durationMs),
      occurrences: r.occurrences,
      cumulativeShare: total === 0 ? 0 : running / total,
    };
  });
}

/** Downtime inside POT over all targets together, per (reason, planned). */
export async function paretoRows(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
): Promise<ParetoRow[]> {
  const equipment = [...new Set(targets.flatMap((t) => t.equipmentIds))];
  if (equipment.length === 0) return [];
  const downtime = await read<DowntimeRow>(
    clickhouse,
    sql`SELECT reason_id, planned, sum(duration_ms) AS duration, sum(occurrences) AS occurrences
        FROM downtime_bucket_v1 FINAL
        WHERE tenant_id = ${tenantId} AND equipment_id IN ${inList(equipment)}
          AND bucket_start >= ${dateTime(window.start)} AND bucket_start < ${dateTime(window.end)}
          AND is_deleted = 0
        GROUP BY reason_id, planned`,
  );
  const reasonIds = [...new Set(downtime.map((r) => r.reason_id).filter((id) => id !== ''))];
  // Deleted reasons keep their name: the downtime they explain is history.
  const reasons =
    reasonIds.length === 0
      ? []
      : await read<ReasonRow>(
          clickhouse,
          sql`SELECT id, code, name FROM dim_downtime_reason_v1 FINAL
              WHERE tenant_id = ${tenantId} AND is_deleted = 0 AND id IN ${inList(reasonIds)}`,
        );
  const byId = new Map(reasons.map((r) => [r.id, r]));
  return paretoOf(
    downtime.map((r) => {
      const reason = r.reason_id === '' ? undefined : byId.get(r.reason_id);
      return {
        reasonCode: reason?.code ?? null,
        reasonName: reason?.name ?? null,
        planned: Number(r.planned) === 1,
        durationMs: int(r.duration),
        occurrences: int(r.occurrences),
      };
    }),
  );
}
