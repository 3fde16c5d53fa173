import { type ClickHouse, ident, join, raw, type Sql, sql } from '@takt/clickhouse';
import type { ProductionRecord, Shift } from '@takt/domain';
import type { StateFact } from './compute.js';
import { BY_EQUIPMENT, type ProjectedTable } from './ddl.js';
import type { MirrorWrite } from './rows.js';

/** Where the projected tables live; a rebuild points one at a staging database. */
export interface Tables {
  readonly ch: ClickHouse;
  readonly database: string;
}

const t = (tables: Tables, name: ProjectedTable | 'projector_state_v1'): Sql => ident(tables.database, name);

/**
 * Inserts the writes of a batch, one INSERT per table. Within a batch only the last write of a key
 * goes out: later events of a key come later in its partition, and equal LSNs (two changes of a row in
 * one transaction) must not rely on the row order inside one block.
 */
export async function insertMirror(tables: Tables, writes: readonly MirrorWrite[]): Promise<void> {
  const byTable = new Map<ProjectedTable, Map<string, MirrorWrite['row']>>();
  for (const w of writes) {
    let rows = byTable.get(w.table);
    if (!rows) {
      rows = new Map();
      byTable.set(w.table, rows);
    }
    rows.delete(w.key);
    rows.set(w.key, w.row);
  }
  const inserts: [string, MirrorWrite['row'][]][] = [];
  for (const [table, rows] of byTable) {
    inserts.push([table, [...rows.values()]]);
    const sorted = BY_EQUIPMENT[table as keyof typeof BY_EQUIPMENT];
    if (sorted) inserts.push([sorted, [...rows.values()]]);
  }
  await Promise.all(inserts.map(([table, rows]) => tables.ch.insert(`${tables.database}.${table}`, rows)));
}

export interface EquipmentKey {
  readonly tenantId: string;
  readonly equipmentId: string;
}

/** Current members of each (tenant, line), soft-deleted ones included: their history stays theirs. */
export async function equipmentOfLines(
  tables: Tables,
  lines: readonly { tenantId: string; lineId: string }[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (lines.length === 0) return out;
  const rows = await tables.ch.query<{ tenant_id: string; id: string; line_id: string }>(
    sql`SELECT tenant_id, id, line_id FROM ${t(tables, 'dim_equipment_v1')} FINAL
        WHERE is_deleted = 0 AND (${join(
          lines.map((l) => sql`(tenant_id = ${l.tenantId} AND line_id = ${l.lineId})`),
          raw(' OR '),
        )})`,
  );
  for (const r of rows) {
    const key = `${r.tenant_id}:${r.line_id}`;
    out.set(key, [...(out.get(key) ?? []), r.id]);
  }
  return out;
}

/**
 * The span of everything that can hold a bucket of the equipment: its facts, its own and its line's
 * shifts, and the buckets already stored (which may have to disappear). Versions are not resolved:
 * a superseded row only widens the span, which costs a little work and never a wrong number.
 */
export async function historyExtent(
  tables: Tables,
  tenantId: string,
  equipmentId: string,
  lineId: string,
  now: number,
): Promise<{ fromMs: number; toMs: number } | null> {
  // Each arm is cast to one type: 18.16 finds no common type for Int64 and UInt64 in a UNION ALL.
  const rows = await tables.ch.query<{
    from_ms: string | number;
    to_ms: string | number;
    total: string | number;
  }>(sql`
    SELECT min(lo) AS from_ms, max(hi) AS to_ms, sum(n) AS total FROM (
      SELECT toInt64(min(start_ms)) AS lo, toInt64(max(if(end_ms = 0, greatest(start_ms + 1, toInt64(${now})), end_ms))) AS hi,
             toUInt64(count()) AS n
        FROM ${t(tables, BY_EQUIPMENT.fact_equipment_state_v1)} WHERE tenant_id = ${tenantId} AND equipment_id = ${equipmentId}
      UNION ALL
      SELECT toInt64(min(end_ms - 1)) AS lo, toInt64(max(end_ms)) AS hi, toUInt64(count()) AS n
        FROM ${t(tables, BY_EQUIPMENT.fact_production_v1)} WHERE tenant_id = ${tenantId} AND equipment_id = ${equipmentId}
      UNION ALL
      SELECT toInt64(min(start_ms)) AS lo, toInt64(max(end_ms)) AS hi, toUInt64(count()) AS n
        FROM ${t(tables, 'fact_shift_v1')}
        WHERE tenant_id = ${tenantId} AND (equipment_id = ${equipmentId} OR (line_id = ${lineId} AND line_id != ''))
      UNION ALL
      SELECT toInt64(min(toUInt32(bucket_start))) * 1000 AS lo, toInt64(max(toUInt32(bucket_start))) * 1000 + 900000 AS hi,
             toUInt64(count()) AS n
        FROM ${t(tables, 'oee_bucket_v1')} WHERE tenant_id = ${tenantId} AND equipment_id = ${equipmentId}
    ) WHERE n > 0`);
  const r = rows[0];
  if (!r || Number(r.total) === 0) return null;
  return { fromMs: Number(r.from_ms), toMs: Number(r.to_ms) };
}

export interface EquipmentInfo {
  readonly lineId: string;
  readonly deletedAtMs: number;
}

export async function loadEquipment(
  tables: Tables,
  keys: readonly EquipmentKey[],
): Promise<Map<string, EquipmentInfo>> {
  const rows = await tables.ch.query<{
    tenant_id: string;
    id: string;
    line_id: string;
    deleted_at_ms: string;
  }>(
    sql`SELECT tenant_id, id, line_id, deleted_at_ms FROM ${t(tables, 'dim_equipment_v1')} FINAL
        WHERE is_deleted = 0 AND (tenant_id, id) IN ${tupleList(keys)}`,
  );
  return new Map(
    rows.map((r) => [`${r.tenant_id}:${r.id}`, { lineId: r.line_id, deletedAtMs: Number(r.deleted_at_ms) }]),
  );
}

function tupleList(keys: readonly EquipmentKey[]): Sql {
  return sql`(${join(keys.map((k) => sql`(${k.tenantId}, ${k.equipmentId})`))})`;
}

export interface Window extends EquipmentKey {
  readonly fromMs: number;
  readonly toMs: number;
  readonly lineId: string;
}

export interface ShiftFact extends Shift {
  readonly tenantId: string;
  readonly lineId: string;
  readonly equipmentId: string;
}

/**
 * Shifts overlapping the windows that may apply to their equipment: its own, and those of the line the
 * mirror assigns it to now (read in the same query, so it needs no round trip of its own). The caller
 * narrows them per window with the equipment's line.
 */
export async function loadShifts(tables: Tables, windows: readonly Window[]): Promise<ShiftFact[]> {
  if (windows.length === 0) return [];
  const keys = tupleList(windows);
  const from = Math.min(...windows.map((w) => w.fromMs));
  const to = Math.max(...windows.map((w) => w.toMs));
  const rows = await tables.ch.query<{
    tenant_id: string;
    id: string;
    line_id: string;
    equipment_id: string;
    name: string;
    start_ms: string;
    end_ms: string;
  }>(sql`SELECT tenant_id, id, line_id, equipment_id, name, start_ms, end_ms
           FROM ${t(tables, 'fact_shift_v1')} FINAL
          WHERE is_deleted = 0 AND start_ms < ${to} AND end_ms > ${from}
            AND ((tenant_id, equipment_id) IN ${keys}
                 OR (line_id != '' AND (tenant_id, line_id) IN (
                       SELECT tenant_id, line_id FROM ${t(tables, 'dim_equipment_v1')} FINAL
                        WHERE is_deleted = 0 AND (tenant_id, id) IN ${keys})))`);
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    id: r.id,
    lineId: r.line_id,
    equipmentId: r.equipment_id,
    name: r.name,
    owner: r.equipment_id === '' ? 'line' : 'equipment',
    start: Number(r.start_ms),
    end: Number(r.end_ms),
  }));
}

export interface StateRow extends StateFact, EquipmentKey {}

/** States overlapping each window; an open one (end 0) reaches to now. */
export async function loadStates(tables: Tables, windows: readonly Window[]): Promise<StateRow[]> {
  if (windows.length === 0) return [];
  const rows = await tables.ch.query<{
    tenant_id: string;
    equipment_id: string;
    state: string;
    reason_id: string;
    start_ms: string;
    end_ms: string;
  }>(sql`SELECT tenant_id, equipment_id, state, reason_id, start_ms, end_ms
           FROM ${t(tables, BY_EQUIPMENT.fact_equipment_state_v1)} FINAL
          WHERE is_deleted = 0 AND (${join(
            windows.map(
              (w) =>
                sql`(tenant_id = ${w.tenantId} AND equipment_id = ${w.equipmentId}
                     AND start_ms < ${w.toMs} AND (end_ms = 0 OR end_ms > ${w.fromMs}))`,
            ),
            raw(' OR '),
          )})`);
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    equipmentId: r.equipment_id,
    state: r.state,
    reasonId: r.reason_id,
    start: Number(r.start_ms),
    end: Number(r.end_ms) === 0 ? null : Number(r.end_ms),
  }));
}

export interface ProductionRow extends ProductionRecord, EquipmentKey {}

/** Production records whose last instant (end − 1) lies in each window. */
export async function loadProduction(tables: Tables, windows: readonly Window[]): Promise<ProductionRow[]> {
  if (windows.length === 0) return [];
  const rows = await tables.ch.query<{
    tenant_id: string;
    equipment_id: string;
    start_ms: string;
    end_ms: string;
    total: number;
    good: number;
    scrap: number;
    rework: number;
    ideal_cycle_time_s: number;
  }>(sql`SELECT tenant_id, equipment_id, start_ms, end_ms, total, good, scrap, rework, ideal_cycle_time_s
           FROM ${t(tables, BY_EQUIPMENT.fact_production_v1)} FINAL
          WHERE is_deleted = 0 AND (${join(
            windows.map(
              (w) =>
                sql`(tenant_id = ${w.tenantId} AND equipment_id = ${w.equipmentId}
                     AND end_ms > ${w.fromMs} AND end_ms <= ${w.toMs})`,
            ),
            raw(' OR '),
          )})`);
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    equipmentId: r.equipment_id,
    start: Number(r.start_ms),
    end: Number(r.end_ms),
    total: Number(r.total),
    good: Number(r.good),
    scrap: Number(r.scrap),
    rework: Number(r.rework),
    // Decimal seconds with up to 6 places to integer-safe milliseconds, the unit of the domain.
    idealCycleTimeMs: Math.round(Number(r.ideal_cycle_time_s) * 1_000_000) / 1000,
  }));
}

export interface StoredKey extends EquipmentKey {
  readonly bucketStart: number;
  readonly shiftId: string;
  readonly reasonId?: string;
  readonly planned?: number;
}

function bucketWindows(windows: readonly Window[]): Sql {
  return join(
    windows.map(
      (w) =>
        sql`(tenant_id = ${w.tenantId} AND equipment_id = ${w.equipmentId}
             AND bucket_start >= toDateTime(${Math.floor(w.fromMs / 1000)}, 'UTC')
             AND bucket_start < toDateTime(${Math.floor(w.toMs / 1000)}, 'UTC'))`,
    ),
    raw(' OR '),
  );
}

/** The live rows stored in the windows, so rows a recompute no longer yields can be deleted. */
export async function loadStoredOee(tables: Tables, windows: readonly Window[]): Promise<StoredKey[]> {
  if (windows.length === 0) return [];
  const rows = await tables.ch.query<{
    tenant_id: string;
    equipment_id: string;
    b: string;
    shift_id: string;
  }>(
    sql`SELECT tenant_id, equipment_id, toUInt32(bucket_start) AS b, shift_id
          FROM ${t(tables, 'oee_bucket_v1')} FINAL WHERE is_deleted = 0 AND (${bucketWindows(windows)})`,
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    equipmentId: r.equipment_id,
    bucketStart: Number(r.b) * 1000,
    shiftId: r.shift_id,
  }));
}

export async function loadStoredDowntime(tables: Tables, windows: readonly Window[]): Promise<StoredKey[]> {
  if (windows.length === 0) return [];
  const rows = await tables.ch.query<{
    tenant_id: string;
    equipment_id: string;
    b: string;
    shift_id: string;
    reason_id: string;
    planned: number;
  }>(
    sql`SELECT tenant_id, equipment_id, toUInt32(bucket_start) AS b, shift_id, reason_id, planned
          FROM ${t(tables, 'downtime_bucket_v1')} FINAL WHERE is_deleted = 0 AND (${bucketWindows(windows)})`,
  );
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    equipmentId: r.equipment_id,
    bucketStart: Number(r.b) * 1000,
    shiftId: r.shift_id,
    reasonId: r.reason_id,
    planned: Number(r.planned),
  }));
}

export interface ProgressState {
  readonly key: 'mirror' | 'recompute';
  readonly lastLsn: bigint;
  readonly lastEventMs: number;
}

export async function writeState(tables: Tables, state: ProgressState, now: number): Promise<void> {
  await tables.ch.insert(`${tables.database}.projector_state_v1`, [
    { key: state.key, last_lsn: state.lastLsn.toString(), last_event_ms: state.lastEventMs, updated_ms: now },
  ]);
}

/** Equipment with an open state, and when that state began. */
export async function openStates(
  tables: Tables,
): Promise<{ tenantId: string; equipmentId: string; startMs: number }[]> {
  const rows = await tables.ch.query<{ tenant_id: string; equipment_id: string; s: string }>(
    sql`SELECT tenant_id, equipment_id, min(start_ms) AS s FROM ${t(tables, 'fact_equipment_state_v1')} FINAL
         WHERE is_deleted = 0 AND end_ms = 0 GROUP BY tenant_id, equipment_id`,
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, equipmentId: r.equipment_id, startMs: Number(r.s) }));
}

/** Equipment whose own or line's shift overlaps [fromMs, toMs): their POT grows with the clock. */
export async function shiftsInProgress(
  tables: Tables,
  fromMs: number,
  toMs: number,
): Promise<{ tenantId: string; equipmentId: string }[]> {
  const rows = await tables.ch.query<{ tenant_id: string; equipment_id: string; line_id: string }>(sql`
    SELECT DISTINCT tenant_id, equipment_id, line_id FROM ${t(tables, 'fact_shift_v1')} FINAL
     WHERE is_deleted = 0 AND start_ms < ${toMs} AND end_ms > ${fromMs}`);
  const out = rows
    .filter((r) => r.equipment_id !== '')
    .map((r) => ({ tenantId: r.tenant_id, equipmentId: r.equipment_id }));
  const lines = rows
    .filter((r) => r.equipment_id === '' && r.line_id !== '')
    .map((r) => ({ tenantId: r.tenant_id, lineId: r.line_id }));
  for (const [key, members] of await equipmentOfLines(tables, lines)) {
    const tenantId = key.slice(0, key.indexOf(':'));
    for (const equipmentId of members) out.push({ tenantId, equipmentId });
  }
  return out;
}
