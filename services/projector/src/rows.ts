import { type ChangeEvent, TIMESTAMP_COLUMNS } from '@takt/cdc';
import { REPRESENTABLE } from '@takt/domain';
import type { ProjectedTable } from './ddl.js';
import { type MessageCoordinates, UnrepresentableTimeError } from './errors.js';

/** A row of a ClickHouse mirror table, as JSONEachRow; 64-bit integers travel as decimal strings. */
export type MirrorRow = Record<string, string | number | readonly string[]>;

export interface MirrorWrite {
  readonly table: ProjectedTable;
  /** The Postgres key inside the table: later writes of the same key supersede earlier ones. */
  readonly key: string;
  readonly row: MirrorRow;
}

const ms = (value: number | null | undefined): number => value ?? 0;

/**
 * Throws {@link UnrepresentableTimeError} when either image of a change the projector mirrors holds
 * an instant ClickHouse cannot: writing it would fail (or, for the recompute's ranges, loop) forever.
 */
export function checkRepresentable(event: ChangeEvent, source: MessageCoordinates): void {
  if (mirrorWriteOf(event) === null) return;
  for (const image of [event.before, event.after]) {
    if (image === null) continue;
    for (const column of TIMESTAMP_COLUMNS[event.table]) {
      const value = (image as Record<string, unknown>)[column];
      if (typeof value !== 'number') continue;
      if (value < REPRESENTABLE.oldest || value > REPRESENTABLE.newest)
        throw new UnrepresentableTimeError(source, event.table, column, value);
    }
  }
}

/**
 * The mirror write of one change: the after image, or for a delete the before image flagged
 * `is_deleted`, versioned by the LSN so replays and redeliveries converge on the newest row.
 * Tables the projector does not mirror (tenant, ingest_batch, heartbeats) give null.
 */
export function mirrorWriteOf(event: ChangeEvent): MirrorWrite | null {
  const deleted = event.op === 'delete';
  const lsn = event.lsn.toString();
  const flag = deleted ? 1 : 0;
  switch (event.table) {
    case 'dim_site': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'dim_site_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          code: r.code,
          name: r.name,
          time_zone: r.time_zone,
          deleted_at_ms: ms(r.deleted_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'dim_line': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'dim_line_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          code: r.code,
          name: r.name,
          site_id: r.site_id,
          deleted_at_ms: ms(r.deleted_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'dim_equipment': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'dim_equipment_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          code: r.code,
          name: r.name,
          line_id: r.line_id,
          deleted_at_ms: ms(r.deleted_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'dim_product': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'dim_product_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          code: r.code,
          name: r.name,
          ideal_cycle_time_s: Number(r.ideal_cycle_time_s),
          deleted_at_ms: ms(r.deleted_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'dim_downtime_reason': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'dim_downtime_reason_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          code: r.code,
          name: r.name,
          planned: r.planned ? 1 : 0,
          deleted_at_ms: ms(r.deleted_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'fact_shift': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'fact_shift_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          line_id: r.line_id ?? '',
          equipment_id: r.equipment_id ?? '',
          name: r.name,
          start_ms: r.start_at,
          end_ms: r.end_at,
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'fact_equipment_state': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'fact_equipment_state_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          equipment_id: r.equipment_id,
          state: r.state,
          reason_id: r.reason_id ?? '',
          start_ms: r.start_at,
          end_ms: ms(r.end_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'fact_production': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'fact_production_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          equipment_id: r.equipment_id,
          product_id: r.product_id,
          start_ms: r.start_at,
          end_ms: r.end_at,
          total: r.total,
          good: r.good,
          scrap: r.scrap,
          rework: r.rework,
          ideal_cycle_time_s: Number(r.ideal_cycle_time_s),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'fact_maintenance': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      return {
        table: 'fact_maintenance_v1',
        key: `${r.tenant_id}:${r.id}`,
        row: {
          tenant_id: r.tenant_id,
          id: r.id,
          equipment_id: r.equipment_id,
          kind: r.kind,
          start_ms: r.start_at,
          end_ms: ms(r.end_at),
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'fact_sensor_reading': {
      const r = deleted ? event.before : event.after;
      if (!r) return null;
      // JSON cannot carry NaN or ±Infinity; ClickHouse reads them from these spellings.
      const value = typeof r.value === 'number' ? r.value : r.value === 'NaN' ? 'nan' : r.value.toLowerCase();
      return {
        table: 'sensor_reading_v1',
        key: `${r.tenant_id}:${r.equipment_id}:${r.tag}:${r.ts}`,
        row: {
          tenant_id: r.tenant_id,
          equipment_id: r.equipment_id,
          tag: r.tag,
          ts: Math.floor(r.ts / 1000),
          ts_ms: r.ts,
          value,
          quality: r.quality,
          lsn,
          is_deleted: flag,
        },
      };
    }
    case 'tenant':
    // API keys are checked in PostgreSQL itself (docs/api-keys.md): ClickHouse holds none.
    case 'api_key':
    case 'ingest_batch':
    case 'debezium_heartbeat':
      return null;
    default:
      return assertNever(event);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected table ${(value as { table?: unknown }).table}`);
}
