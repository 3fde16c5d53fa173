-- What the services' CDC watchers read (docs/cdc-health.md): the replication slot's state and the
-- WAL it holds back, and the age of Debezium's last heartbeat, both on the server's own clock.
-- SECURITY DEFINER so that takt_app needs neither SELECT on debezium_heartbeat nor pg_monitor:
-- it can learn these five values and nothing else.
CREATE FUNCTION takt_cdc_health(slot text)
RETURNS TABLE (
  slot_exists boolean,
  slot_active boolean,
  retained_wal_bytes numeric,
  wal_status text,
  heartbeat_age_ms double precision
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT s.slot_name IS NOT NULL,
         coalesce(s.active, false),
         CASE WHEN s.restart_lsn IS NULL THEN NULL
              ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn) END,
         s.wal_status,
         (SELECT extract(epoch FROM clock_timestamp() - max(h.ts)) * 1000 FROM public.debezium_heartbeat h)
    FROM (SELECT 1) AS one
    LEFT JOIN pg_replication_slots s ON s.slot_name = slot
$$;

REVOKE ALL ON FUNCTION takt_cdc_health(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION takt_cdc_health(text) TO takt_app;
