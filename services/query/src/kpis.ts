import { type ClickHouse, inList, sql } from '@takt/clickhouse';
import {
  computeKpis,
  type Interval,
  type KpiSet,
  type MaintenanceEvent,
  maintenanceTotals,
  secondsOf,
  sumComponents,
} from '@takt/domain';
import { fetchComponents } from './components.js';
import { iso } from './params.js';
import type { ScopeTarget } from './plant.js';
import { int, read } from './store.js';

export interface KpiRowOut extends KpiSet {
  readonly scopeId: string;
  readonly from: string;
  readonly to: string;
  readonly plannedOperationS: number;
  readonly productionS: number;
  readonly produced: number;
  readonly failures: number;
  readonly correctiveMaintenanceS: number;
  readonly preventiveMaintenanceS: number;
}

interface MaintenanceRow {
  equipment_id: string;
  kind: string;
  start_ms: string;
  end_ms: string;
}

/** ISO 22400-2 KPIs per target over the whole window, from summed components and maintenance events. */
export async function kpiRows(
  clickhouse: ClickHouse,
  tenantId: string,
  targets: readonly ScopeTarget[],
  window: Interval,
  now: number,
): Promise<KpiRowOut[]> {
  const equipment = [...new Set(targets.flatMap((t) => t.equipmentIds))];
  const [components, maintenance] = await Promise.all([
    fetchComponents(clickhouse, tenantId, targets, window, 'window'),
    equipment.length === 0
      ? Promise.resolve([])
      : read<MaintenanceRow>(
          clickhouse,
          // Only events starting in the window count (maintenanceTotals): the filter is on start alone.
          sql`SELECT equipment_id, kind, start_ms, end_ms FROM fact_maintenance_v1 FINAL
              WHERE tenant_id = ${tenantId} AND is_deleted = 0 AND equipment_id IN ${inList(equipment)}
                AND start_ms >= ${window.start} AND start_ms < ${window.end}`,
        ),
  ]);
  const eventsByEquipment = new Map<string, MaintenanceEvent[]>();
  for (const row of maintenance) {
    if (row.kind !== 'corrective' && row.kind !== 'preventive') continue;
    const end = int(row.end_ms);
    const event: MaintenanceEvent = { kind: row.kind, start: int(row.start_ms), end: end === 0 ? null : end };
    const list = eventsByEquipment.get(row.equipment_id);
    if (list === undefined) eventsByEquipment.set(row.equipment_id, [event]);
    else list.push(event);
  }
  return targets.map((t, k) => {
    const c = sumComponents(components[k]!);
    const events = t.equipmentIds.flatMap((id) => eventsByEquipment.get(id) ?? []);
    const totals = maintenanceTotals(events, window, now);
    return {
      scopeId: t.scopeId,
      from: iso(window.start),
      to: iso(window.end),
      ...computeKpis(c, totals),
      plannedOperationS: secondsOf(c.pot),
      productionS: secondsOf(c.apt),
      produced: c.pq,
      failures: totals.failures,
      correctiveMaintenanceS: secondsOf(totals.correctiveMs),
      preventiveMaintenanceS: secondsOf(totals.preventiveMs),
    };
  });
}
