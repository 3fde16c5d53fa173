import { z } from 'zod';
import { double, int, jsonb, numeric, timestamptz, uuid } from './values.js';

// One schema per captured table, with the SQL column names. `.loose()` keeps a column this
// code does not know yet (a newer migration) instead of dropping it: the audit log must never
// lose data, so an unknown column travels through unnormalized rather than vanishing.
const who = { changed_by: uuid, request_id: z.string() };
const master = {
  id: uuid,
  tenant_id: uuid,
  code: z.string(),
  name: z.string(),
  attributes: jsonb,
  created_at: timestamptz,
  updated_at: timestamptz,
  deleted_at: timestamptz.nullable(),
  ...who,
};
const fact = {
  id: uuid,
  tenant_id: uuid,
  batch_id: uuid,
  created_at: timestamptz,
  updated_at: timestamptz,
  ...who,
};

export const rowSchemas = {
  tenant: z.object({ id: uuid, code: z.string(), name: z.string(), created_at: timestamptz }).loose(),
  api_key: z
    .object({
      id: uuid,
      tenant_id: uuid,
      name: z.string(),
      key_hash: z.string(),
      scopes: z.array(z.string()).nullable(),
      created_at: timestamptz,
      revoked_at: timestamptz.nullable(),
      changed_by: uuid.nullable(),
      request_id: z.string().nullable(),
    })
    .loose(),
  dim_site: z.object({ ...master, time_zone: z.string() }).loose(),
  dim_line: z.object({ ...master, site_id: uuid }).loose(),
  dim_equipment: z.object({ ...master, line_id: uuid }).loose(),
  dim_product: z.object({ ...master, ideal_cycle_time_s: numeric }).loose(),
  dim_downtime_reason: z.object({ ...master, planned: z.boolean() }).loose(),
  fact_shift: z
    .object({
      ...fact,
      line_id: uuid.nullable(),
      equipment_id: uuid.nullable(),
      name: z.string(),
      start_at: timestamptz,
      end_at: timestamptz,
    })
    .loose(),
  fact_equipment_state: z
    .object({
      ...fact,
      equipment_id: uuid,
      state: z.string(),
      reason_id: uuid.nullable(),
      start_at: timestamptz,
      end_at: timestamptz.nullable(),
    })
    .loose(),
  fact_production: z
    .object({
      ...fact,
      equipment_id: uuid,
      product_id: uuid,
      start_at: timestamptz,
      end_at: timestamptz,
      total: int,
      good: int,
      scrap: int,
      rework: int,
      ideal_cycle_time_s: numeric,
      order_id: z.string().nullable(),
      operator_enc: z.string().nullable(),
    })
    .loose(),
  fact_maintenance: z
    .object({
      ...fact,
      equipment_id: uuid,
      kind: z.string(),
      start_at: timestamptz,
      end_at: timestamptz.nullable(),
      technician_enc: z.string().nullable(),
      notes: z.string().nullable(),
    })
    .loose(),
  fact_sensor_reading: z
    .object({
      tenant_id: uuid,
      equipment_id: uuid,
      tag: z.string(),
      ts: timestamptz,
      value: double,
      quality: z.string(),
      batch_id: uuid,
    })
    .loose(),
  ingest_batch: z
    .object({
      tenant_id: uuid,
      id: uuid,
      kind: z.string(),
      record_count: int,
      payload_sha256: z.string(),
      response: jsonb,
      created_at: timestamptz,
      ...who,
    })
    .loose(),
  debezium_heartbeat: z.object({ id: int, ts: timestamptz }).loose(),
} as const;

export type TableName = keyof typeof rowSchemas;
export const TABLES = Object.keys(rowSchemas) as readonly TableName[];

/**
 * The tables the projector mirrors into ClickHouse, and so the CDC topics whose consumer lag tells
 * whether the query side is caught up. Debezium's other topics (tenant, api_key, ingest_batch,
 * heartbeats) are not projected: API keys are checked in PostgreSQL itself.
 */
export const PROJECTED_TABLES = [
  'dim_site',
  'dim_line',
  'dim_equipment',
  'dim_product',
  'dim_downtime_reason',
  'fact_shift',
  'fact_equipment_state',
  'fact_production',
  'fact_maintenance',
  'fact_sensor_reading',
] as const satisfies readonly TableName[];

export type RowOf<T extends TableName> = z.output<(typeof rowSchemas)[T]>;
export type TenantRow = RowOf<'tenant'>;
export type ApiKeyRow = RowOf<'api_key'>;
export type SiteRow = RowOf<'dim_site'>;
export type LineRow = RowOf<'dim_line'>;
export type EquipmentRow = RowOf<'dim_equipment'>;
export type ProductRow = RowOf<'dim_product'>;
export type DowntimeReasonRow = RowOf<'dim_downtime_reason'>;
export type ShiftRow = RowOf<'fact_shift'>;
export type EquipmentStateRow = RowOf<'fact_equipment_state'>;
export type ProductionRow = RowOf<'fact_production'>;
export type MaintenanceRow = RowOf<'fact_maintenance'>;
export type SensorReadingRow = RowOf<'fact_sensor_reading'>;
export type IngestBatchRow = RowOf<'ingest_batch'>;
export type DebeziumHeartbeatRow = RowOf<'debezium_heartbeat'>;

export const isTableName = (name: string): name is TableName => Object.hasOwn(rowSchemas, name);

/** The timestamptz columns of each table (epoch milliseconds in decoded rows). */
export const TIMESTAMP_COLUMNS: Record<TableName, readonly string[]> = {
  tenant: ['created_at'],
  api_key: ['created_at', 'revoked_at'],
  dim_site: ['created_at', 'updated_at', 'deleted_at'],
  dim_line: ['created_at', 'updated_at', 'deleted_at'],
  dim_equipment: ['created_at', 'updated_at', 'deleted_at'],
  dim_product: ['created_at', 'updated_at', 'deleted_at'],
  dim_downtime_reason: ['created_at', 'updated_at', 'deleted_at'],
  fact_shift: ['start_at', 'end_at', 'created_at', 'updated_at'],
  fact_equipment_state: ['start_at', 'end_at', 'created_at', 'updated_at'],
  fact_production: ['start_at', 'end_at', 'created_at', 'updated_at'],
  fact_maintenance: ['start_at', 'end_at', 'created_at', 'updated_at'],
  fact_sensor_reading: ['ts'],
  ingest_batch: ['created_at'],
  debezium_heartbeat: ['ts'],
};
