-- Extensions in the takt database that only a superuser may create. Idempotent.
CREATE SCHEMA IF NOT EXISTS partman AUTHORIZATION takt_owner;
CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT ALL ON ALL TABLES IN SCHEMA partman TO takt_owner;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA partman TO takt_owner;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA partman TO takt_owner;
GRANT CONNECT ON DATABASE takt TO takt_app, takt_debezium;
GRANT pg_read_all_stats TO takt_owner;
