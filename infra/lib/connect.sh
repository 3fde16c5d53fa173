# Kafka Connect (distributed mode, one worker) with the Debezium Postgres plugin, for the local
# stack. Sourced (with common.sh and kafka.sh, in any order), never executed. Same jars as the broker
# ($TAKT_CACHE_DIR/kafka-<ver>/libs); plugin.path = $TAKT_CACHE_DIR/debezium-<ver>/plugins.
#
# Env: CONNECT_PORT (8083), CONNECT_HEAP_OPTS (-Xms256m -Xmx768m), CONNECT_START_TIMEOUT (120 s),
#      CONNECT_PLUGIN_DISCOVERY (service_load), plus kafka.sh's KAFKA_PORT.
# Functions: connect_install, connect_start, connect_stop, connect_status, connect_url,
#            connect_register <connector.json> [key=value...], connect_connector_state <name>,
#            connect_wait_running <name> [timeout_s], connect_delete <name>

CONNECT_PORT="${CONNECT_PORT:-8083}"
CONNECT_HEAP_OPTS="${CONNECT_HEAP_OPTS:--Xms256m -Xmx768m}"
CONNECT_START_TIMEOUT="${CONNECT_START_TIMEOUT:-120}"
CONNECT_PLUGIN_DISCOVERY="${CONNECT_PLUGIN_DISCOVERY:-service_load}"
CONNECT_GROUP_ID=takt-connect
CONNECT_CONFIGS_TOPIC=takt-connect-configs
CONNECT_OFFSETS_TOPIC=takt-connect-offsets
CONNECT_STATUS_TOPIC=takt-connect-status

connect_url() { printf 'http://127.0.0.1:%s' "$CONNECT_PORT"; }

_connect_need_jq() {
  command -v jq >/dev/null && return 0
  if declare -F apt_install >/dev/null; then
    apt_install jq
  else
    log_err "jq is required (apt-get install jq)"
    return 1
  fi
}

connect_install() {
  kafka_install || return 1
  [[ -d "$(debezium_plugin_dir)/debezium-connector-postgres" ]] || {
    log_err "Debezium plugin missing in $(debezium_plugin_dir); remove $(debezium_home) and retry"
    return 1
  }
  _connect_need_jq
}

_connect_render() {
  local dir="$1" tmpl="$TAKT_REPO_DIR/infra/connect/connect-distributed.properties"
  sed -e "s|@KAFKA_BOOTSTRAP@|$(kafka_bootstrap)|g" -e "s|@CONNECT_PORT@|$CONNECT_PORT|g" \
    -e "s|@CONNECT_PLUGIN_PATH@|$(debezium_plugin_dir)|g" \
    -e "s|@CONNECT_PLUGIN_DISCOVERY@|$CONNECT_PLUGIN_DISCOVERY|g" \
    -e "s|@CONNECT_GROUP_ID@|$CONNECT_GROUP_ID|g" -e "s|@CONNECT_CONFIGS_TOPIC@|$CONNECT_CONFIGS_TOPIC|g" \
    -e "s|@CONNECT_OFFSETS_TOPIC@|$CONNECT_OFFSETS_TOPIC|g" -e "s|@CONNECT_STATUS_TOPIC@|$CONNECT_STATUS_TOPIC|g" \
    -e "s|@CONNECT_OFFSETS_PARTITIONS@|1|g" -e "s|@CONNECT_STATUS_PARTITIONS@|1|g" \
    -e "s|@KAFKA_MESSAGE_MAX_BYTES@|$KAFKA_MESSAGE_MAX_BYTES|g" \
    "$tmpl" >"$dir/connect-distributed.properties"
}

connect_start() {
  if _kafka_running connect "$KAFKA_MAIN_CONNECT"; then
    log_ok "Kafka Connect already running on $(connect_url) (pid $(cat "$(pid_file connect)"))"
    return 0
  fi
  rm -f "$(pid_file connect)"
  port_free "$CONNECT_PORT" || {
    log_err "port $CONNECT_PORT is taken by a process that is not ours (CONNECT_PORT to move)"
    return 1
  }
  connect_install || return 1
  local dir t0
  t0=$SECONDS
  dir="$(state_dir connect)"
  # Connect's internal topics: compacted, RF 1; the config topic must have exactly 1 partition.
  kafka_create_topics --partitions 1 --config cleanup.policy=compact \
    "$CONNECT_CONFIGS_TOPIC" "$CONNECT_OFFSETS_TOPIC" "$CONNECT_STATUS_TOPIC" || {
    log_err "Kafka Connect needs Kafka at $(kafka_bootstrap) (kafka_start first)"
    return 1
  }
  _connect_render "$dir" || return 1
  _kafka_rotate_log connect
  log_info "starting Kafka Connect $(kafka_version) with Debezium $(debezium_version) on $(connect_url)"
  # shellcheck disable=SC2086 # CONNECT_HEAP_OPTS and the agent are lists of JVM flags
  start_bg connect "$(kafka_java)" $CONNECT_HEAP_OPTS $(_kafka_agent connect "${CONNECT_METRICS_PORT:-9405}") -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$TAKT_REPO_DIR/infra/connect/log4j2.yaml" \
    -cp "$(kafka_libs)/*" "$KAFKA_MAIN_CONNECT" "$dir/connect-distributed.properties"
  # Ready = the herder answers /connectors (the REST port opens before the worker joins its group).
  local deadline=$((SECONDS + CONNECT_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! is_running connect; then
      fail_with_log connect "the worker exited; is Kafka up on $(kafka_bootstrap)?"
      return 1
    fi
    if curl -fsS -m 5 -o /dev/null "$(connect_url)/connectors" 2>/dev/null; then
      if ! curl -fsS -m 5 "$(connect_url)/connector-plugins" 2>/dev/null |
        grep -q 'io.debezium.connector.postgresql.PostgresConnector'; then
        log_warn "PostgresConnector is not among the worker's plugins (plugin.path $(debezium_plugin_dir))"
      fi
      log_ok "Kafka Connect ready on $(connect_url) in $((SECONDS - t0))s (pid $(cat "$(pid_file connect)"))"
      return 0
    fi
    sleep 1
  done
  fail_with_log connect "REST $(connect_url)/connectors did not answer within ${CONNECT_START_TIMEOUT}s (CONNECT_START_TIMEOUT)"
}

connect_stop() {
  local pf
  pf="$(pid_file connect)"
  if [[ -f "$pf" ]] && ! _kafka_running connect "$KAFKA_MAIN_CONNECT"; then
    rm -f "$pf"
  fi
  [[ -f "$pf" ]] || { log_ok "Kafka Connect not running"; return 0; }
  log_info "stopping Kafka Connect (pid $(cat "$pf"))"
  stop_pid connect 60
  log_ok "Kafka Connect stopped"
}

# connect_status: the worker's line in the stack's status format, then one indented line per
# connector and task (connect_connector_state). Always exit 0.
connect_status() {
  if ! _kafka_running connect "$KAFKA_MAIN_CONNECT"; then
    printf '%-12s %-8s %s\n' connect down "$(connect_url)"
    return 0
  fi
  local pid names n
  pid="$(cat "$(pid_file connect)")"
  printf '%-12s %-8s %s\n' connect up "$(connect_url) pid $pid rss $(($(ps -o rss= -p "$pid") / 1024))MiB"
  names="$(curl -fsS -m 5 "$(connect_url)/connectors" 2>/dev/null | jq -r '.[]' 2>/dev/null)" || {
    printf '%-12s %s\n' '' '(REST not answering yet)'
    return 0
  }
  for n in $names; do
    connect_connector_state "$n" | sed 's/^/             /' || true
  done
}

# _connect_http <method> <path> [body]: prints the body, then a last line with the HTTP code.
_connect_http() {
  local method="$1" path="$2" body="${3:-}"
  if [[ -n "$body" ]]; then
    curl -sS -m 30 -X "$method" -H 'Content-Type: application/json' --data-binary "$body" \
      -w '\n%{http_code}' "$(connect_url)$path"
  else
    curl -sS -m 30 -X "$method" -w '\n%{http_code}' "$(connect_url)$path"
  fi
}

# connect_register <connector.json> [key=value...]
# The file is {"name": ..., "config": {...}} (the POST /connectors shape). key=value pairs
# override config entries. infra/connect/takt-postgres.json carries local-demo defaults
# (127.0.0.1:5432, password takt_debezium); the stack passes the real ones, e.g.
#   connect_register infra/connect/takt-postgres.json database.hostname="$PG_HOST" \
#     database.port="$PG_PORT" database.password="$TAKT_PG_DEBEZIUM_PASSWORD"
# Idempotent: the config is PUT only when it differs from what the worker has (a PUT of the
# same config would still restart the connector).
connect_register() {
  local file="$1"
  shift
  _connect_need_jq || return 1
  [[ -f "$file" ]] || { log_err "connect_register: no such file $file"; return 1; }
  local name desired kv current resp code
  name="$(jq -er '.name' "$file")" || { log_err "connect_register: $file has no .name"; return 1; }
  desired="$(jq -ec '.config' "$file")" || { log_err "connect_register: $file has no .config"; return 1; }
  for kv in "$@"; do
    [[ "$kv" == *=* ]] || { log_err "connect_register: override '$kv' is not key=value"; return 1; }
    desired="$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '.[$k] = $v' <<<"$desired")"
  done
  # Connect stores every value as a string and adds "name"; compare in that form.
  desired="$(jq -Sc --arg n "$name" '. + {name: $n} | map_values(if type == "string" then . else tostring end)' <<<"$desired")"
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    resp="$(_connect_http GET "/connectors/$name/config")" || resp=$'\n000'
    code="${resp##*$'\n'}"
    case "$code" in
      200)
        current="$(jq -Sc . <<<"${resp%$'\n'*}")"
        if [[ "$current" == "$desired" ]]; then
          log_ok "connector $name already registered, config unchanged"
          return 0
        fi
        break
        ;;
      404) break ;;
    esac
    sleep 1 # 409/500/503 while the worker (re)joins its group
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    resp="$(_connect_http PUT "/connectors/$name/config" "$desired")" || resp=$'\n000'
    code="${resp##*$'\n'}"
    case "$code" in
      201) log_ok "connector $name created"; return 0 ;;
      200) log_ok "connector $name config updated"; return 0 ;;
      400 | 422)
        log_err "Connect rejected $name ($code):"
        jq -r '.message // .' <<<"${resp%$'\n'*}" >&2 2>/dev/null || printf '%s\n' "${resp%$'\n'*}" >&2
        return 1
        ;;
    esac
    sleep 1
  done
  log_err "could not register $name at $(connect_url) (last HTTP $code): ${resp%$'\n'*}"
  return 1
}

# connect_connector_state <name>: "<name>: <STATE>" then "task <id>: <STATE>" lines (with the
# first line of the trace for FAILED ones). Exit 1 when the connector is unknown.
connect_connector_state() {
  local name="$1" resp code
  resp="$(_connect_http GET "/connectors/$name/status")" || resp=$'\n000'
  code="${resp##*$'\n'}"
  if [[ "$code" != 200 ]]; then
    echo "$name: UNKNOWN (HTTP $code)"
    return 1
  fi
  jq -r '
    "\(.name): \(.connector.state)" + (if .connector.trace then " - " + (.connector.trace | split("\n")[0]) else "" end),
    (.tasks[] | "task \(.id): \(.state)" + (if .trace then " - " + (.trace | split("\n")[0]) else "" end))
  ' <<<"${resp%$'\n'*}"
}

# connect_wait_running <name> [timeout_s]: until the connector and all its tasks are RUNNING.
connect_wait_running() {
  local name="$1" timeout="${2:-60}" deadline st
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    st="$(connect_connector_state "$name" 2>/dev/null)" || st=""
    if grep -q 'FAILED' <<<"$st"; then
      log_err "connector $name failed:"
      printf '%s\n' "$st" >&2
      curl -fsS -m 5 "$(connect_url)/connectors/$name/status" | jq -r '[.connector.trace, .tasks[].trace] | map(select(.)) | .[0] // empty' | head -n 40 >&2
      return 1
    fi
    if grep -q "^$name: RUNNING" <<<"$st" && grep -q '^task ' <<<"$st" && ! grep '^task ' <<<"$st" | grep -vq ': RUNNING'; then
      log_ok "connector $name running ($(grep -c '^task ' <<<"$st") task(s))"
      return 0
    fi
    sleep 1
  done
  log_err "connector $name not RUNNING after ${timeout}s:"
  printf '%s\n' "$st" >&2
  return 1
}

# connect_delete <name>: remove the connector (no error when it is not there). Its committed
# offsets stay in takt-connect-offsets; Debezium's replication slot stays in Postgres.
connect_delete() {
  local name="$1" resp code
  resp="$(_connect_http DELETE "/connectors/$name")" || resp=$'\n000'
  code="${resp##*$'\n'}"
  case "$code" in
    204 | 200) log_ok "connector $name deleted" ;;
    404) log_ok "connector $name not registered" ;;
    *) log_err "could not delete $name (HTTP $code): ${resp%$'\n'*}"; return 1 ;;
  esac
}
