-- CreateTable
CREATE TABLE "tenant" (
    "id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "changed_by" UUID,
    "request_id" TEXT,

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dim_site" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "time_zone" TEXT NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "dim_site_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dim_line" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "site_id" UUID NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "dim_line_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dim_equipment" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "line_id" UUID NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "dim_equipment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dim_product" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ideal_cycle_time_s" DECIMAL(18,6) NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "dim_product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dim_downtime_reason" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "planned" BOOLEAN NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "dim_downtime_reason_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_shift" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "line_id" UUID,
    "equipment_id" UUID,
    "name" TEXT NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3) NOT NULL,
    "batch_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "fact_shift_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_equipment_state" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "equipment_id" UUID NOT NULL,
    "state" TEXT NOT NULL,
    "reason_id" UUID,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3),
    "batch_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "fact_equipment_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_production" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "equipment_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3) NOT NULL,
    "total" INTEGER NOT NULL,
    "good" INTEGER NOT NULL,
    "scrap" INTEGER NOT NULL DEFAULT 0,
    "rework" INTEGER NOT NULL DEFAULT 0,
    "ideal_cycle_time_s" DECIMAL(18,6) NOT NULL,
    "order_id" TEXT,
    "operator_enc" TEXT,
    "batch_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "fact_production_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_maintenance" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "equipment_id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "start_at" TIMESTAMPTZ(3) NOT NULL,
    "end_at" TIMESTAMPTZ(3),
    "technician_enc" TEXT,
    "notes" TEXT,
    "batch_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "fact_maintenance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fact_sensor_reading" (
    "tenant_id" UUID NOT NULL,
    "equipment_id" UUID NOT NULL,
    "tag" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "quality" TEXT NOT NULL DEFAULT 'good',
    "batch_id" UUID NOT NULL,

    CONSTRAINT "fact_sensor_reading_pkey" PRIMARY KEY ("tenant_id","equipment_id","tag","ts")
) PARTITION BY RANGE ("ts"); -- hand-edited: daily partitions, see below

-- CreateTable
CREATE TABLE "ingest_batch" (
    "tenant_id" UUID NOT NULL,
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "record_count" INTEGER NOT NULL,
    "payload_sha256" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "changed_by" UUID NOT NULL,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "ingest_batch_pkey" PRIMARY KEY ("tenant_id","id")
);

-- CreateTable
CREATE TABLE "debezium_heartbeat" (
    "id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "debezium_heartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenant_code_key" ON "tenant"("code");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "api_key"("key_hash");

-- CreateIndex
CREATE INDEX "api_key_tenant_id_idx" ON "api_key"("tenant_id");

-- CreateIndex
CREATE INDEX "dim_site_attributes_gin" ON "dim_site" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE UNIQUE INDEX "dim_site_tenant_id_code_key" ON "dim_site"("tenant_id", "code");

-- CreateIndex
CREATE INDEX "dim_line_site_id_idx" ON "dim_line"("site_id");

-- CreateIndex
CREATE INDEX "dim_line_attributes_gin" ON "dim_line" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE UNIQUE INDEX "dim_line_tenant_id_code_key" ON "dim_line"("tenant_id", "code");

-- CreateIndex
CREATE INDEX "dim_equipment_line_id_idx" ON "dim_equipment"("line_id");

-- CreateIndex
CREATE INDEX "dim_equipment_attributes_gin" ON "dim_equipment" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE UNIQUE INDEX "dim_equipment_tenant_id_code_key" ON "dim_equipment"("tenant_id", "code");

-- CreateIndex
CREATE INDEX "dim_product_attributes_gin" ON "dim_product" USING GIN ("attributes" jsonb_path_ops);

-- CreateIndex
CREATE UNIQUE INDEX "dim_product_tenant_id_code_key" ON "dim_product"("tenant_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "dim_downtime_reason_tenant_id_code_key" ON "dim_downtime_reason"("tenant_id", "code");

-- CreateIndex
CREATE INDEX "fact_shift_tenant_id_line_id_start_at_idx" ON "fact_shift"("tenant_id", "line_id", "start_at");

-- CreateIndex
CREATE INDEX "fact_shift_tenant_id_equipment_id_start_at_idx" ON "fact_shift"("tenant_id", "equipment_id", "start_at");

-- CreateIndex
CREATE INDEX "fact_equipment_state_tenant_id_equipment_id_start_at_idx" ON "fact_equipment_state"("tenant_id", "equipment_id", "start_at");

-- CreateIndex
CREATE INDEX "fact_production_tenant_id_equipment_id_end_at_idx" ON "fact_production"("tenant_id", "equipment_id", "end_at");

-- CreateIndex
CREATE INDEX "fact_production_product_id_idx" ON "fact_production"("product_id");

-- CreateIndex
CREATE INDEX "fact_maintenance_tenant_id_equipment_id_start_at_idx" ON "fact_maintenance"("tenant_id", "equipment_id", "start_at");

-- CreateIndex
CREATE INDEX "fact_sensor_reading_ts_brin" ON "fact_sensor_reading" USING BRIN ("ts");

-- AddForeignKey
ALTER TABLE "dim_line" ADD CONSTRAINT "dim_line_site_id_fkey" FOREIGN KEY ("site_id") REFERENCES "dim_site"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "dim_equipment" ADD CONSTRAINT "dim_equipment_line_id_fkey" FOREIGN KEY ("line_id") REFERENCES "dim_line"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_shift" ADD CONSTRAINT "fact_shift_line_id_fkey" FOREIGN KEY ("line_id") REFERENCES "dim_line"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_shift" ADD CONSTRAINT "fact_shift_equipment_id_fkey" FOREIGN KEY ("equipment_id") REFERENCES "dim_equipment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_equipment_state" ADD CONSTRAINT "fact_equipment_state_equipment_id_fkey" FOREIGN KEY ("equipment_id") REFERENCES "dim_equipment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_equipment_state" ADD CONSTRAINT "fact_equipment_state_reason_id_fkey" FOREIGN KEY ("reason_id") REFERENCES "dim_downtime_reason"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_production" ADD CONSTRAINT "fact_production_equipment_id_fkey" FOREIGN KEY ("equipment_id") REFERENCES "dim_equipment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_production" ADD CONSTRAINT "fact_production_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "dim_product"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fact_maintenance" ADD CONSTRAINT "fact_maintenance_equipment_id_fkey" FOREIGN KEY ("equipment_id") REFERENCES "dim_equipment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ─── Hand-written part: what Prisma's schema language cannot express ───────────────────

-- btree_gist lets EXCLUDE constraints mix equality on uuid with range overlap.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The tenant of the current transaction, set by the services with set_config(…, true).
-- An unset or empty setting yields NULL, which matches no row.
CREATE OR REPLACE FUNCTION takt_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- Times are timestamptz(3), which would round sub-millisecond digits; the ingest service
-- truncates them before writing (DESIGN §6), so the column never has to round.

-- ── CHECK constraints ──
ALTER TABLE dim_site ADD CONSTRAINT dim_site_code_chk CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE dim_line ADD CONSTRAINT dim_line_code_chk CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE dim_equipment ADD CONSTRAINT dim_equipment_code_chk CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE dim_product ADD CONSTRAINT dim_product_code_chk CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE dim_product ADD CONSTRAINT dim_product_ideal_cycle_time_chk CHECK (ideal_cycle_time_s > 0);
ALTER TABLE dim_downtime_reason ADD CONSTRAINT dim_downtime_reason_code_chk CHECK (code ~ '^[A-Za-z0-9._-]{1,64}$');
ALTER TABLE api_key ADD CONSTRAINT api_key_scopes_chk
  CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['ingest','read','audit','admin']::text[]);
ALTER TABLE fact_shift ADD CONSTRAINT fact_shift_owner_chk CHECK ((line_id IS NULL) <> (equipment_id IS NULL));
ALTER TABLE fact_shift ADD CONSTRAINT fact_shift_interval_chk CHECK (end_at > start_at);
ALTER TABLE fact_equipment_state ADD CONSTRAINT fact_equipment_state_state_chk
  CHECK (state IN ('running', 'stopped', 'planned_stop'));
ALTER TABLE fact_equipment_state ADD CONSTRAINT fact_equipment_state_interval_chk CHECK (end_at IS NULL OR end_at > start_at);
ALTER TABLE fact_equipment_state ADD CONSTRAINT fact_equipment_state_reason_chk CHECK (reason_id IS NULL OR state <> 'running');
ALTER TABLE fact_production ADD CONSTRAINT fact_production_counts_chk
  CHECK (total >= 0 AND good >= 0 AND scrap >= 0 AND rework >= 0 AND good + scrap + rework <= total);
ALTER TABLE fact_production ADD CONSTRAINT fact_production_interval_chk CHECK (end_at > start_at);
ALTER TABLE fact_production ADD CONSTRAINT fact_production_ideal_chk CHECK (ideal_cycle_time_s > 0);
ALTER TABLE fact_maintenance ADD CONSTRAINT fact_maintenance_kind_chk CHECK (kind IN ('preventive', 'corrective'));
ALTER TABLE fact_maintenance ADD CONSTRAINT fact_maintenance_interval_chk CHECK (end_at IS NULL OR end_at > start_at);
ALTER TABLE fact_sensor_reading ADD CONSTRAINT fact_sensor_reading_quality_chk CHECK (quality IN ('good', 'uncertain', 'bad'));
ALTER TABLE ingest_batch ADD CONSTRAINT ingest_batch_kind_chk
  CHECK (kind IN ('sensor', 'production', 'state', 'shift', 'maintenance'));

-- ── No overlapping intervals of one owner (DESIGN §6) ──
ALTER TABLE fact_shift ADD CONSTRAINT fact_shift_line_no_overlap
  EXCLUDE USING gist (line_id WITH =, tstzrange(start_at, end_at) WITH &&) WHERE (line_id IS NOT NULL);
ALTER TABLE fact_shift ADD CONSTRAINT fact_shift_equipment_no_overlap
  EXCLUDE USING gist (equipment_id WITH =, tstzrange(start_at, end_at) WITH &&) WHERE (equipment_id IS NOT NULL);
ALTER TABLE fact_equipment_state ADD CONSTRAINT fact_equipment_state_no_overlap
  EXCLUDE USING gist (equipment_id WITH =, tstzrange(start_at, coalesce(end_at, 'infinity')) WITH &&);

-- ── Indexes for the real query patterns ──
-- Code lookups on every request read only live rows and never touch the heap. Partial, so
-- generated diffs leave them alone (Prisma ignores partial indexes).
CREATE INDEX dim_equipment_live_code ON dim_equipment (tenant_id, code) INCLUDE (id, line_id) WHERE deleted_at IS NULL;
CREATE INDEX dim_line_live_code ON dim_line (tenant_id, code) INCLUDE (id) WHERE deleted_at IS NULL;
CREATE INDEX dim_product_live_code ON dim_product (tenant_id, code) INCLUDE (id, ideal_cycle_time_s) WHERE deleted_at IS NULL;
CREATE INDEX dim_downtime_reason_live_code ON dim_downtime_reason (tenant_id, code) INCLUDE (id, planned) WHERE deleted_at IS NULL;
-- The open state of an equipment is looked up by every state event; at most one exists.
CREATE UNIQUE INDEX fact_equipment_state_open ON fact_equipment_state (equipment_id) INCLUDE (id, start_at) WHERE end_at IS NULL;
CREATE INDEX api_key_live_hash ON api_key (key_hash) INCLUDE (tenant_id, scopes) WHERE revoked_at IS NULL;

-- ── Sensor readings: daily range partitions kept by pg_partman ──
-- (the table above is declared PARTITION BY RANGE; its BRIN index on ts is in schema.prisma)
SELECT partman.create_parent(
  p_parent_table => 'public.fact_sensor_reading',
  p_control => 'ts',
  p_type => 'native',
  p_interval => 'daily',
  p_premake => 7,
  p_start_partition => to_char(date_trunc('day', now() - interval '7 days'), 'YYYY-MM-DD')
);
-- Readings older than 400 days are dropped with their partition; the audit log keeps their batches.
UPDATE partman.part_config
   SET retention = '400 days', retention_keep_table = false, infinite_time_partitions = true
 WHERE parent_table = 'public.fact_sensor_reading';

-- ── Row level security: every tenant-owned table, forced, so even the owner is filtered ──
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['api_key', 'dim_site', 'dim_line', 'dim_equipment', 'dim_product',
    'dim_downtime_reason', 'fact_shift', 'fact_equipment_state', 'fact_production',
    'fact_maintenance', 'fact_sensor_reading', 'ingest_batch']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = takt_current_tenant()) '
      'WITH CHECK (tenant_id = takt_current_tenant())', t);
  END LOOP;
END $$;
ALTER TABLE tenant ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant USING (id = takt_current_tenant()) WITH CHECK (id = takt_current_tenant());
-- The bootstrap command finds a tenant by its code before it knows the id.
CREATE POLICY tenant_lookup ON tenant FOR SELECT USING (code = nullif(current_setting('app.tenant_code', true), ''));
-- Authentication finds a key by its hash before the tenant is known; the caller must present the
-- hash of a real key, which it can only compute from the key itself.
CREATE POLICY api_key_lookup ON api_key FOR SELECT USING (key_hash = nullif(current_setting('app.key_hash', true), ''));

-- ── CDC: full before images, and the publication Debezium reads (not auto-created) ──
ALTER TABLE tenant REPLICA IDENTITY FULL;
ALTER TABLE api_key REPLICA IDENTITY FULL;
ALTER TABLE dim_site REPLICA IDENTITY FULL;
ALTER TABLE dim_line REPLICA IDENTITY FULL;
ALTER TABLE dim_equipment REPLICA IDENTITY FULL;
ALTER TABLE dim_product REPLICA IDENTITY FULL;
ALTER TABLE dim_downtime_reason REPLICA IDENTITY FULL;
ALTER TABLE fact_shift REPLICA IDENTITY FULL;
ALTER TABLE fact_equipment_state REPLICA IDENTITY FULL;
ALTER TABLE fact_production REPLICA IDENTITY FULL;
ALTER TABLE fact_maintenance REPLICA IDENTITY FULL;
ALTER TABLE fact_sensor_reading REPLICA IDENTITY FULL;
ALTER TABLE ingest_batch REPLICA IDENTITY FULL;
CREATE PUBLICATION takt_publication FOR TABLE
  tenant, api_key, dim_site, dim_line, dim_equipment, dim_product, dim_downtime_reason,
  fact_shift, fact_equipment_state, fact_production, fact_maintenance, fact_sensor_reading,
  ingest_batch, debezium_heartbeat
  WITH (publish_via_partition_root = true);

-- ── Grants: the services' role reads and writes rows, never deletes or alters tables ──
GRANT USAGE ON SCHEMA public TO takt_app, takt_debezium;
GRANT SELECT, INSERT, UPDATE ON tenant, api_key, dim_site, dim_line, dim_equipment, dim_product,
  dim_downtime_reason, fact_shift, fact_equipment_state, fact_production, fact_maintenance,
  fact_sensor_reading, ingest_batch TO takt_app;
GRANT EXECUTE ON FUNCTION takt_current_tenant() TO takt_app;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO takt_debezium;
GRANT INSERT, UPDATE ON debezium_heartbeat TO takt_debezium;
