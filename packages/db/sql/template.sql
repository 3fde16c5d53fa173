-- Extensions every Takt database starts with. They need a superuser to create, so a
-- superuser runs this once in the template database `takt_template` (see src/template.ts);
-- shadow and test databases are cloned from it, and migrations find the extensions present
-- (write `CREATE EXTENSION IF NOT EXISTS …` in a migration for documentation, never without
-- IF NOT EXISTS). infra/takt up runs this same file in the `takt` database itself.
CREATE SCHEMA IF NOT EXISTS partman AUTHORIZATION takt_owner;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT ALL ON ALL TABLES IN SCHEMA partman TO takt_owner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO takt_owner;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO takt_owner;

-- Every partition of a table with REPLICA IDENTITY FULL gets it too, the moment it is created or
-- attached (pg_partman does not carry it over): with publish_via_partition_root, logical decoding
-- takes the before image of an UPDATE or DELETE from the partition's own setting, and a partial
-- one leaves ClickHouse different from PostgreSQL. Event triggers need a superuser, hence here
-- (docs/time-range.md).
CREATE OR REPLACE FUNCTION public.takt_partition_replica_identity() RETURNS event_trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
  cmd record;
  leaf regclass;
BEGIN
  FOR cmd IN SELECT DISTINCT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table'
  LOOP
    -- The table itself when it is a new partition; every leaf below it after an ATTACH PARTITION.
    FOR leaf IN
      SELECT t.relid FROM pg_partition_tree(cmd.objid) t
        JOIN pg_class c ON c.oid = t.relid
        JOIN pg_class r ON r.oid = pg_partition_root(cmd.objid)
       WHERE t.isleaf AND c.oid <> r.oid AND c.relkind = 'r' AND c.relreplident <> 'f' AND r.relreplident = 'f'
    LOOP
      EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', leaf);
    END LOOP;
  END LOOP;
END $$;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'takt_partition_replica_identity') THEN
    CREATE EVENT TRIGGER takt_partition_replica_identity ON ddl_command_end
      WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
      EXECUTE FUNCTION public.takt_partition_replica_identity();
  END IF;
END $$;
