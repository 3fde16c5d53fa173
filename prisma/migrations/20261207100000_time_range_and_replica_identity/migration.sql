-- Accepted time range, partition maintenance and full before images (docs/time-range.md).
-- Hand-written: nothing here is expressible in schema.prisma.

-- ── Sensor partitions cover the whole accepted range ──
-- The API accepts readings from now - 400 days to now + 7 days. Partitions are premade twice the
-- horizon ahead, so a week of failed maintenance still leaves room, and rows in the default
-- partition no longer decide how far ahead maintenance creates (with pg_partman 4.7's default,
-- one reading dated 9999 made every run try to create a partition for it and fail).
UPDATE partman.part_config
   SET premake = 14, ignore_default_data = true
 WHERE parent_table = 'public.fact_sensor_reading';

-- Readings that reached the default partition before the range was enforced: those inside the
-- range move to their daily partition (a partition cannot be created over rows in the default),
-- the others stay where they are and show in takt_partition_default_rows. The owner bypasses RLS
-- only for this one statement; the DO block is one transaction.
DO $$
DECLARE
  first_day timestamptz := date_trunc('day', now() - interval '400 days');
  last_day timestamptz := date_trunc('day', now() + interval '14 days');
  moved bigint;
  d timestamptz;
  part text;
BEGIN
  CREATE TEMP TABLE takt_moved_readings ON COMMIT DROP AS
    SELECT * FROM fact_sensor_reading_default WHERE ts >= first_day AND ts < last_day + interval '1 day';
  DELETE FROM fact_sensor_reading_default WHERE ts >= first_day AND ts < last_day + interval '1 day';
  GET DIAGNOSTICS moved = ROW_COUNT;
  -- Plain DDL under pg_partman's naming (it finds partitions by their suffix): its
  -- create_partition_time costs twice as much per partition, 400 times over.
  FOR d IN SELECT generate_series(first_day, last_day, interval '1 day') LOOP
    part := 'fact_sensor_reading_p' || to_char(d, 'YYYY_MM_DD');
    CONTINUE WHEN to_regclass(part) IS NOT NULL;
    EXECUTE format('CREATE TABLE %I PARTITION OF fact_sensor_reading FOR VALUES FROM (%L) TO (%L)',
      part, d, d + interval '1 day');
  END LOOP;
  IF moved > 0 THEN
    ALTER TABLE fact_sensor_reading NO FORCE ROW LEVEL SECURITY;
    INSERT INTO fact_sensor_reading SELECT * FROM takt_moved_readings;
    ALTER TABLE fact_sensor_reading FORCE ROW LEVEL SECURITY;
  END IF;
END $$;

-- ── Full before images on every partition ──
-- With publish_via_partition_root, an UPDATE's or DELETE's old row is logged by the rules of the
-- partition it lives in, not of the root. New partitions get FULL from the event trigger
-- takt_partition_replica_identity (packages/db/sql/template.sql); these are the existing ones.
DO $$
DECLARE leaf regclass;
BEGIN
  FOR leaf IN
    SELECT t.relid FROM pg_partitioned_table p
      CROSS JOIN LATERAL pg_partition_tree(p.partrelid) t
      JOIN pg_class c ON c.oid = t.relid
      JOIN pg_class r ON r.oid = p.partrelid
     WHERE NOT r.relispartition AND r.relreplident = 'f' AND t.level > 0
       AND c.relkind = 'r' AND c.relreplident <> 'f'
  LOOP
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', leaf);
  END LOOP;
END $$;

-- ── What partition maintenance has achieved, for the ingest service's /metrics ──
-- Per partitioned table: partitions, the start of the oldest and the end of the newest (how many
-- days are premade), rows in the default partition (any stops maintenance for that day) and
-- partitions without full before images. SECURITY DEFINER: partitions are not readable by the
-- services, and the default partition is counted across tenants (no tenant ever leaves here).
CREATE FUNCTION takt_partition_health()
RETURNS TABLE (parent_table text, partitions integer, oldest_start timestamptz, newest_end timestamptz,
               default_rows bigint, without_full_identity integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  parent regclass;
  fallback regclass;
BEGIN
  FOR parent IN
    SELECT p.partrelid::regclass FROM pg_partitioned_table p JOIN pg_class r ON r.oid = p.partrelid
     WHERE NOT r.relispartition AND r.relnamespace = 'public'::regnamespace ORDER BY r.relname
  LOOP
    SELECT count(*)::integer,
           min(substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$FROM \('([^']+)'\)$re$)::timestamptz),
           max(substring(pg_get_expr(c.relpartbound, c.oid) FROM $re$TO \('([^']+)'\)$re$)::timestamptz),
           (count(*) FILTER (WHERE c.relreplident <> 'f'))::integer,
           (array_agg(c.oid) FILTER (WHERE pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'))[1]::regclass
      INTO partitions, oldest_start, newest_end, without_full_identity, fallback
      FROM pg_partition_tree(parent) t JOIN pg_class c ON c.oid = t.relid
     WHERE t.isleaf;
    parent_table := (SELECT relname FROM pg_class WHERE oid = parent);
    default_rows := 0;
    IF fallback IS NOT NULL THEN
      -- Bounded, so a scrape stays cheap even when something floods the default partition.
      EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1000000) d', fallback) INTO default_rows;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
REVOKE ALL ON FUNCTION takt_partition_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION takt_partition_health() TO takt_app;
