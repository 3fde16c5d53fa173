#!/usr/bin/env bash
# ClickHouse 18.16 predates its built-in Prometheus endpoint and Debian packages no exporter for it,
# so this loop writes its system tables in the text format for the node exporter's textfile
# collector (docs/observability.md). Names follow the ones later ClickHouse releases serve
# (ClickHouseMetrics_*, ClickHouseProfileEvents_*, ClickHouseAsyncMetrics_*), so rules survive
# an upgrade to the built-in endpoint.
#
#   clickhouse-textfile.sh <clickhouse url> <env file with TAKT_CLICKHOUSE_PASSWORD> <interval s> <out.prom>
set -uo pipefail
url="$1" secrets="$2" interval="$3" out="$4"

read -r -d '' query <<'SQL'
SELECT concat('ClickHouseMetrics_', replaceRegexpAll(metric, '[^a-zA-Z0-9_]', '_'), ' ', toString(value))
FROM system.metrics
UNION ALL
SELECT concat('ClickHouseAsyncMetrics_', replaceRegexpAll(metric, '[^a-zA-Z0-9_]', '_'), ' ', toString(value))
FROM system.asynchronous_metrics
UNION ALL
SELECT concat('ClickHouseProfileEvents_', replaceRegexpAll(event, '[^a-zA-Z0-9_]', '_'), ' ', toString(value))
FROM system.events
UNION ALL
SELECT concat('takt_clickhouse_active_parts{database="', database, '",table="', table, '"} ', toString(count()))
FROM system.parts WHERE active AND database = 'takt' GROUP BY database, table
FORMAT TSVRaw
SQL

while true; do
  # shellcheck disable=SC1090
  source "$secrets"
  if body="$(curl -fsS -m 10 -H 'X-ClickHouse-User: default' \
    -H "X-ClickHouse-Key: ${TAKT_CLICKHOUSE_PASSWORD:-}" --data-binary "$query" "$url/" 2>/dev/null)"; then
    printf '%s\ntakt_clickhouse_up 1\n' "$body" >"$out.tmp"
  else
    printf 'takt_clickhouse_up 0\n' >"$out.tmp"
  fi
  mv -f "$out.tmp" "$out"
  sleep "$interval"
done
