-- Roles and databases of Takt. Run as a superuser with psql variables owner_pw, app_pw,
-- dbz_pw, aowner_pw, awriter_pw. Idempotent: used by infra/takt up and by docker-compose.
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY['takt_owner','takt_app','takt_debezium','takt_audit_owner','takt_audit_writer']) r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
-- The owner runs migrations and creates test/shadow databases. It is not a superuser, and
-- FORCE ROW LEVEL SECURITY applies to it too.
ALTER ROLE takt_owner NOSUPERUSER CREATEDB NOBYPASSRLS PASSWORD :'owner_pw';
ALTER ROLE takt_owner SET statement_timeout = '10min';
ALTER ROLE takt_owner SET lock_timeout = '10s';
-- The services' role: never bypasses RLS, short timeouts so a stuck query cannot pile up.
ALTER ROLE takt_app NOSUPERUSER NOCREATEDB NOBYPASSRLS PASSWORD :'app_pw';
ALTER ROLE takt_app SET statement_timeout = '15s';
ALTER ROLE takt_app SET lock_timeout = '5s';
ALTER ROLE takt_app SET idle_in_transaction_session_timeout = '60s';
-- Debezium reads every tenant's rows for its snapshot, so it bypasses RLS; snapshots run
-- long transactions, so it gets no statement or idle timeout.
ALTER ROLE takt_debezium NOSUPERUSER REPLICATION BYPASSRLS PASSWORD :'dbz_pw';
ALTER ROLE takt_audit_owner NOSUPERUSER NOBYPASSRLS PASSWORD :'aowner_pw';
ALTER ROLE takt_audit_owner SET lock_timeout = '10s';
ALTER ROLE takt_audit_writer NOSUPERUSER NOBYPASSRLS PASSWORD :'awriter_pw';
ALTER ROLE takt_audit_writer SET statement_timeout = '30s';
ALTER ROLE takt_audit_writer SET lock_timeout = '5s';
ALTER ROLE takt_audit_writer SET idle_in_transaction_session_timeout = '60s';
SELECT 'CREATE DATABASE takt OWNER takt_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'takt') \gexec
SELECT 'CREATE DATABASE takt_audit OWNER takt_audit_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'takt_audit') \gexec
