-- Tenant-scoped identity (docs/identity.md).
--
-- Fact ids are chosen by clients, so they are unique per tenant, never across tenants: with a
-- global key, tenant A posting tenant B's id got a 409 (an oracle telling A that the id exists
-- somewhere) and A could block B's batches by claiming B's ids first. Every key a client
-- chooses now starts with tenant_id: the four fact tables here; ingest_batch and the sensor
-- readings already did, and codes were always unique per tenant.
--
-- The primary key also keys the Debezium topics, so the change events of these tables carry
-- { tenant_id, id } as their Kafka key from here on.
--
-- Whatever the replica identity of a table is, it survives: FULL does not depend on an index,
-- DEFAULT follows the primary key by itself, and an identity that named the old key index is
-- pointed at the new one (dropping that index would otherwise leave the table with none).
DO $$
DECLARE
  t text;
  via_pkey boolean;
BEGIN
  FOREACH t IN ARRAY ARRAY['fact_shift', 'fact_equipment_state', 'fact_production', 'fact_maintenance']
  LOOP
    SELECT i.indisreplident INTO via_pkey
      FROM pg_constraint c JOIN pg_index i ON i.indexrelid = c.conindid
     WHERE c.conrelid = t::regclass AND c.contype = 'p';
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I PRIMARY KEY (tenant_id, id)',
      t, t || '_pkey', t || '_pkey');
    IF via_pkey THEN
      EXECUTE format('ALTER TABLE %I REPLICA IDENTITY USING INDEX %I', t, t || '_pkey');
    END IF;
  END LOOP;
END $$;

-- The request id of a row is always made by the server; what a client sends to correlate its
-- own logs is kept beside it, only in the one safe shape, and only for batches (docs/identity.md).
ALTER TABLE "ingest_batch" ADD COLUMN "correlation_id" TEXT;
ALTER TABLE ingest_batch ADD CONSTRAINT ingest_batch_correlation_id_chk
  CHECK (correlation_id ~ '^[A-Za-z0-9._-]{1,64}$');
