/**
 * The tables of the ClickHouse contract between projector and query service, as the projector creates them.
 * The query service never creates tables in production; tests and the benchmark build their own databases
 * from this until the projector's DDL can be imported.
 */
export const CONTRACT_DDL: readonly string[] = [
  `CREATE TABLE dim_site_v1 (tenant_id String, id String, code String, name String, time_zone String,
     deleted_at_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE dim_line_v1 (tenant_id String, id String, code String, name String, site_id String,
     deleted_at_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE dim_equipment_v1 (tenant_id String, id String, code String, name String, line_id String,
     deleted_at_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE dim_product_v1 (tenant_id String, id String, code String, name String, ideal_cycle_time_s Float64,
     deleted_at_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE dim_downtime_reason_v1 (tenant_id String, id String, code String, name String, planned UInt8,
     deleted_at_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE fact_shift_v1 (tenant_id String, id String, line_id String, equipment_id String, name String,
     start_ms Int64, end_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE fact_equipment_state_v1 (tenant_id String, id String, equipment_id String, state String,
     reason_id String, start_ms Int64, end_ms Int64, lsn UInt64, is_deleted UInt8)
     ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE fact_production_v1 (tenant_id String, id String, equipment_id String, product_id String,
     start_ms Int64, end_ms Int64, total UInt32, good UInt32, scrap UInt32, rework UInt32, ideal_cycle_time_s Float64,
     lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE fact_maintenance_v1 (tenant_id String, id String, equipment_id String, kind String,
     start_ms Int64, end_ms Int64, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn) ORDER BY (tenant_id, id)`,
  `CREATE TABLE oee_bucket_v1 (tenant_id String, equipment_id String, bucket_start DateTime('UTC'), shift_id String,
     pot_ms Int64, pdot_ms Int64, apt_ms Int64, pq Int64, gq Int64, sq Int64, rq Int64, ideal_ms Float64,
     version UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket_start)
     ORDER BY (tenant_id, equipment_id, bucket_start, shift_id)`,
  `CREATE TABLE downtime_bucket_v1 (tenant_id String, equipment_id String, bucket_start DateTime('UTC'),
     shift_id String, reason_id String, planned UInt8, duration_ms Int64, occurrences Int64, version UInt64,
     is_deleted UInt8) ENGINE = ReplacingMergeTree(version) PARTITION BY toYYYYMM(bucket_start)
     ORDER BY (tenant_id, equipment_id, bucket_start, shift_id, reason_id, planned)`,
  `CREATE TABLE sensor_reading_v1 (tenant_id String, equipment_id String, tag String, ts DateTime('UTC'),
     ts_ms Int64, value Float64, quality String, lsn UInt64, is_deleted UInt8) ENGINE = ReplacingMergeTree(lsn)
     PARTITION BY toYYYYMM(ts) ORDER BY (tenant_id, equipment_id, tag, ts_ms)`,
  `CREATE TABLE sensor_minute_v1 (tenant_id String, equipment_id String, tag String, minute DateTime('UTC'),
     min Float64, max Float64, sum Float64, count UInt64, version UInt64) ENGINE = ReplacingMergeTree(version)
     PARTITION BY toYYYYMM(minute) ORDER BY (tenant_id, equipment_id, tag, minute)`,
  `CREATE TABLE projector_state_v1 (key String, last_lsn UInt64, last_event_ms Int64, updated_ms Int64)
     ENGINE = ReplacingMergeTree(updated_ms) ORDER BY key`,
];
