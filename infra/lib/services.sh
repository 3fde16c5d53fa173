# The Takt database schema, the CDC connector and the Takt services, on top of the engines.

INGEST_PORT="${INGEST_PORT:-3001}"
AUDIT_PORT="${AUDIT_PORT:-3003}"
QUERY_PORT="${QUERY_PORT:-3002}"
PROJECTOR_PORT="${PROJECTOR_PORT:-3004}"
# Debezium creates a table's topic only at its first change; the projector subscribes to all.
CDC_TOPICS=(tenant api_key dim_site dim_line dim_equipment dim_product dim_downtime_reason fact_shift
  fact_equipment_state fact_production fact_maintenance fact_sensor_reading ingest_batch)

pg_owner_url() { printf 'postgresql://takt_owner:%s@%s:%s/%s' "$TAKT_PG_OWNER_PASSWORD" "$PG_HOST" "$PG_PORT" "${1:-takt}"; }
pg_audit_url() { printf 'postgresql://%s:%s@%s:%s/takt_audit' "$1" "$2" "$PG_HOST" "$PG_PORT"; }
pg_app_url() { printf 'postgresql://takt_app:%s@%s:%s/%s' "$TAKT_PG_APP_PASSWORD" "$PG_HOST" "$PG_PORT" "${1:-takt}"; }

db_generate() {
  log_info "prisma generate"
  local out
  out="$(cd "$TAKT_REPO_DIR" && pnpm --silent db:generate 2>&1)" || {
    printf '%s\n' "$out" >&2
    return 1
  }
}

db_migrate() {
  pg_secrets
  log_info "prisma migrate deploy (takt)"
  local out
  out="$(cd "$TAKT_REPO_DIR" && DATABASE_URL="$(pg_owner_url)" pnpm --silent exec prisma migrate deploy 2>&1)" || {
    printf '%s\n' "$out" >&2
    log_err "migrations failed"
    return 1
  }
}

# Keys encrypting personal data, generated once per machine: losing them loses the data they sealed.
pii_secret() {
  local f
  f="$(state_dir secrets)/pii-keys"
  if [[ ! -s "$f" ]]; then
    (umask 077 && cd "$TAKT_REPO_DIR/services/ingest" &&
      ./node_modules/.bin/tsx -e "import { generateKeyringSpec } from '@takt/crypto'; process.stdout.write(generateKeyringSpec(['k1']))" >"$f.tmp" &&
      mv "$f.tmp" "$f")
  fi
  printf '%s' "$f"
}

# Generated once: a lost key only means later checkpoints are signed by a new one.
audit_signing_key() {
  local f
  f="$(state_dir secrets)/audit-signing-key.pem"
  [[ -s "$f" ]] || (cd "$TAKT_REPO_DIR/services/audit" && ./node_modules/.bin/tsx src/cli.ts keygen --out "$f" >/dev/null)
  printf '%s' "$f"
}

# The public keys audit verification trusts. Each up adds the active signing key's; the keys it
# replaced stay until removed by hand (see docs/audit-verification.md for rotation).
audit_trusted_keys() {
  local f
  f="$(state_dir secrets)/audit-trusted-keys.pem"
  (cd "$TAKT_REPO_DIR/services/audit" && ./node_modules/.bin/tsx src/cli.ts trust --key "$1" --trusted "$f")
  printf '%s' "$f"
}

audit_migrate() {
  pg_secrets
  (cd "$TAKT_REPO_DIR/services/audit" &&
    AUDIT_OWNER_DATABASE_URL="$(pg_audit_url takt_audit_owner "$TAKT_PG_AUDIT_OWNER_PASSWORD")" \
      ./node_modules/.bin/tsx src/cli.ts migrate >/dev/null)
}

cdc_up() {
  db_migrate
  pg_secrets
  connect_register "$TAKT_REPO_DIR/infra/connect/takt-postgres.json" \
    database.hostname="$PG_HOST" database.port="$PG_PORT" database.password="$TAKT_PG_DEBEZIUM_PASSWORD"
  connect_wait_running takt-postgres 60 || {
    connect_connector_state takt-postgres || true
    log_err "the CDC connector is not running; see infra/takt logs connect"
    return 1
  }
}

# service_start <name> <port> <dir> <env...>: a Takt service under tsx, ready when /readyz says so.
service_start() {
  local name="$1" port="$2" dir="$3"
  shift 3
  if is_running "$name"; then
    log_ok "$name already running on http://127.0.0.1:$port"
    return 0
  fi
  port_free "$port" || { log_err "port $port is taken by a process that is not ours"; return 1; }
  log_info "starting $name on http://127.0.0.1:$port"
  start_bg "$name" env "$@" PORT="$port" "$TAKT_REPO_DIR/$dir/node_modules/.bin/tsx" "$TAKT_REPO_DIR/$dir/src/main.ts"
  wait_http "http://127.0.0.1:$port/readyz" 60 || fail_with_log "$name" "check its configuration in infra/lib/services.sh"
}

# What query, projector and audit watch of the CDC source (docs/cdc-health.md): the connector
# cdc_up registers, its slot, and the slot and heartbeat through takt_cdc_health() as takt_app.
cdc_watch_env() {
  printf '%s\n' CDC_CONNECT_URL="$(connect_url)" CDC_CONNECTOR=takt-postgres CDC_SLOT=takt_slot \
    CDC_MONITOR_DATABASE_URL="$(pg_app_url)"
}

demo_keys() {
  local f
  f="$(state_dir secrets)/demo-keys.json"
  if [[ ! -s "$f" ]]; then
    log_info "creating the demo tenant and its API keys"
    (umask 077 && cd "$TAKT_REPO_DIR/services/ingest" &&
      DATABASE_URL="$(pg_app_url)" ./node_modules/.bin/tsx src/cli.ts bootstrap-tenant --code demo --name "Demo Plant" \
        --scopes admin,ingest,read,audit --each >"$f.tmp" && mv "$f.tmp" "$f")
  fi
  printf '%s' "$f"
}

# The demo history starts at a fixed instant (chosen at the first up): the simulator's facts are
# derived from the seed and time, so every later run re-posts the same facts and continues.
simulator_from() {
  local f
  f="$(state_dir simulator)/from"
  [[ -s "$f" ]] || date -u -d '-2 days' +%Y-%m-%dT%H:00:00Z >"$f"
  cat "$f"
}

simulator_start() {
  if is_running simulator; then
    log_ok "simulator already running"
    return 0
  fi
  log_info "starting the factory simulator (demo tenant: history from $(simulator_from), then live)"
  start_bg simulator env TAKT_INGEST_URL="http://127.0.0.1:$INGEST_PORT" TAKT_KEYS_FILE="$(demo_keys)" \
    "$TAKT_REPO_DIR/services/simulator/node_modules/.bin/tsx" "$TAKT_REPO_DIR/services/simulator/src/cli.ts" \
    --machines 12 --lines 4 --seed demo --from "$(simulator_from)" --sensor-interval 30s --live
}

takt_services_up() {
  pg_secrets
  local cdc_watch
  mapfile -t cdc_watch < <(cdc_watch_env)
  service_start ingest "$INGEST_PORT" services/ingest \
    DATABASE_URL="$(pg_app_url)" TAKT_PII_KEYS_FILE="$(pii_secret)" LOG_LEVEL="${LOG_LEVEL:-info}"
  demo_keys >/dev/null
  simulator_start
  clickhouse_secret
  kafka_create_topics --partitions 4 takt.projector.dirty
  # Announcements matter only to query instances running now: each starts reading at the end.
  kafka_create_topics --partitions 4 --config retention.ms=3600000 takt.projector.applied
  kafka_create_topics "${CDC_TOPICS[@]/#/takt.public.}"
  (cd "$TAKT_REPO_DIR/services/projector" && CLICKHOUSE_URL="$(clickhouse_url)" CLICKHOUSE_PASSWORD="$TAKT_CLICKHOUSE_PASSWORD" \
    CLICKHOUSE_DATABASE=takt ./node_modules/.bin/tsx src/cli.ts migrate >/dev/null)
  service_start projector "$PROJECTOR_PORT" services/projector \
    CLICKHOUSE_URL="$(clickhouse_url)" CLICKHOUSE_PASSWORD="$TAKT_CLICKHOUSE_PASSWORD" CLICKHOUSE_DATABASE=takt \
    KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" KAFKA_TOPIC_PREFIX=takt LOG_LEVEL="${LOG_LEVEL:-info}" \
    "${cdc_watch[@]}"
  service_start query "$QUERY_PORT" services/query \
    CLICKHOUSE_URL="$(clickhouse_url)" CLICKHOUSE_USER=default CLICKHOUSE_PASSWORD="$TAKT_CLICKHOUSE_PASSWORD" \
    CLICKHOUSE_DATABASE=takt KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" KAFKA_TOPIC_PREFIX=takt \
    API_KEYS_DATABASE_URL="$(pg_app_url)" LOG_LEVEL="${LOG_LEVEL:-info}" "${cdc_watch[@]}"
  audit_migrate
  service_start audit "$AUDIT_PORT" services/audit \
    DATABASE_URL="$(pg_audit_url takt_audit_writer "$TAKT_PG_AUDIT_WRITER_PASSWORD")" \
    API_KEYS_DATABASE_URL="$(pg_app_url)" AUDIT_SIGNING_KEY_FILE="$(audit_signing_key)" \
    AUDIT_TRUSTED_KEYS_FILE="$(audit_trusted_keys "$(audit_signing_key)")" \
    KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}" KAFKA_TOPIC_PREFIX=takt LOG_LEVEL="${LOG_LEVEL:-info}" \
    "${cdc_watch[@]}"
}

# Reverse order of start: consumers first, then the service that feeds them.
takt_services_down() {
  stop_pid simulator 15
  stop_pid audit 15
  stop_pid query 15
  stop_pid projector 15
  stop_pid ingest 15
}

service_status() {
  local name="$1" port="$2"
  if is_running "$name" && curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
    printf '%-12s %-8s %s\n' "$name" up "http://127.0.0.1:$port pid $(cat "$(pid_file "$name")")"
  elif is_running "$name"; then
    printf '%-12s %-8s %s\n' "$name" starting "http://127.0.0.1:$port (not ready) pid $(cat "$(pid_file "$name")")"
  else
    printf '%-12s %-8s %s\n' "$name" down "http://127.0.0.1:$port"
  fi
}

takt_services_status() {
  if is_running simulator; then
    printf '%-12s %-8s %s\n' simulator up "pid $(cat "$(pid_file simulator)"), log $(log_file simulator)"
  else
    printf '%-12s %-8s\n' simulator down
  fi
  service_status ingest "$INGEST_PORT"
  service_status projector "$PROJECTOR_PORT"
  service_status query "$QUERY_PORT"
  service_status audit "$AUDIT_PORT"
}

takt_services_urls() {
  local keys
  keys="$(state_dir secrets)/demo-keys.json"
  cat <<TXT
  ingest            http://127.0.0.1:$INGEST_PORT   (OpenAPI at /docs)
  query             http://127.0.0.1:$QUERY_PORT   (OpenAPI at /docs)
  projector         http://127.0.0.1:$PROJECTOR_PORT   (/healthz, /readyz, /metrics)
  audit             http://127.0.0.1:$AUDIT_PORT   (OpenAPI at /docs)

  Demo tenant "demo" API keys (also in $keys):
TXT
  [[ -s "$keys" ]] && jq -r '.keys[] | "    \(.scopes | join(","))\t\(.key)"' "$keys"
  cat <<TXT

  OEE of one simulated machine today (the simulator posts live data; numbers move within a minute):
    curl -s "http://127.0.0.1:$QUERY_PORT/v1/oee?scope=equipment&ids=cnc-03&granularity=hour&from=$(date -u +%Y-%m-%dT00:00:00Z)&to=$(date -u -d tomorrow +%Y-%m-%dT00:00:00Z)" \\
      -H "authorization: Bearer \$(jq -r '.keys[] | select(.scopes == ["read"]) | .key' $keys)" | jq
TXT
}
