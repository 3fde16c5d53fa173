import { type ClickHouse, ident, type Sql, sql } from '@takt/clickhouse';
import { ProjectorError } from './errors.js';

/**
 * ClickHouse DDL, versioned. Every statement is `IF NOT EXISTS`, so a migration that failed half way,
 * or two instances starting together, simply run it again. Shapes follow the table contract shared with
 * the query service; a changed shape is a new `_vN` table (docs/architecture.md), never an ALTER,
 * because 18.16 lacks `ADD COLUMN IF NOT EXISTS` and a rebuild must be able to run next to the old one.
 * Only syntax that 18.16 and current ClickHouse both accept (docs/decisions/0001-clickhouse-versions.md).
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: (database: string) => readonly Sql[];
}

export const MIRROR_TABLES = [
  'dim_site_v1',
  'dim_line_v1',
  'dim_equipment_v1',
  'dim_product_v1',
  'dim_downtime_reason_v1',
  'fact_shift_v1',
  'fact_equipment_state_v1',
  'fact_production_v1',
  'fact_maintenance_v1',
  'sensor_reading_v1',
] as const;

/**
 * The state and production mirrors again, sorted by equipment: the recompute stage reads one
 * equipment's facts, which the contract's (tenant_id, id) order would make a full scan per read.
 * Deduplication is the same, as a row never changes its equipment. Not part of the query contract.
 */
export const BY_EQUIPMENT = {
  fact_equipment_state_v1: 'fact_equipment_state_by_equipment_v1',
  fact_production_v1: 'fact_production_by_equipment_v1',
} as const;

export const DERIVED_TABLES = [
  'oee_bucket_v1',
  'downtime_bucket_v1',
  'sensor_minute_v1',
  ...Object.values(BY_EQUIPMENT),
] as const;

/** Everything a rebuild recreates and swaps in; projector_state_v1 and the migration log stay. */
export const REBUILT_TABLES = [...MIRROR_TABLES, ...DERIVED_TABLES] as const;
export type ProjectedTable = (typeof REBUILT_TABLES)[number];

const mirror = (db: string, table: string, columns: Sql): Sql =>
  sql`CREATE TABLE IF NOT EXISTS ${ident(db, table)} (
  tenant_id String, id String, ${columns}, lsn UInt64, is_deleted UInt8
) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`;

const byEquipment = (db: string, table: string, columns: Sql): Sql =>
  sql`CREATE TABLE IF NOT EXISTS ${ident(db, table)} (
  tenant_id String, id String, ${columns}, lsn UInt64, is_deleted UInt8
) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, equipment_id, id)`;

const STATE_COLUMNS = sql`equipment_id String, state String, reason_id String, start_ms Int64, end_ms Int64`;
const PRODUCTION_COLUMNS = sql`equipment_id String, product_id String, start_ms Int64, end_ms Int64, total UInt32, good UInt32,
  scrap UInt32, rework UInt32, ideal_cycle_time_s Float64`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'mirrors, buckets, sensors, state',
    statements: (db) => [
      mirror(db, 'dim_site_v1', sql`code String, name String, time_zone String, deleted_at_ms Int64`),
      mirror(db, 'dim_line_v1', sql`code String, name String, site_id String, deleted_at_ms Int64`),
      mirror(db, 'dim_equipment_v1', sql`code String, name String, line_id String, deleted_at_ms Int64`),
      mirror(
        db,
        'dim_product_v1',
        sql`code String, name String, ideal_cycle_time_s Float64, deleted_at_ms Int64`,
      ),
      mirror(db, 'dim_downtime_reason_v1', sql`code String, name String, planned UInt8, deleted_at_ms Int64`),
      mirror(
        db,
        'fact_shift_v1',
        sql`line_id String, equipment_id String, name String, start_ms Int64, end_ms Int64`,
      ),
      mirror(db, 'fact_equipment_state_v1', STATE_COLUMNS),
      mirror(db, 'fact_production_v1', PRODUCTION_COLUMNS),
      mirror(db, 'fact_maintenance_v1', sql`equipment_id String, kind String, start_ms Int64, end_ms Int64`),
      mirror(db, 'api_key_v1', sql`key_hash String, scopes Array(String), revoked_at_ms Int64`),
      sql`CREATE TABLE IF NOT EXISTS ${ident(db, 'oee_bucket_v1')} (
  tenant_id String, equipment_id String, bucket_start DateTime('UTC'), shift_id String,
  pot_ms Int64, pdot_ms Int64, apt_ms Int64, pq Int64, gq Int64, sq Int64, rq Int64, ideal_ms Float64,
  version UInt64, is_deleted UInt8
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket_start)
  ORDER BY (tenant_id, equipment_id, bucket_start, shift_id)`,
      sql`CREATE TABLE IF NOT EXISTS ${ident(db, 'downtime_bucket_v1')} (
  tenant_id String, equipment_id String, bucket_start DateTime('UTC'), shift_id String, reason_id String,
  planned UInt8, duration_ms Int64, occurrences Int64, version UInt64, is_deleted UInt8
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket_start)
  ORDER BY (tenant_id, equipment_id, bucket_start, shift_id, reason_id, planned)`,
      sql`CREATE TABLE IF NOT EXISTS ${ident(db, 'sensor_reading_v1')} (
  tenant_id String, equipment_id String, tag String, ts DateTime('UTC'), ts_ms Int64, value Float64,
  quality String, lsn UInt64, is_deleted UInt8
) ENGINE = ReplacingMergeTree(lsn) PARTITION BY toYYYYMM(ts) ORDER BY (tenant_id, equipment_id, tag, ts_ms)`,
      sql`CREATE TABLE IF NOT EXISTS ${ident(db, 'sensor_minute_v1')} (
  tenant_id String, equipment_id String, tag String, minute DateTime('UTC'), min Float64, max Float64,
  sum Float64, count UInt64, version UInt64
) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(minute)
  ORDER BY (tenant_id, equipment_id, tag, minute)`,
      sql`CREATE TABLE IF NOT EXISTS ${ident(db, 'projector_state_v1')} (
  key String, last_lsn UInt64, last_event_ms Int64, updated_ms Int64
) ENGINE = ReplacingMergeTree(updated_ms) ORDER BY key`,
    ],
  },
  {
    version: 2,
    name: 'state and production mirrors sorted by equipment',
    statements: (db) => [
      byEquipment(db, BY_EQUIPMENT.fact_equipment_state_v1, STATE_COLUMNS),
      byEquipment(db, BY_EQUIPMENT.fact_production_v1, PRODUCTION_COLUMNS),
    ],
  },
  {
    version: 3,
    // Every service checks API keys in PostgreSQL now (docs/api-keys.md): the mirror of their
    // hashes has no reader left, and a copy of credentials nobody reads is only exposure.
    name: 'drop the API key mirror',
    statements: (db) => [sql`DROP TABLE IF EXISTS ${ident(db, 'api_key_v1')}`],
  },
];

const LOG_TABLE = 'projector_migrations';

/** Applies the migrations not yet recorded in `database`; returns the versions it applied. */
export async function migrate(
  ch: ClickHouse,
  database: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  try {
    await ch.command(sql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
    await ch.command(sql`CREATE TABLE IF NOT EXISTS ${ident(database, LOG_TABLE)} (
  version UInt32, name String, applied_ms Int64
) ENGINE = MergeTree ORDER BY version`);
    const done = new Set(
      (
        await ch.query<{ version: number }>(sql`SELECT DISTINCT version FROM ${ident(database, LOG_TABLE)}`)
      ).map((r) => Number(r.version)),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const statement of m.statements(database)) await ch.command(statement);
      await ch.insert(`${database}.${LOG_TABLE}`, [
        { version: m.version, name: m.name, applied_ms: Date.now() },
      ]);
      applied.push(m.version);
    }
    return applied;
  } catch (err) {
    throw new ProjectorError(
      'TAKT_PROJECTOR_MIGRATION_FAILED',
      `ClickHouse migration of ${database} failed: ${(err as Error).message}`,
      (err as { retriable?: boolean }).retriable === true,
      { cause: err },
    );
  }
}

/** Creates the projected tables in a staging database, for a rebuild to fill and swap in. */
export async function createTables(ch: ClickHouse, database: string): Promise<void> {
  await ch.command(sql`CREATE DATABASE IF NOT EXISTS ${ident(database)}`);
  for (const m of MIGRATIONS) for (const statement of m.statements(database)) await ch.command(statement);
}
