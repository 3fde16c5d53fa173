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
