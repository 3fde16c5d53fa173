#!/usr/bin/env bash
# First start of the container: the same roles, databases and extensions as infra/takt up.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
  -v owner_pw="$TAKT_PG_OWNER_PASSWORD" -v app_pw="$TAKT_PG_APP_PASSWORD" \
  -v dbz_pw="$TAKT_PG_DEBEZIUM_PASSWORD" -v aowner_pw="$TAKT_PG_AUDIT_OWNER_PASSWORD" \
  -v awriter_pw="$TAKT_PG_AUDIT_WRITER_PASSWORD" -f /takt-sql/bootstrap.sql
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d takt -f /takt-sql/template.sql -f /takt-sql/extensions.sql
