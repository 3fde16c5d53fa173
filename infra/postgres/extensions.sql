-- Grants on the takt database itself. The extensions come first from
-- packages/db/sql/template.sql, the one list every Takt database starts with.
GRANT CONNECT ON DATABASE takt TO takt_app, takt_debezium;
GRANT pg_read_all_stats TO takt_owner;
